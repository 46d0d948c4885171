"""Matching candidates and offers: a transparent weighted score with an explanation of each part.

Each factor gives a fit between 0 and 1; the score is the weighted sum, out of 100. A factor the
offer does not ask for (no occupation, no skills, no languages, no education level) is met by
everyone, so it neither helps nor hurts. Pure functions: no database, no I/O.

| factor | weight | fit |
|---|---|---|
| occupation | 20 | best ISCO-08 overlap of the person's occupations with the offer's (same unit group 1, minor group 0.75, sub-major 0.5, major 0.25), times experience (0.5 at no years, full at 2 years or more) |
| skills | 25 | share of the offer's skills the person has (exact, or a close spelling: token-set ratio of 85 or more) |
| languages | 15 | share of the offer's languages the person speaks at the level asked (an unstated level counts as basic) |
| education | 5 | 1 at or above the level asked, 0.5 one level below, else 0 |
| region | 20 | 1 in the offer's region, 0.5 when the person's region is unknown, else 0 |
| training | 10 | 1 for a completed course in the offer's sector (certified or not), 0.5 for another vocational or pre-employment course, 0.25 for any other course, else 0 |
| availability | 5 | 1 unless the person holds a placement now |

Region weighs as much as occupation: people in the programme rarely can move for a job (cost,
family, papers), so a job in another region is seldom a real option.
"""

from dataclasses import dataclass, field
from uuid import UUID

from rapidfuzz import fuzz

from work4life.contracts.intake import EducationLevel, LanguageLevel, Region
from work4life.contracts.training import CourseKind, Sector

WEIGHTS = {
    "occupation": 20,
    "skills": 25,
    "languages": 15,
    "education": 5,
    "region": 20,
    "training": 10,
    "availability": 5,
}

EDUCATION_RANK = {
    EducationLevel.NONE: 0,
    EducationLevel.PRIMARY: 1,
    EducationLevel.LOWER_SECONDARY: 2,
    EducationLevel.UPPER_SECONDARY: 3,
    EducationLevel.VOCATIONAL: 3,
    EducationLevel.TERTIARY: 4,
}
LANGUAGE_RANK = {
    LanguageLevel.BASIC: 1,
    LanguageLevel.INTERMEDIATE: 2,
    LanguageLevel.FLUENT: 3,
    LanguageLevel.NATIVE: 4,
}
SKILL_SIMILARITY = 85


@dataclass(frozen=True)
class Training:
    kind: CourseKind
    sector: Sector
    certified: bool


@dataclass(frozen=True)
class Candidate:
    beneficiary_id: UUID
    region: Region | None = None
    languages: dict[str, LanguageLevel | None] = field(default_factory=dict)
    education: EducationLevel | None = None
    occupations: tuple[tuple[str, float], ...] = ()  # (ISCO-08 code, years)
    skills: frozenset[str] = frozenset()
    trainings: tuple[Training, ...] = ()
    placed: bool = False


@dataclass(frozen=True)
class Offer:
    offer_id: UUID
    region: Region
    sector: Sector
    isco08: str | None = None
    skills: frozenset[str] = frozenset()
    languages: dict[str, LanguageLevel | None] = field(default_factory=dict)
    education: EducationLevel | None = None


@dataclass(frozen=True)
class Part:
    factor: str
    weight: int
    fit: float
    points: float
    why: str
    reason: str
    """The code of `why` in `WHY`, for a client that says it in another language."""
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    score: float
    parts: tuple[Part, ...]


def normalise_skill(skill: str) -> str:
    return " ".join(skill.lower().replace("_", " ").replace("-", " ").split())


