"""Intake's HTTP API (caseworkers' registration screens and imports call it)."""

from collections.abc import Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel
from sqlmodel import Session

from work4life.contracts.intake import LegalStatus, Region
from work4life.runtime.http import session_dependency

from ..domain.model import BeneficiaryBase, RegistrationRefused
from ..service_layer import handlers


class BeneficiaryCreate(BeneficiaryBase):
    partner_organisation: str | None = None  # type: ignore[assignment]


class BeneficiaryPublic(BeneficiaryBase):
    beneficiary_id: UUID
    registered_on: date


class BeneficiaryPage(BaseModel):
    items: list[BeneficiaryPublic]
    total: int
    limit: int
    offset: int


def build_router(
    session_factory: Callable[[], Session],
    context: handlers.Context,
    after_commit: Callable[[], None],
    today: Callable[[], date] = date.today,
) -> APIRouter:
    router = APIRouter(prefix="/v1/beneficiaries", tags=["beneficiaries"])

    SessionDep = Annotated[Session, session_dependency(session_factory)]

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=BeneficiaryPublic,
        summary="Register a beneficiary",
        responses={422: {"description": "A field is missing or invalid; the body names it and says why"}},
    )
    def register(body: BeneficiaryCreate, request: Request, db: SessionDep) -> BeneficiaryPublic:
        details = BeneficiaryBase.model_validate(
            {**body.model_dump(), "partner_organisation": body.partner_organisation or context.producer.organisation}
        )
        correlation = request.headers.get("X-Correlation-ID")
        try:
            correlation_id = UUID(correlation) if correlation else None
        except ValueError:
            correlation_id = None
        try:
            beneficiary = handlers.register_beneficiary(
                db, handlers.RegisterBeneficiary(details=details, today=today(), correlation_id=correlation_id), context
            )
        except RegistrationRefused as refused:
            raise HTTPException(
                status_code=422,
                detail={
                    "detail": f"invalid request: {refused.field}: {refused.reason}",
                    "errors": [{"field": refused.field, "reason": refused.reason, "type": "value_error"}],
                },
            ) from refused
        after_commit()
        return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)

    @router.get("", response_model=BeneficiaryPage, summary="List beneficiaries (paginated, filterable)")
    def list_(
        db: SessionDep,
        region: Region | None = None,
        partner_organisation: str | None = None,
        legal_status: LegalStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> BeneficiaryPage:
        items, total = handlers.list_beneficiaries(
            db, handlers.BeneficiaryFilter(region, partner_organisation, legal_status), limit, offset
        )
        return BeneficiaryPage(
            items=[BeneficiaryPublic.model_validate(b, from_attributes=True) for b in items],
            total=total,
            limit=limit,
            offset=offset,
        )

    @router.get(
        "/{beneficiary_id}",
        response_model=BeneficiaryPublic,
        summary="One beneficiary",
        responses={404: {"description": "No beneficiary has this id"}},
    )
    def get(beneficiary_id: UUID, db: SessionDep) -> BeneficiaryPublic:
        beneficiary = handlers.get_beneficiary(db, beneficiary_id)
        if beneficiary is None:
            raise HTTPException(status_code=404, detail=f"no beneficiary with id {beneficiary_id}")
        return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)

    return router
