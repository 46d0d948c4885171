"""The start page: what arrived for the signed-in person, without e-mail or SMS. New referrals
waiting for an answer in each partner service, the follow-up visits and retention calls due this
week, and for programme managers the possible duplicates to review. A part the person's role may
not see (the service answers 403) is simply left out; a service that does not answer is named."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..app import render, web_of
from ..services import ServiceError
from .auth import Staff
from .common import call, names_of

router = APIRouter()
WEEK = 7


async def count(request: Request, me, service: str, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The first items and the total of a list, None when the role may not see it, or a mark
    that the service does not answer."""
    if not web_of(request).services.configured(service):
        return None
    try:
        return await call(request, me, service, "GET", path, params=params)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            return None
        return {"unavailable": True, "items": [], "total": 0}


@router.get("/", include_in_schema=False)
async def start(request: Request, me: Staff) -> Response:
    pending = {"status": "pending", "limit": 3}
    asks: dict[str, tuple[str, str, dict[str, Any]]] = {
        "training_referrals": ("training", "/v1/candidates", pending),
        "enterprise_referrals": ("enterprise", "/v1/candidates", pending),
        "employment_referrals": ("employment", "/v1/candidates", pending),
        "visits_due": ("enterprise", "/v1/follow-ups/due", {"within_days": WEEK, "limit": 3}),
        "calls_due": ("employment", "/v1/retention-checks/due", {"within_days": WEEK, "limit": 3}),
    }
    if me.is_manager:
        asks["duplicates"] = ("intake", "/v1/duplicates", {"status": "open", "limit": 1})
    if me.role == "me_viewer":  # M&E officers act on none of these lists
        asks = {}
    answers = await asyncio.gather(*(count(request, me, *ask) for ask in asks.values()))
    found = dict(zip(asks, answers, strict=True))
    people = [
        item["beneficiary_id"]
        for key in ("training_referrals", "enterprise_referrals", "employment_referrals", "calls_due")
        for item in (found.get(key) or {}).get("items", [])
    ]
    return render(request, "start.html", {"found": found, "names": await names_of(request, me, people)})
