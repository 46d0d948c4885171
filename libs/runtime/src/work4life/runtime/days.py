"""The one rule for the day something happened, in every service (ADR 16).

Field staff enter paper records days or weeks later: an attendance sheet, a committee's minutes,
a placement a counsellor heard about by phone. A record therefore keeps two times apart:

- **the day it happened** (`enrolled_on`, `decided_on`, `starts_on`, ...), given by the person
  entering it (today when left out), which the indicators count on;
- **the time it was recorded**: the event's `occurred_at`, and the record's `recorded_at` or
  `created_at` where the table has one.

The day it happened is accepted when it is

1. not in the future (a plan is not an outcome: record it once it has happened);
2. within the programme's dates, when the deployment sets them (`PROGRAMME_STARTS_ON`,
   `PROGRAMME_ENDS_ON` of each service's settings);
3. not before what it follows (a drop-out not before the enrolment, a disbursement not before its
   milestone, a placement not before the person reached the service...).

Days that plan something (a cohort's dates, a job fair, an offer's closing day) may lie ahead,
but they too stay within the programme's dates: `within_programme`.

A refusal is `DayRefused`, answered as a 422 that names the field and the reason by every service.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from .errors import Refused


class DayRefused(Refused):
    """A day that breaks the rule above; `field` is the request's field."""


@dataclass(frozen=True)
class Programme:
    """The programme's dates as the deployment sets them; either may be open."""

    starts_on: date | None = None
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError(f"the programme ends ({self.ends_on}) before it starts ({self.starts_on})")

    def check(self, field: str, day: date) -> None:
        if self.starts_on is not None and day < self.starts_on:
            raise DayRefused(field, f"is before the programme started ({self.starts_on.isoformat()})")
        if self.ends_on is not None and day > self.ends_on:
            raise DayRefused(field, f"is after the programme ended ({self.ends_on.isoformat()})")


After = tuple[date | None, str]
"""What a day may not precede: the earlier record's day (None when there is none) and its name."""


@dataclass(frozen=True)
class Calendar:
    """Today and the programme's dates: what a use case checks a day against."""

    today: Callable[[], date] = date.today
    programme: Programme = field(default_factory=Programme)

    def happened_on(self, field: str, day: date | None, *after: After) -> date:
        """The day something happened (today when `day` is None), checked by the rule above."""
        today = self.today()
        if day is None:
            day = today
        elif day > today:
            raise DayRefused(field, f"is in the future (today is {today.isoformat()}): record it once it has happened")
        self.programme.check(field, day)
        for earlier, name in after:
            if earlier is not None and day < earlier:
                raise DayRefused(field, f"is before {name} ({earlier.isoformat()})")
        return day

    def within_programme(self, field: str, day: date) -> date:
        """A planned day (it may lie ahead), within the programme's dates."""
        self.programme.check(field, day)
        return day


class KeepsDays:
    """For a use case's context that has `today` and `programme`: the rule above as its methods."""

    today: Callable[[], date]
    programme: Programme

    def happened_on(self, field: str, day: date | None, *after: After) -> date:
        return Calendar(self.today, self.programme).happened_on(field, day, *after)

    def within_programme(self, field: str, day: date) -> date:
        return Calendar(self.today, self.programme).within_programme(field, day)
