"""Intake's HTTP API (caseworkers' registration screens and imports call it).

Every route needs a bearer token (see work4life.runtime.auth). Caseworkers see and change only
their organisation's people; programme managers and admins see everyone. Every read of personal
data is written to the audit log.
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel
from sqlmodel import Session

from work4life.contracts.intake import LegalStatus, Region
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.http import session_dependency

from ..adapters.orm import Beneficiary
from ..domain.model import BeneficiaryBase, RegistrationRefused
from ..service_layer import audit, handlers

STAFF = (Role.CASEWORKER, Role.PROGRAMME_MANAGER, Role.ADMIN)


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


class AuditEntryPublic(BaseModel):
    at: str
    subject: str
    role: str
    organisation: str
    action: str
    beneficiary_id: UUID


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    total: int
    limit: int
    offset: int


def refused(field: str, reason: str, status_code: int = 422) -> HTTPException:
    return HTTPException(
        status_code=status_code,
        detail={
            "detail": f"invalid request: {field}: {reason}",
            "errors": [{"field": field, "reason": reason, "type": "value_error"}],
        },
    )


def not_found(beneficiary_id: UUID) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no beneficiary with id {beneficiary_id}")


def visible(beneficiary: Beneficiary | None, who: Principal, beneficiary_id: UUID) -> Beneficiary:
    """The record if the caller may see it; a 404 otherwise (not a 403: existence is not disclosed)."""
    if beneficiary is None or not who.may_see(beneficiary.partner_organisation):
        raise not_found(beneficiary_id)
    return beneficiary


def build_router(
    session_factory: Callable[[], Session],
    context: handlers.Context,
    after_commit: Callable[[], None],
    today: Callable[[], date] = date.today,
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["beneficiaries"])
    SessionDep = Annotated[Session, session_dependency(session_factory)]
    Staff = Annotated[Principal, Depends(require(*STAFF))]

    @router.post(
        "/beneficiaries",
        status_code=status.HTTP_201_CREATED,
        response_model=BeneficiaryPublic,
        summary="Register a beneficiary",
        responses={422: {"description": "A field is missing or invalid; the body names it and says why"}},
    )
    def register(body: BeneficiaryCreate, request: Request, db: SessionDep, who: Staff) -> BeneficiaryPublic:
        organisation = body.partner_organisation or who.organisation
        if not who.may_see(organisation):
            raise HTTPException(
                403, detail=f"a caseworker of {who.organisation} cannot register people for {organisation}"
            )
        details = BeneficiaryBase.model_validate({**body.model_dump(), "partner_organisation": organisation})
        correlation = request.headers.get("X-Correlation-ID")
        try:
            correlation_id = UUID(correlation) if correlation else None
        except ValueError:
            correlation_id = None
        try:
            beneficiary = handlers.register_beneficiary(
                db,
                handlers.RegisterBeneficiary(details=details, today=today(), correlation_id=correlation_id),
                context,
                within_transaction=lambda b: audit.record(db, who, "register", [b.beneficiary_id]),
            )
        except RegistrationRefused as refusal:
            raise refused(refusal.field, refusal.reason) from refusal
        after_commit()
        return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)

    @router.get("/beneficiaries", response_model=BeneficiaryPage, summary="List beneficiaries (paginated, filterable)")
    def list_(
        db: SessionDep,
        who: Staff,
        region: Region | None = None,
        partner_organisation: str | None = None,
        legal_status: LegalStatus | None = None,
        registered_from: date | None = None,
        registered_to: date | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> BeneficiaryPage:
        if not who.sees_every_organisation:
            if partner_organisation not in (None, who.organisation):
                raise HTTPException(403, detail="caseworkers see only their organisation's people")
            partner_organisation = who.organisation
        filters = handlers.BeneficiaryFilter(region, partner_organisation, legal_status, registered_from, registered_to)
        items, total = handlers.list_beneficiaries(db, filters, limit, offset)
        audit.record(db, who, "list", [b.beneficiary_id for b in items])
        db.commit()
        return BeneficiaryPage(
            items=[BeneficiaryPublic.model_validate(b, from_attributes=True) for b in items],
            total=total,
            limit=limit,
            offset=offset,
        )

    @router.get(
        "/beneficiaries/{beneficiary_id}",
        response_model=BeneficiaryPublic,
        summary="One beneficiary",
        responses={404: {"description": "No beneficiary with this id that the caller may see"}},
    )
    def get(beneficiary_id: UUID, db: SessionDep, who: Staff) -> BeneficiaryPublic:
        beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
        audit.record(db, who, "read", [beneficiary.beneficiary_id])
        db.commit()
        return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)

    @router.get("/audit", response_model=AuditPage, tags=["audit"], summary="Who accessed which record (admins)")
    def audit_log(
        db: SessionDep,
        who: Annotated[Principal, Depends(require(Role.ADMIN))],
        beneficiary_id: UUID | None = None,
        subject: str | None = None,
        action: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> AuditPage:
        items, total = audit.entries(db, audit.AuditFilter(beneficiary_id, subject, action), limit, offset)
        return AuditPage(
            items=[
                AuditEntryPublic(
                    at=e.at.isoformat(),
                    subject=e.subject,
                    role=e.role,
                    organisation=e.organisation,
                    action=e.action,
                    beneficiary_id=e.beneficiary_id,
                )
                for e in items
            ],
            total=total,
            limit=limit,
            offset=offset,
        )

    return router
