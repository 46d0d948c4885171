"""Types for request fields that take what the API documents and nothing else.

Pydantic's lax mode, which FastAPI applies to a parsed JSON body, reads `true` as the integer 1,
`0` as 1 January 1970, `"2024-01-01T09:00:00"` as a date and `"yes"` as true. A form sent by a
partner's script with such a value would be stored as something nobody typed. Pydantic's strict
mode cannot be switched on for a whole body: FastAPI validates the parsed body in Python mode, where
strict mode also refuses the ISO strings that dates, ids and enums arrive as in JSON. So each
request field says its type with one of these:

| type | takes | refuses (examples) |
|---|---|---|
| `Whole` | a JSON integer | `true`, `2.0`, `"3"` |
| `Flag` | `true` or `false` | `1`, `"yes"`, `"true"` |
| `Number` | a JSON number | `true`, `"3"` |
| `Day` | `"YYYY-MM-DD"` | `0`, `"0"`, `"2024-01-01T00:00:00"`, `"20240101"` |
| `Moment` | an ISO 8601 date and time, `"2026-03-01T09:30:00"` | `0`, `"1700000000"`, `"2026-03-01"` |

Money is the contracts' `Money` (a string with two decimals). Query parameters are text in a URL:
they use `Day` for dates, and FastAPI's usual reading for numbers and flags.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict
from pydantic_core import PydanticCustomError

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")


def _day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and DAY.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD, e.g. 2026-03-31")


def _moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and MOMENT.fullmatch(value):
        return value
    raise PydanticCustomError(
        "datetime_format", "must be a date and time written YYYY-MM-DDTHH:MM[:SS], e.g. 2026-03-31T09:30"
    )


Whole = Annotated[int, Strict()]
"""A whole number written as a JSON integer."""

Flag = Annotated[bool, Strict()]
"""`true` or `false`."""

Number = Annotated[float, Strict()]
"""A JSON number (an integer is one too)."""

Day = Annotated[date, BeforeValidator(_day)]
"""A calendar day written YYYY-MM-DD."""

Moment = Annotated[datetime, BeforeValidator(_moment)]
"""A date and time in ISO 8601."""
