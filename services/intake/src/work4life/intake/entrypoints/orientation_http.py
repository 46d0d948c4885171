"""HTTP routes for skills assessments, referrals and outreach sessions."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from work4life.contracts.intake import (
    Aspiration,
    DigitalSkills,
    EducationLevel,
    OutreachTopic,
    ProgrammeService,
    ReferralReason,
    ReferralStatus,
    Region,
)
from work4life.runtime.api import Page, SessionDep, Staff
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.errors import Conflict
from work4life.runtime.strict import Day

from ..adapters.orm import Beneficiary
from ..domain.model import LanguageSkill
from ..domain.orientation import AssessmentRequest, OccupationRequest, OutreachRequest, ReferralRequest
from ..service_layer import audit, handlers, orientation
from . import WorkDep
from .http import changeable, visible


class AssessmentPublic(BaseModel):
    assessment_id: UUID
    assessed_on: date
    languages: list[LanguageSkill]
    education_level: EducationLevel | None
    occupations: list[OccupationRequest]
    skills: list[str]
    digital_skills: DigitalSkills
    aspirations: list[Aspiration]
    notes: str | None
    assessed_by: str


class ReferralPublic(BaseModel):
    referral_id: UUID
    beneficiary_id: UUID
    service: ProgrammeService | None
    organisation: str | None
    reason: ReferralReason
    note: str | None
    status: ReferralStatus
    made_on: date
    made_by: str
    status_changed_on: date | None


ReferralPage = Page[ReferralPublic]


class ReferralStatusUpdate(BaseModel):
    status: ReferralStatus


class OutreachPublic(BaseModel):
    session_id: UUID
    campaign: str
    held_on: date
    region: Region
    city: str
    topic: OutreachTopic
    partner_organisation: str
    people_reached: int
    registered_attendees: list[UUID]
    recorded_by: str


OutreachPage = Page[OutreachPublic]


def referral_out(referral, beneficiary_id: UUID) -> ReferralPublic:
    return ReferralPublic.model_validate({**referral.model_dump(), "beneficiary_id": beneficiary_id})


router = APIRouter(prefix="/v1")


@router.post(
    "/beneficiaries/{beneficiary_id}/assessments",
    response_model=AssessmentPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["orientation"],
    summary="Record a skills assessment",
)
def assess(uow: WorkDep, beneficiary_id: UUID, body: AssessmentRequest, db: SessionDep, who: Staff) -> AssessmentPublic:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    assessment = orientation.record_assessment(uow, beneficiary, body)
    return AssessmentPublic.model_validate(assessment, from_attributes=True)


@router.get(
    "/beneficiaries/{beneficiary_id}/assessments",
    response_model=list[AssessmentPublic],
    tags=["orientation"],
    summary="A beneficiary's skills assessments, newest first",
)
def assessments(beneficiary_id: UUID, db: SessionDep, who: Staff) -> list[AssessmentPublic]:
    beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    found = [
        AssessmentPublic.model_validate(a, from_attributes=True) for a in orientation.assessments_of(db, beneficiary)
    ]
    audit.record(db, who, "read_assessments", [beneficiary.beneficiary_id])
    db.commit()
    return found


@router.post(
    "/beneficiaries/{beneficiary_id}/referrals",
    response_model=ReferralPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["orientation"],
    summary="Refer a beneficiary to a programme service or an outside organisation (needs consent)",
    responses={409: {"description": "No active consent to this referral"}},
)
def refer(uow: WorkDep, beneficiary_id: UUID, body: ReferralRequest, db: SessionDep, who: Staff) -> ReferralPublic:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    referral = orientation.refer(uow, beneficiary, body)
    return referral_out(referral, beneficiary.beneficiary_id)


@router.get(
    "/referrals",
    response_model=ReferralPage,
    tags=["orientation"],
    summary="Referrals (paginated; filter by status, service, organisation, beneficiary)",
)
def list_referrals(
    db: SessionDep,
    who: Staff,
    beneficiary_id: UUID | None = None,
    referral_status: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    service: ProgrammeService | None = None,
    organisation: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ReferralPage:
    beneficiary = None
    if beneficiary_id is not None:
        beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    rows, total = orientation.referrals(
        db,
        beneficiary=beneficiary,
        status=referral_status,
        service=service.value if service else None,
        organisation=organisation,
        partner_organisation=None if who.sees_every_organisation else who.organisation,
        limit=limit,
        offset=offset,
    )
    page = ReferralPage(items=[referral_out(r, b) for r, b in rows], total=total, limit=limit, offset=offset)
    audit.record(db, who, "list_referrals", dict.fromkeys(item.beneficiary_id for item in page.items))
    db.commit()
    return page


@router.post(
    "/referrals/{referral_id}/status",
    response_model=ReferralPublic,
    tags=["orientation"],
    summary="Record the outcome of a referral to an outside organisation, or cancel a referral",
    responses={409: {"description": "Not a step this referral can take"}},
)
def referral_status(
    uow: WorkDep, referral_id: UUID, body: ReferralStatusUpdate, db: SessionDep, who: Staff
) -> ReferralPublic:
    referral = orientation.referral_by_id(db, referral_id)
    if referral is None or not who.may_see(referral.partner_organisation):
        raise HTTPException(404, detail=f"no referral {referral_id}")
    if referral.service is not None and body.status is not ReferralStatus.CANCELLED:
        raise Conflict(
            f"the {referral.service.value} service answers this referral itself; it can only be cancelled here",
            code="answered_by_service",
            values={"service": referral.service},
        )
    referral = orientation.change_referral_status(uow, referral, body.status)
    beneficiary = db.get_one(Beneficiary, referral.beneficiary_pk)
    return referral_out(referral, beneficiary.beneficiary_id)


@router.post(
    "/outreach-sessions",
    response_model=OutreachPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["outreach"],
    summary="Record an information session of a campaign (indicators 3.3 and 3.11)",
)
def record_outreach(uow: WorkDep, body: OutreachRequest, who: Staff) -> OutreachPublic:
    try:
        outreach = orientation.record_outreach(uow, body)
    except PermissionError as denied:
        raise HTTPException(403, detail=str(denied)) from denied
    return OutreachPublic.model_validate(outreach, from_attributes=True)


@router.get(
    "/outreach-sessions",
    response_model=OutreachPage,
    tags=["outreach"],
    summary="Information sessions (paginated; filter by region, campaign, dates)",
)
def list_outreach(
    db: SessionDep,
    who: Annotated[Principal, Depends(require(*Role))],
    region: Region | None = None,
    campaign: str | None = None,
    held_from: Day | None = None,
    held_to: Day | None = None,
    partner_organisation: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> OutreachPage:
    items, total = orientation.outreach_sessions(
        db,
        region=region.value if region else None,
        campaign=campaign,
        held_from=held_from,
        held_to=held_to,
        partner_organisation=partner_organisation,
        limit=limit,
        offset=offset,
    )
    page = OutreachPage(
        items=[OutreachPublic.model_validate(o, from_attributes=True) for o in items],
        total=total,
        limit=limit,
        offset=offset,
    )
    # Who attended an information session is personal data, even as a pseudonymous id.
    attendees = dict.fromkeys(a for item in page.items for a in item.registered_attendees)
    audit.record(db, who, "list_outreach", attendees)
    db.commit()
    return page
