"""What the pages of every section share: calling a service as the signed-in person, pages of a
list, and the names of people, which only intake holds."""

import asyncio
import math
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request

from ..app import field_errors, gettext_for, language_of, web_of
from ..i18n import field_label
from ..refusals import refusal_text
from ..services import ServiceError


async def call(request: Request, me, service: str, method: str, path: str, **kwargs: Any) -> Any:
    """`service`'s API, called with the signed-in person's token and the request's correlation id."""
    return await web_of(request).services.call(
        service, method, path, me.token, correlation_id=request.headers.get("x-correlation-id"), **kwargs
    )


def paging(request: Request, total: int, page: int, size: int | None = None) -> dict[str, Any]:
    size = size or web_of(request).settings.page_size
    pages = max(1, math.ceil(total / size))
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return {"page": page, "pages": pages, "total": total, "query": query}


def page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page", "1")), 400_000))
    except ValueError:
        return 1


def short_id(value: Any) -> str:
    """A person's pseudonymous id as staff can read it out (the first 8 characters)."""
    return str(value)[:8]


async def names_of(request: Request, me, ids: Iterable[Any]) -> dict[str, str]:
    """The names of the people `ids` that intake lets this person see, by id.

    The other services know people by their pseudonymous id only (personal data stays in intake);
    a partner's staff see the names of the people their organisation registered, and programme
    managers see all. Whoever intake does not show is simply absent here: the page shows the
    short id instead."""
    wanted = list(dict.fromkeys(str(i) for i in ids if i))
    if not wanted or not web_of(request).services.configured("intake"):
        return {}

    async def one(person: str) -> tuple[str, str | None]:
        try:
            found = await call(request, me, "intake", "GET", f"/v1/beneficiaries/{uuid.UUID(person)}")
        except ServiceError as exc:
            if exc.status in (403, 404):
                return person, None
            raise
        return person, f"{found['given_name']} {found['family_name']}"

    answers = await asyncio.gather(*(one(p) for p in wanted[:200]))
    return {person: name for person, name in answers if name}


def problem(request: Request, exc: ServiceError) -> str:
    """A service's refusal (409, 422) as one sentence in the person's language: the rule a 409
    names by its code, or each field of a 422 with what is wrong with it."""
    gettext = gettext_for(request)
    if exc.status != 422:
        return refusal_text(exc.body, gettext, language_of(request)) or exc.detail
    found = field_errors(request, exc)
    whole = ("_form", "body", "(body)", "request")  # an error of the whole form: no field to name
    return "; ".join(v if k in whole else f"{gettext(field_label(k))}: {v}" for k, v in found.items()) or exc.detail


def amount(value: str | None) -> str | None:
    """An amount as people type it (12 500, 12500,5 or 12 500.00) as the services want it: two
    decimals ("12500.50"). What is not a number goes as typed, for the service to name."""
    if not value:
        return None
    cleaned = "".join(value.split()).replace("\u202f", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return value
    if not number.is_finite() or int(number.as_tuple().exponent) < -2:
        return cleaned
    return f"{number:.2f}"


async def listing(request: Request, me, service: str, path: str, filters: dict[str, Any]) -> dict[str, Any]:
    """One page of a service's list under `filters`, as a page needs it: the items, the paging,
    and the filters the service refused, by field (shown beside them; the list is then empty)."""
    page = page_number(request)
    size = web_of(request).settings.page_size
    result: dict[str, Any] = {"items": [], "total": 0}
    errors: dict[str, str] = {}
    try:
        result = await call(
            request, me, service, "GET", path, params={**filters, "limit": size, "offset": (page - 1) * size}
        )
    except ServiceError as exc:
        if exc.status != 422:
            raise
        errors = field_errors(request, exc)
    return {
        "items": result["items"],
        "errors": errors,
        "filters": filters,
        "paging": paging(request, result["total"], page),
    }


async def attempt(
    request: Request, me, service: str, done: str, failed: str, method: str, path: str, **kwargs: Any
) -> Any:
    """One command to `service`: flashes `done`, or `failed` with the service's reason when it
    refuses (409, 422); other failures become the error pages. The answer, or None when refused."""
    try:
        answer = await call(request, me, service, method, path, **kwargs)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        me.flash("error", failed, reason=problem(request, exc))
        return None
    me.flash("success", done)
    return answer
