"""Is this the same person? Scoring two registrations, with the reasons, using rapidfuzz.

Variations seen in practice: a typo, a transliteration of an Arabic name (Mohamed, Mohammed,
Muhammad), given and family names swapped, a new phone, another office, day and month of birth
swapped. Names are compared both as written (accents and articles removed) and as a consonant
skeleton that erases transliteration differences; token-sort similarity makes the order of the
names irrelevant. The date of birth, phone, e-mail, document number and Arabic-script name add
evidence; a different sex or nationality removes some.

Weights and the threshold were tuned on the labelled benchmark in
`services/intake/benchmarks/duplicates.py` (its figures are in the service README).
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process

THRESHOLD = 0.70
"""Score from which a pair is flagged for review."""

NAME_WEIGHT = 0.55
SAME_BIRTH_DATE = 0.30
SAME_ARABIC_NAME = 0.12
"""Weights of the evidence that needs no shared contact; the most it can add besides the names is
the same date of birth and the same Arabic-script name."""

ROUNDING = 0.001
"""Scores are rounded to three decimals: a bound on a score keeps this margin below the threshold."""


def name_screen(threshold: float) -> float:
    """The name similarity (0 to 100, written or skeleton) below which a pair cannot reach
    `threshold` without a shared phone, e-mail or document (about 50.7 at THRESHOLD). Pairs are
    screened in bulk with rapidfuzz at this similarity and only the rest are scored one by one."""
    return max(0.0, 100 * (threshold - ROUNDING - SAME_BIRTH_DATE - SAME_ARABIC_NAME) / NAME_WEIGHT)


CONTACTS = ("phone", "email", "document_number")
"""Attributes that are evidence when equal; a shared one is always worth scoring."""

ARTICLES = {"el", "al", "de", "da", "du"}
DIGRAPHS = [
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("kh", "k"),
    ("gh", "g"),
    ("sh", "s"),
    ("ch", "s"),
    ("dj", "j"),
    ("ph", "f"),
    ("th", "t"),
    ("q", "k"),
    ("c", "k"),
    ("z", "s"),
    ("y", "i"),
    ("w", "u"),
]


@dataclass(frozen=True)
class PersonKey:
    """What the matcher reads of a registration."""

    ref: int  # the registration's key
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    nationality: str
    given_name_ar: str | None = None
    family_name_ar: str | None = None
    phone: str | None = None
    email: str | None = None
    document_number: str | None = None

    @property
    def full_name(self) -> str:
        return name_keys(self.given_name, self.family_name)[0]

    @property
    def skeleton(self) -> str:
        return name_keys(self.given_name, self.family_name)[1]

    @property
    def arabic(self) -> str:
        return " ".join(f"{self.given_name_ar or ''} {self.family_name_ar or ''}".split())


@dataclass
class Match:
    ref: int
    score: float
    reasons: list[str] = field(default_factory=list)


def normalise(name: str) -> str:
    """Lower case, no accents, no punctuation, no articles."""
    decomposed = unicodedata.normalize("NFKD", name.lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = re.sub(r"[^a-z]+", " ", ascii_only).split()
    return " ".join(t for t in tokens if t not in ARTICLES)


@lru_cache(maxsize=500_000)
def name_keys(given_name: str, family_name: str) -> tuple[str, str]:
    """The full name normalised, and its skeleton (tokens sorted). Cached: each registration is
    compared with the thousands of people born around the same year, the same names every time."""
    full_name = normalise(f"{given_name} {family_name}")
    return full_name, " ".join(sorted(skeleton(token) for token in full_name.split()))


def skeleton(token: str) -> str:
    """A transliteration-proof key: digraphs folded, vowels after the first letter dropped, no doubles."""
    for old, new in DIGRAPHS:
        token = token.replace(old, new)
    if not token:
        return token
    rest = re.sub(r"[aeiou]", "", token[1:])
    folded = token[0] + rest
    return re.sub(r"(.)\1+", r"\1", folded)


def birth_date_needed(threshold: float) -> bool:
    """Whether a pair that shares no phone, e-mail or document needs some birth-date evidence to
    reach `threshold`: the names and the Arabic-script name alone give at most NAME_WEIGHT +
    SAME_ARABIC_NAME (0.67). Birth dates
    count only in the same year, or one year apart with the same day and month (`_dob_evidence`),
    so at the threshold a registration need only be compared with those people."""
    return threshold - ROUNDING > NAME_WEIGHT + SAME_ARABIC_NAME


def _dob_evidence(a: date, b: date) -> tuple[float, str | None]:
    if a == b:
        return SAME_BIRTH_DATE, "same date of birth"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 0.24, "date of birth with day and month swapped"
    if abs(a.year - b.year) == 1 and (a.month, a.day) == (b.month, b.day):
        return 0.20, "date of birth one year apart, same day"
    if a.year == b.year and a.month == b.month:
        return 0.14, "same month and year of birth"
    if a.year == b.year:
        return 0.06, "same year of birth"
    return 0.0, None


def score(a: PersonKey, b: PersonKey) -> Match:
    reasons: list[str] = []
    written = fuzz.token_sort_ratio(a.full_name, b.full_name) / 100
    phonetic = fuzz.token_sort_ratio(a.skeleton, b.skeleton) / 100 * 0.97
    name = max(written, phonetic)
    if name >= 0.6:
        if a.full_name.split() != b.full_name.split() and sorted(a.full_name.split()) == sorted(b.full_name.split()):
            reasons.append("same names, given and family swapped")
        elif phonetic > written and phonetic >= 0.9:
            reasons.append("names sound alike (another transliteration)")
        else:
            reasons.append(f"names {round(name * 100)}% similar")
    total = NAME_WEIGHT * name
    dob, why = _dob_evidence(a.date_of_birth, b.date_of_birth)
    total += dob
    if why:
        reasons.append(why)
    if a.phone and a.phone == b.phone:
        total += 0.20
        reasons.append("same phone")
    if a.email and a.email == b.email:
        total += 0.15
        reasons.append("same e-mail")
    if a.document_number and a.document_number == b.document_number:
        total += 0.35
        reasons.append("same document number")
    if a.arabic and b.arabic and fuzz.token_sort_ratio(a.arabic, b.arabic) >= 90:
        total += SAME_ARABIC_NAME
        reasons.append("same name in Arabic script")
    if a.sex != b.sex:
        total -= 0.20
        reasons.append("different sex")
    if a.nationality != b.nationality:
        total -= 0.12
        reasons.append("different nationality")
    return Match(b.ref, round(max(0.0, min(1.0, total)), 3), reasons)


def candidates(
    target: PersonKey, pool: Iterable[PersonKey], threshold: float = THRESHOLD, limit: int = 10
) -> list[Match]:
    """Who in `pool` may be `target`, best first. Names are screened in bulk first (`name_screen`);
    a pool member sharing a phone, e-mail or document with `target` is always scored."""
    cutoff = name_screen(threshold)
    others = [other for other in pool if other.ref != target.ref]
    kept: set[int] = set()
    for attribute in CONTACTS:
        if value := getattr(target, attribute):
            kept.update(i for i, other in enumerate(others) if getattr(other, attribute) == value)
    for name, names in (
        (target.full_name, [o.full_name for o in others]),
        (target.skeleton, [o.skeleton for o in others]),
    ):
        screened = process.extract(name, names, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, limit=None)
        kept.update(index for _, _, index in screened)
    matches = [score(target, others[i]) for i in sorted(kept)]
    ranked = sorted((m for m in matches if m.score >= threshold), key=lambda m: -m.score)
    return ranked[:limit]


def all_pairs(
    people: list[PersonKey], threshold: float = THRESHOLD, progress: "Callable[[int, int], None] | None" = None
) -> list[tuple[PersonKey, PersonKey, Match]]:
    """Every pair at or above the threshold. Blocking: birth years at most one apart, or the same
    phone, e-mail or document; within a block names are pre-screened in bulk with rapidfuzz."""
    by_year: dict[int, list[PersonKey]] = defaultdict(list)
    for person in people:
        by_year[person.date_of_birth.year].append(person)
    seen: set[tuple[int, int]] = set()
    cutoff = name_screen(threshold)
    pairs: list[tuple[PersonKey, PersonKey, Match]] = []

    def consider(a: PersonKey, b: PersonKey) -> None:
        key = (min(id(a), id(b)), max(id(a), id(b)))
        if a is b or key in seen:
            return
        seen.add(key)
        match = score(a, b)
        if match.score >= threshold:
            pairs.append((a, b, match))

    done = 0
    for year, group in sorted(by_year.items()):
        done += len(group)
        if progress is not None:
            progress(done, len(people))
        window = group + by_year.get(year + 1, [])
        names = [p.skeleton for p in window]
        written = [p.full_name for p in window]
        similar = process.cdist(
            [p.skeleton for p in group], names, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, workers=1
        )
        similar_written = process.cdist(
            [p.full_name for p in group], written, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, workers=1
        )
        for i, a in enumerate(group):
            for j in set(similar[i].nonzero()[0]) | set(similar_written[i].nonzero()[0]):
                consider(a, window[j])
    for attribute in CONTACTS:
        same: dict[str, list[PersonKey]] = defaultdict(list)
        for person in people:
            value = getattr(person, attribute)
            if value:
                same[value].append(person)
        for group in same.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    consider(a, b)
    return sorted(pairs, key=lambda pair: -pair[2].score)
