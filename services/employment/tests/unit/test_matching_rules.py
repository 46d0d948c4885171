"""The scoring rules on their own (domain/matching.py)."""

from uuid import uuid4

import pytest

from work4life.contracts.intake import EducationLevel, LanguageLevel, Region
from work4life.contracts.training import CourseKind, Sector
from work4life.employment.domain.matching import Candidate, Offer, Training, isco_overlap, rank_candidates, score

TANGER = Region.TANGER_TETOUAN_AL_HOCEIMA


def offer(**overrides) -> Offer:
    values = dict(offer_id=uuid4(), region=TANGER, sector=Sector.TEXTILES_AND_CLOTHING)
    values.update(overrides)
    return Offer(**values)


def person(**overrides) -> Candidate:
    values = dict(beneficiary_id=uuid4(), region=TANGER)
    values.update(overrides)
    return Candidate(**values)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("7531", "7531", 1.0),
        ("7531", "7533", 0.75),
        ("7531", "7511", 0.5),
        ("7531", "7112", 0.25),
        ("7531", "5120", 0.0),
        ("75", "7531", 0.5),
    ],
)
def test_isco_codes_are_close_by_the_level_of_the_hierarchy_they_share(a, b, overlap):
    assert isco_overlap(a, b) == overlap


def test_an_offer_that_asks_for_nothing_is_met_by_everyone_on_those_factors():
    match = score(person(), offer())
    fits = {p.factor: p.fit for p in match.parts}
    assert fits == {
        "occupation": 1.0,
        "skills": 1.0,
        "languages": 1.0,
        "education": 1.0,
        "region": 1.0,
        "training": 0.0,
        "availability": 1.0,
    }
    assert match.score == 90.0


def test_close_spellings_of_a_skill_match_and_experience_counts():
    wanted = offer(isco08="7531", skills=frozenset({"pattern making", "sewing machine operation"}))
    novice = person(occupations=(("7531", 0),), skills=frozenset({"Pattern-making", "sewing machine operating"}))
    expert = person(occupations=(("7531", 6),), skills=frozenset({"pattern making"}))
    fits = {p.factor: p.fit for p in score(novice, wanted).parts}
    assert fits["skills"] == 1.0 and fits["occupation"] == 0.5
    fits = {p.factor: p.fit for p in score(expert, wanted).parts}
    assert fits["skills"] == 0.5 and fits["occupation"] == 1.0


def test_language_levels_and_education_levels_are_ordered():
    wanted = offer(languages={"fr": LanguageLevel.FLUENT, "ar": None}, education=EducationLevel.UPPER_SECONDARY)
    almost = person(languages={"fr": LanguageLevel.INTERMEDIATE, "ar": None}, education=EducationLevel.LOWER_SECONDARY)
    fits = {p.factor: p.fit for p in score(almost, wanted).parts}
    assert fits["languages"] == 0.5 and fits["education"] == 0.5


def test_training_in_the_offers_sector_counts_most_and_a_placed_person_ranks_lower():
    wanted = offer()
    trained = person(trainings=(Training(CourseKind.VOCATIONAL, Sector.TEXTILES_AND_CLOTHING, True),))
    other = person(trainings=(Training(CourseKind.LANGUAGE, Sector.CROSS_SECTOR, False),))
    busy = person(trainings=trained.trainings, placed=True)
    ranked = [c for c, _ in rank_candidates(wanted, [other, busy, trained])]
    assert ranked == [trained, busy, other]