def isco_overlap(a: str, b: str) -> float:
    """How close two ISCO-08 codes are: the deeper the level of the hierarchy they share (major
    group, sub-major, minor, unit group), the closer."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared / 4


WHY = {
    "offer_names_no_occupation": "the offer names no occupation",
    "no_experience_near": "no experience near ISCO {isco}",
    "experience": "{years} years as ISCO {code} (offer: {isco})",
    "offer_lists_no_skills": "the offer lists no skills",
    "skills_all": "has {count} of {total} skills ({found})",
    "skills_some": "has {count} of {total} skills ({found}); lacks {missing}",
    "skills_none": "has {count} of {total} skills; lacks {missing}",
    "offer_asks_no_language": "the offer asks for no language",
    "languages_all": "speaks {met}",
    "languages_some": "speaks {met}; not {unmet}",
    "languages_none": "speaks none of the languages asked ({unmet})",
    "offer_asks_no_education": "the offer asks for no education level",
    "education_unknown": "education unknown (offer: {asked})",
    "education": "{has} (offer: {asked})",
    "region_unknown": "region unknown",
    "same_region": "lives in {region}",
    "other_region": "lives in {region}, the job is in {job_region}",
    "no_course": "no completed course",
    "course_in_sector": "completed a {kind} course in {sector}",
    "course_in_sector_certified": "completed a {kind} course in {sector} (certified)",
    "course": "completed a {kind} course",
    "course_certified": "completed a {kind} course (certified)",
    "placed": "holds a placement now",
    "available": "available",
}
"""Each reason a factor gives, by code, with its values' names: the English sentence of `why`. A
client that shows the explanation in another language translates the code and its values."""

Reason = tuple[str, dict[str, str]]


def _occupation(candidate: Candidate, offer: Offer) -> tuple[float, Reason]:
    if not offer.isco08:
        return 1.0, ("offer_names_no_occupation", {})
    best = 0.0
    why: Reason = ("no_experience_near", {"isco": offer.isco08})
    for code, years in candidate.occupations:
        fit = isco_overlap(code, offer.isco08) * min(1.0, 0.5 + years / 4)
        if fit > best:
            best, why = fit, ("experience", {"years": f"{years:g}", "code": code, "isco": offer.isco08})
    return best, why


def _skills(candidate: Candidate, offer: Offer) -> tuple[float, Reason]:
    if not offer.skills:
        return 1.0, ("offer_lists_no_skills", {})
    has = [normalise_skill(s) for s in candidate.skills]
    found, missing = [], []
    for wanted in sorted(normalise_skill(s) for s in offer.skills):
        if any(h == wanted or fuzz.token_set_ratio(h, wanted) >= SKILL_SIMILARITY for h in has):
            found.append(wanted)
        else:
            missing.append(wanted)
    code = "skills_none" if not found else "skills_some" if missing else "skills_all"
    values = {
        "count": str(len(found)),
        "total": str(len(found) + len(missing)),
        "found": ", ".join(found),
        "missing": ", ".join(missing),
    }
    return len(found) / (len(found) + len(missing)), (code, values)


def _languages(candidate: Candidate, offer: Offer) -> tuple[float, Reason]:
    if not offer.languages:
        return 1.0, ("offer_asks_no_language", {})
    met: list[str] = []
    unmet: list[str] = []
    for code, level in sorted(offer.languages.items()):
        spoken = code in candidate.languages
        level_ok = (
            spoken
            and LANGUAGE_RANK[candidate.languages[code] or LanguageLevel.BASIC]
            >= LANGUAGE_RANK[level or LanguageLevel.BASIC]
        )
        (met if level_ok else unmet).append(code + (f" ({level.value})" if level else ""))
    reason = "languages_none" if not met else "languages_some" if unmet else "languages_all"
    return len(met) / len(offer.languages), (reason, {"met": ", ".join(met), "unmet": ", ".join(unmet)})


def _education(candidate: Candidate, offer: Offer) -> tuple[float, Reason]:
    if offer.education is None:
        return 1.0, ("offer_asks_no_education", {})
    if candidate.education is None:
        return 0.0, ("education_unknown", {"asked": offer.education.value})
    gap = EDUCATION_RANK[offer.education] - EDUCATION_RANK[candidate.education]
    fit = 1.0 if gap <= 0 else 0.5 if gap == 1 else 0.0
    return fit, ("education", {"has": candidate.education.value, "asked": offer.education.value})


def _region(candidate: Candidate, offer: Offer) -> tuple[float, Reason]:
    if candidate.region is None:
        return 0.5, ("region_unknown", {})
    if candidate.region == offer.region:
        return 1.0, ("same_region", {"region": offer.region.value})
    return 0.0, ("other_region", {"region": candidate.region.value, "job_region": offer.region.value})


def _training(candidate: Candidate, offer: Offer) -> tuple[float, Reason]:
    best = 0.0
    why: Reason = ("no_course", {})
    for t in candidate.trainings:
        values = {"kind": t.kind.value, "sector": t.sector.value}
        if t.sector == offer.sector:
            fit, code = 1.0, "course_in_sector"
        elif t.kind in (CourseKind.VOCATIONAL, CourseKind.PRE_EMPLOYMENT):
            fit, code = 0.5, "course_in_sector"
        else:
            fit, code = 0.25, "course"
        if fit > best:
            best, why = fit, (code + ("_certified" if t.certified else ""), values)
    return best, why


def _availability(candidate: Candidate, _offer: Offer) -> tuple[float, Reason]:
    return (0.0, ("placed", {})) if candidate.placed else (1.0, ("available", {}))


FACTORS = {
    "occupation": _occupation,
    "skills": _skills,
    "languages": _languages,
    "education": _education,
    "region": _region,
    "training": _training,
    "availability": _availability,
}


def score(candidate: Candidate, offer: Offer) -> Match:
    parts = []
    for name, factor in FACTORS.items():
        fit, (reason, values) = factor(candidate, offer)
        why = WHY[reason].format(**values)
        parts.append(Part(name, WEIGHTS[name], round(fit, 3), round(fit * WEIGHTS[name], 2), why, reason, values))
    return Match(round(sum(p.points for p in parts), 2), tuple(parts))


def rank_candidates(offer: Offer, candidates: list[Candidate]) -> list[tuple[Candidate, Match]]:
    scored = [(c, score(c, offer)) for c in candidates]
    return sorted(scored, key=lambda cm: (-cm[1].score, str(cm[0].beneficiary_id)))


def rank_offers(candidate: Candidate, offers: list[Offer]) -> list[tuple[Offer, Match]]:
    scored = [(o, score(candidate, o)) for o in offers]
    return sorted(scored, key=lambda om: (-om[1].score, str(om[0].offer_id)))
