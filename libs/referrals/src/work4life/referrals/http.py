"""The two candidate routes every receiving service serves: the list of referrals to it, and
declining one. A service includes them in its own router (`router.include_router(...)`); its
staff roles, sessions and context come from the runtime's shared dependencies."""

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import ColumnElement

from work4life.contracts.intake import Region
from work4life.runtime.api import Limit, Offset, Page, SessionDep, Staff, context_of
from work4life.runtime.context import ServiceContext
from work4life.runtime.http import correlation_of
from work4life.runtime.uow import UnitOfWork

from .desk import ReferralDesk
from .model import CandidatePublic, CandidateStatus, DeclineRequest

CandidatePage = Page[CandidatePublic]
Filters = list[ColumnElement[bool]]


def no_filters() -> Filters:
    return []


def candidate_routes(
    desk: ReferralDesk[Any, Any, Any],
    *,
    list_summary: str,
    decline_summary: str,
    filters: Callable[..., Filters] = no_filters,
) -> APIRouter:
    """`GET /candidates` and `POST /candidates/{referral_id}/decline` for `desk`. `filters` is a
    FastAPI dependency for the service's own query parameters (training's course kind)."""
    router = APIRouter(tags=["candidates"])
    Context = Annotated[ServiceContext, Depends(context_of)]

    @router.get("/candidates", response_model=CandidatePage, summary=list_summary)
    def list_candidates(
        db: SessionDep,
        who: Staff,
        also: Annotated[Filters, Depends(filters)],
        candidate_status: Annotated[CandidateStatus | None, Query(alias="status")] = CandidateStatus.PENDING,
        region: Region | None = None,
        beneficiary_id: UUID | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CandidatePage:
        rows, total = desk.candidates(
            db,
            status=candidate_status,
            region=region,
            beneficiary_id=beneficiary_id,
            limit=limit,
            offset=offset,
            also=also,
        )
        return page_of(rows, total, limit, offset)

    @router.post("/candidates/{referral_id}/decline", response_model=CandidatePublic, summary=decline_summary)
    def decline(
        context: Context, referral_id: UUID, body: DeclineRequest, request: Request, db: SessionDep, who: Staff
    ) -> CandidatePublic:
        uow = UnitOfWork.for_request(db, context, who, correlation_of(request))
        candidate = desk.decline(uow, referral_id, body.note)
        return CandidatePublic.model_validate(candidate, from_attributes=True)

    return router


def page_of(rows: list[Any], total: int, limit: int, offset: int) -> CandidatePage:
    """A page of candidates as the API shows them."""
    items = [CandidatePublic.model_validate(c, from_attributes=True) for c in rows]
    return CandidatePage(items=items, total=total, limit=limit, offset=offset)
