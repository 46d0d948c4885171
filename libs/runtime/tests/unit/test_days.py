"""The one rule for the day something happened (ADR 16)."""

from datetime import date

import pytest

from work4life.runtime.days import Calendar, DayRefused, Programme
from work4life.runtime.settings import ServiceSettings

TODAY = date(2026, 5, 20)
PROGRAMME = Programme(date(2025, 1, 1), date(2027, 12, 31))


def calendar(programme: Programme = PROGRAMME) -> Calendar:
    return Calendar(lambda: TODAY, programme)


def refusal(call) -> tuple[str, str]:
    with pytest.raises(DayRefused) as refused:
        call()
    return refused.value.field, refused.value.reason


def test_a_day_entered_later_is_kept_and_no_day_is_today():
    assert calendar().happened_on("enrolled_on", date(2026, 3, 2)) == date(2026, 3, 2)
    assert calendar().happened_on("enrolled_on", None) == TODAY
    assert calendar().happened_on("enrolled_on", TODAY) == TODAY


def test_a_day_in_the_future_is_refused_naming_the_field():
    field, reason = refusal(lambda: calendar().happened_on("dropped_on", date(2026, 5, 21)))
    assert field == "dropped_on" and reason.startswith("is in the future (today is 2026-05-20)")


def test_a_day_outside_the_programme_is_refused_and_open_dates_bound_nothing():
    field, reason = refusal(lambda: calendar().happened_on("registered_on", date(2024, 12, 31)))
    assert (field, reason) == ("registered_on", "is before the programme started (2025-01-01)")
    assert calendar(Programme()).happened_on("registered_on", date(1999, 1, 1)) == date(1999, 1, 1)
    ended = Calendar(lambda: date(2028, 2, 1), PROGRAMME)
    assert refusal(lambda: ended.happened_on("checked_on", None)) == (
        "checked_on",
        "is after the programme ended (2027-12-31)",
    )


def test_a_day_before_what_it_follows_is_refused_with_its_name_and_day():
    enrolled = (date(2026, 3, 2), "the enrolment")
    assert calendar().happened_on("dropped_on", date(2026, 3, 2), enrolled, (None, "nothing")) == date(2026, 3, 2)
    assert refusal(lambda: calendar().happened_on("dropped_on", date(2026, 3, 1), enrolled)) == (
        "dropped_on",
        "is before the enrolment (2026-03-02)",
    )


def test_a_planned_day_may_lie_ahead_but_not_outside_the_programme():
    assert calendar().within_programme("held_on", date(2027, 6, 1)) == date(2027, 6, 1)
    assert refusal(lambda: calendar().within_programme("held_on", date(2028, 1, 1)))[0] == "held_on"


def test_the_programme_dates_come_from_each_service_settings_and_must_be_in_order():
    settings = ServiceSettings(
        service_name="x", auth_jwt_secret="s" * 32, programme_starts_on="2025-01-01", programme_ends_on="2027-12-31"
    )
    assert settings.programme == PROGRAMME
    with pytest.raises(ValueError, match="ends"):
        ServiceSettings(
            service_name="x", auth_jwt_secret="s" * 32, programme_starts_on="2025-01-01", programme_ends_on="2024-12-31"
        )
