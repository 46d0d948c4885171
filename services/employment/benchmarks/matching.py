"""Ranking quality of the matching on a generated, labelled set.

    uv run python services/employment/benchmarks/matching.py [--offers 100] [--candidates 1500] [--seed 7]

How the set is made: ten trades (an ISCO-08 unit group, its sector and its skills). Each offer is
one trade in one of the programme's four regions, asking for two or three of its skills, a
language and sometimes an education level. Each candidate truly belongs to one trade and lives in
a region; what the scorer sees of them is noisy, as in real assessments: the occupation code is
exact 70% of the time, a neighbouring code 20%, missing 10%; each trade skill is recorded with
probability 0.6, spelled in varying ways, plus an unrelated skill; 40% completed a course in
their trade's sector.

The planted truth: a candidate is a good fit for an offer (grade 2) when they belong to its trade,
live in its region and speak its language at the level asked; a partial fit (grade 1) when they
belong to its trade only; otherwise no fit (grade 0). The scorer never sees the trade itself.

It prints, over all offers, precision at 5 (share of good fits among the first five) and NDCG at
10 (graded, gain 2^grade - 1), for the matching and for three baselines, and the time to rank the
pool for one offer. This measures how well the score recovers a planted fit under noise; it says
nothing of real placements, which only the programme's own outcomes can tell.
"""

import argparse
import math
import random
import statistics
import time
from dataclasses import dataclass
from uuid import UUID

from work4life.contracts.intake import EducationLevel, LanguageLevel, Region
from work4life.contracts.training import CourseKind, Sector
from work4life.employment.domain.matching import Candidate, Offer, Training, rank_candidates

REGIONS = [
    Region.TANGER_TETOUAN_AL_HOCEIMA,
    Region.RABAT_SALE_KENITRA,
    Region.ORIENTAL,
    Region.BENI_MELLAL_KHENIFRA,
]
TRADES = [
    ("9412", Sector.HOSPITALITY_AND_TOURISM, ["food preparation", "hygiene", "dishwashing", "kitchen cleaning"]),
    ("5120", Sector.HOSPITALITY_AND_TOURISM, ["cooking", "menu planning", "food safety", "pastry"]),
    ("7531", Sector.TEXTILES_AND_CLOTHING, ["sewing", "pattern making", "alterations", "embroidery"]),
    ("7112", Sector.CONSTRUCTION, ["bricklaying", "plastering", "concrete work", "scaffolding"]),
    ("9211", Sector.AGRICULTURE, ["harvesting", "irrigation", "pruning", "greenhouse work"]),
    ("4222", Sector.ICT_AND_OFFSHORING, ["customer service", "typing", "phone etiquette", "crm software"]),
    ("8322", Sector.TRANSPORT_AND_LOGISTICS, ["driving licence b", "navigation", "vehicle maintenance", "delivery"]),
    ("5223", Sector.RETAIL_AND_TRADE, ["sales", "cash handling", "stock keeping", "merchandising"]),
    ("9112", Sector.PERSONAL_SERVICES, ["office cleaning", "laundry", "ironing", "disinfection"]),
    ("7411", Sector.CONSTRUCTION, ["wiring", "electrical installation", "troubleshooting", "safety rules"]),
]
LANGUAGES = ["fr", "ar", "en", "es"]
LEVELS = [LanguageLevel.BASIC, LanguageLevel.INTERMEDIATE, LanguageLevel.FLUENT, LanguageLevel.NATIVE]
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
EDUCATION = list(EducationLevel)


@dataclass
class Truth:
    trade: int
    region: Region
    languages: dict[str, LanguageLevel]


def misspell(skill: str, rng: random.Random) -> str:
    return rng.choice([skill, skill.title(), skill.replace(" ", "-"), skill.upper(), f"{skill}s"])


def make_offer(rng: random.Random) -> tuple[Offer, int]:
    trade = rng.randrange(len(TRADES))
    isco, sector, skills = TRADES[trade]
    language = "es" if isco == "4222" and rng.random() < 0.5 else rng.choice(["fr", "fr", "ar"])
    offer = Offer(
        offer_id=UUID(int=rng.getrandbits(128)),
        region=rng.choice(REGIONS),
        sector=sector,
        isco08=isco,
        skills=frozenset(rng.sample(skills, rng.choice([2, 3]))),
        languages={language: rng.choice([LanguageLevel.BASIC, LanguageLevel.INTERMEDIATE])},
        education=rng.choice([None, None, EducationLevel.PRIMARY, EducationLevel.LOWER_SECONDARY]),
    )
    return offer, trade


