"""The three ways a use case says no, shared by every service, and what HTTP makes of them.

A use case raises one of these and knows nothing of HTTP; `http.add_error_handlers` turns them
into the answers every route documents (the same shape as a validation error, so a client reads
one format):

- `Refused(field, reason)`: a rule refuses one field of the request (422 naming the field);
- `Conflict(message, code=..., values=...)`: the current state refuses the request, e.g. a full
  cohort (409). The answer carries the English `detail`, a stable `code` naming the rule and the
  `values` that fill it, so that a client (the staff app) says it in the person's language; its
  `errors` may name the unmet conditions, each with its own code;
- `NotFound(message)`: no such record, or none the caller may see (404).
"""

from typing import Any


class Refused(ValueError):
    """A request a rule refuses because of one of its fields (HTTP 422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Conflict(Exception):
    """A request the current state refuses (HTTP 409): the English `detail`, the rule's stable
    `code` (e.g. `cohort_full`) and the `values` a translation fills in. `errors`, when given,
    names each unmet condition as {field, reason, type, code, values}."""

    errors: list[dict[str, Any]] | None = None

    def __init__(self, detail: str, *, code: str, values: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.values = values or {}


class NotFound(LookupError):
    """No such record, or not one the caller may see (HTTP 404)."""