def make_candidate(rng: random.Random) -> tuple[Candidate, Truth]:
    trade = rng.randrange(len(TRADES))
    isco, sector, skills = TRADES[trade]
    region = rng.choice(REGIONS) if rng.random() < 0.85 else Region.CASABLANCA_SETTAT
    languages = {"fr": rng.choice(LEVELS)}
    if rng.random() < 0.5:
        languages["ar"] = rng.choice(LEVELS)
    if rng.random() < 0.25:
        languages[rng.choice(["en", "es"])] = rng.choice(LEVELS)
    roll = rng.random()
    observed = isco if roll < 0.7 else (isco[:3] + str((int(isco[3]) + 1) % 10) if roll < 0.9 else None)
    seen = {misspell(s, rng) for s in skills if rng.random() < 0.6}
    other = rng.choice([t for t in range(len(TRADES)) if t != trade])
    seen.add(rng.choice(TRADES[other][2]))
    trainings = ()
    if rng.random() < 0.4:
        trainings = (Training(CourseKind.VOCATIONAL, sector, rng.random() < 0.7),)
    candidate = Candidate(
        beneficiary_id=UUID(int=rng.getrandbits(128)),
        region=region,
        languages=dict(languages),
        education=rng.choice(EDUCATION),
        occupations=((observed, rng.choice([0, 1, 2, 4, 8])),) if observed else (),
        skills=frozenset(seen),
        trainings=trainings,
        placed=rng.random() < 0.1,
    )
    return candidate, Truth(trade, region, languages)


def grade(offer: Offer, offer_trade: int, truth: Truth) -> int:
    if truth.trade != offer_trade:
        return 0
    speaks = all(
        code in truth.languages and LEVEL_RANK[truth.languages[code]] >= LEVEL_RANK[level or LanguageLevel.BASIC]
        for code, level in offer.languages.items()
    )
    return 2 if truth.region == offer.region and speaks else 1


def precision_at(grades: list[int], k: int) -> float:
    return sum(1 for g in grades[:k] if g == 2) / k


def ndcg_at(grades: list[int], k: int) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(values[:k]))

    ideal = dcg(sorted(grades, reverse=True))
    return dcg(grades) / ideal if ideal else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    offers = [make_offer(rng) for _ in range(args.offers)]
    pool = [make_candidate(rng) for _ in range(args.candidates)]
    truths = {c.beneficiary_id: t for c, t in pool}
    people = [c for c, _ in pool]

    rankers = {
        "matching (weighted, explained)": lambda offer: [c for c, _ in rank_candidates(offer, people)],
        "baseline: region only": lambda offer: sorted(people, key=lambda c: (c.region != offer.region, rng.random())),
        "baseline: skills only": lambda offer: sorted(
            people, key=lambda c: (-len({s.lower() for s in c.skills} & set(offer.skills)), rng.random())
        ),
        "baseline: random": lambda offer: rng.sample(people, len(people)),
    }
    print(f"{args.offers} offers x {args.candidates} candidates, seed {args.seed}")
    good = [sum(grade(o, t, truths[c.beneficiary_id]) == 2 for c in people) for o, t in offers]
    print(f"good fits per offer: median {statistics.median(good):.0f}, min {min(good)}, max {max(good)}")
    print(f"{'ranking':34} {'P@5':>6} {'NDCG@10':>8} {'ms/offer':>9}")
    for name, rank in rankers.items():
        p5, n10, elapsed = [], [], []
        for offer, trade in offers:
            started = time.perf_counter()
            ranked = rank(offer)
            elapsed.append((time.perf_counter() - started) * 1000)
            grades = [grade(offer, trade, truths[c.beneficiary_id]) for c in ranked]
            p5.append(precision_at(grades, 5))
            n10.append(ndcg_at(grades, 10))
        print(f"{name:34} {statistics.mean(p5):6.3f} {statistics.mean(n10):8.3f} {statistics.median(elapsed):9.1f}")


if __name__ == "__main__":
    main()
