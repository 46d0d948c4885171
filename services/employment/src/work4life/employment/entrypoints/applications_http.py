"""HTTP routes of candidates, applications, hires, placements, retention checks and job fairs."""

from datetime import date, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel
from sqlmodel import Session

from work4life.contracts.employment import ContractType, LeftReason, RetentionOutcome, WageBand
from work4life.contracts.intake import Region
from work4life.referrals.http import candidate_routes
from work4life.runtime.api import Limit, Offset, Page, SessionDep, Staff

from ..adapters.orm import JobApplication, JobFair, Placement
from ..domain.model import (
    NEXT_STEPS,
    ApplicationRequest,
    ApplicationStatus,
    CheckStatus,
    FairAttendance,
    HireRequest,
    JobFairRequest,
    RejectionReason,
    RetentionRequest,
    StepRequest,
)
from ..service_layer import applications, employers, fairs, people
from . import ContextDep, WorkDep


class ApplicationPublic(BaseModel):
    application_id: UUID
    offer_id: UUID
    beneficiary_id: UUID
    status: ApplicationStatus
    next_steps: list[ApplicationStatus]
    score: float | None
    shortlisted_on: date
    interviewed_on: date | None
    decided_on: date | None
    rejection_reason: RejectionReason | None
    note: str | None


ApplicationPage = Page[ApplicationPublic]


class CheckPublic(BaseModel):
    months_after_start: int
    due_on: date
    status: CheckStatus
    checked_on: date | None
    outcome: RetentionOutcome | None
    left_reason: LeftReason | None
    left_on: date | None
    note: str | None


class PlacementPublic(BaseModel):
    placement_id: UUID
    beneficiary_id: UUID
    offer_id: UUID
    offer_title: str
    employer_id: UUID
    employer_name: str
    contract_type: ContractType
    starts_on: date
    hours_per_week: int
    wage_band: WageBand
    left_on: date | None
    retention_checks: list[CheckPublic]


PlacementPage = Page[PlacementPublic]


class DueCheck(BaseModel):
    placement_id: UUID
    beneficiary_id: UUID
    employer_name: str
    offer_title: str
    months_after_start: int
    due_on: date
    days_overdue: int


DueCheckPage = Page[DueCheck]


class FairPublic(BaseModel):
    fair_id: UUID
    name: str
    held_on: date
    region: Region
    city: str
    venue: str | None
    organisation: str
    closed_on: date | None
    employers: int
    registered_attendees: int
    other_attendees: int
    interviews: int
    hires: int


FairPage = Page[FairPublic]


def application_out(application: JobApplication, offer_id: UUID) -> ApplicationPublic:
    return ApplicationPublic(
        **application.model_dump(exclude={"id", "offer_pk", "referral_id", "job_fair_pk", "created_by", "anonymised"}),
        offer_id=offer_id,
        next_steps=list(NEXT_STEPS[application.status]),
    )


def placement_out(db: Session, placement: Placement, offer, employer) -> PlacementPublic:
    db.refresh(placement)  # a use case may have committed since it was read
    return PlacementPublic(
        **placement.model_dump(exclude={"id", "application_pk", "offer_pk", "job_fair_pk", "created_by", "anonymised"}),
        offer_id=offer.offer_id,
        offer_title=offer.title,
        employer_id=employer.employer_id,
        employer_name=employer.name,
        retention_checks=[
            CheckPublic.model_validate(c, from_attributes=True) for c in applications.checks_of(db, placement)
        ],
    )


def fair_out(db: Session, fair: JobFair) -> FairPublic:
    figures = fairs.figures(db, fair)
    return FairPublic(
        **fair.model_dump(exclude={"id", "revision", "created_by", "other_attendees"}),
        employers=figures.employers,
        registered_attendees=len(figures.attendees),
        other_attendees=figures.other_attendees,
        interviews=figures.interviews,
        hires=figures.hires,
    )


router = APIRouter(prefix="/v1")

router.include_router(
    candidate_routes(
        people.desk,
        list_summary="Referrals to employment, oldest first (paginated; filter by status, region, person)",
        decline_summary="Decline a pending referral (intake hears of it)",
    )
)


# -- applications ------------------------------------------------------------------------


@router.post(
    "/offers/{offer_id}/applications",
    response_model=ApplicationPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["applications"],
    summary="Shortlist a person of the pool for an offer (their referral is accepted)",
    responses={409: {"description": "Offer not open, no standing referral, or already applied"}},
)
def apply(uow: WorkDep, offer_id: UUID, body: ApplicationRequest, db: SessionDep, who: Staff) -> ApplicationPublic:
    offer, employer = employers.offer_by_id(db, offer_id, who)
    application = applications.apply(uow, offer, employer, body)
    return application_out(application, offer_id)


@router.get(
    "/offers/{offer_id}/applications",
    response_model=ApplicationPage,
    tags=["applications"],
    summary="An offer's applications, best match first (paginated; filter by status)",
)
def list_applications(
    offer_id: UUID,
    db: SessionDep,
    who: Staff,
    application_status: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ApplicationPage:
    offer, _ = employers.offer_by_id(db, offer_id, who)
    rows, total = applications.applications_of_offer(db, offer, application_status, limit, offset)
    return ApplicationPage(items=[application_out(a, offer_id) for a in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/applications/{application_id}/steps",
    response_model=ApplicationPublic,
    tags=["applications"],
    summary="Move an application on: interviewed, rejected (with a reason) or withdrawn",
    responses={409: {"description": "Not an allowed next step; the answer names the allowed ones"}},
)
def step(uow: WorkDep, application_id: UUID, body: StepRequest, db: SessionDep, who: Staff) -> ApplicationPublic:
    application, offer, _ = applications.application_by_id(db, application_id, who)
    application = applications.step(uow, application, offer, body)
    return application_out(application, offer.offer_id)


@router.post(
    "/applications/{application_id}/hire",
    response_model=PlacementPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["applications"],
    summary="Hire an interviewed applicant: a placement, with its retention checks scheduled",
    responses={409: {"description": "Not interviewed yet, or every position is filled"}},
)
def hire(uow: WorkDep, application_id: UUID, body: HireRequest, db: SessionDep, who: Staff) -> PlacementPublic:
    application, offer, employer = applications.application_by_id(db, application_id, who)
    placement = applications.hire(uow, application, offer, employer, body)
    return placement_out(db, placement, offer, employer)


# -- placements and retention ------------------------------------------------------------


@router.get(
    "/placements",
    response_model=PlacementPage,
    tags=["placements"],
    summary="Placements, latest start first (paginated; filter by person, employer)",
)
def list_placements(
    db: SessionDep,
    who: Staff,
    beneficiary_id: UUID | None = None,
    employer_id: UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PlacementPage:
    rows, total = applications.placements(db, who, beneficiary_id, employer_id, limit, offset)
    return PlacementPage(
        items=[placement_out(db, p, o, e) for p, o, e in rows], total=total, limit=limit, offset=offset
    )


@router.get("/placements/{placement_id}", response_model=PlacementPublic, tags=["placements"], summary="One placement")
def get_placement(placement_id: UUID, db: SessionDep, who: Staff) -> PlacementPublic:
    placement, offer, employer = applications.placement_by_id(db, placement_id, who)
    return placement_out(db, placement, offer, employer)


@router.put(
    "/placements/{placement_id}/retention/{months}",
    response_model=PlacementPublic,
    tags=["placements"],
    summary="Record (or correct) the retention check due that many months after the start",
)
def record_check(
    uow: WorkDep,
    placement_id: UUID,
    months: Annotated[int, PathParam(ge=1, le=60, description="Months after the start, e.g. 3")],
    body: RetentionRequest,
    db: SessionDep,
    who: Staff,
) -> PlacementPublic:
    placement, offer, employer = applications.placement_by_id(db, placement_id, who)
    applications.record_check(uow, placement, offer, months, body)
    return placement_out(db, placement, offer, employer)


@router.get(
    "/retention-checks/due",
    response_model=DueCheckPage,
    tags=["placements"],
    summary="Retention checks to make: overdue ones by default, or due within `within_days`; oldest first",
)
def due(
    context: ContextDep,
    db: SessionDep,
    who: Staff,
    within_days: Annotated[int, Query(ge=0, le=366)] = 0,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DueCheckPage:
    today = context.today()
    rows, total = applications.due_checks(db, who, today + timedelta(days=within_days), limit, offset)
    items = [
        DueCheck(
            placement_id=p.placement_id,
            beneficiary_id=p.beneficiary_id,
            employer_name=e.name,
            offer_title=o.title,
            months_after_start=c.months_after_start,
            due_on=c.due_on,
            days_overdue=max((today - c.due_on).days, 0),
        )
        for c, p, o, e in rows
    ]
    return DueCheckPage(items=items, total=total, limit=limit, offset=offset)


# -- job fairs ---------------------------------------------------------------------------


@router.post(
    "/job-fairs",
    response_model=FairPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["job fairs"],
    summary="Plan a job fair",
)
def create_fair(uow: WorkDep, body: JobFairRequest, db: SessionDep, who: Staff) -> FairPublic:
    return fair_out(db, fairs.create(uow, body))


@router.get("/job-fairs", response_model=FairPage, tags=["job fairs"], summary="Job fairs, latest first (paginated)")
def list_fairs(db: SessionDep, who: Staff, limit: Limit = 50, offset: Offset = 0) -> FairPage:
    rows, total = fairs.fair_list(db, who, limit, offset)
    return FairPage(items=[fair_out(db, f) for f in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/job-fairs/{fair_id}", response_model=FairPublic, tags=["job fairs"], summary="One job fair and its figures"
)
def get_fair(fair_id: UUID, db: SessionDep, who: Staff) -> FairPublic:
    return fair_out(db, fairs.fair_by_id(db, fair_id, who))


@router.post(
    "/job-fairs/{fair_id}/attendance",
    response_model=FairPublic,
    tags=["job fairs"],
    summary="Add exhibiting employers and registered attendees; set the count of other attendees",
)
def attendance(uow: WorkDep, fair_id: UUID, body: FairAttendance, db: SessionDep, who: Staff) -> FairPublic:
    fair = fairs.record_attendance(uow, fairs.fair_by_id(db, fair_id, who), body)
    return fair_out(db, fair)


@router.post(
    "/job-fairs/{fair_id}/close",
    response_model=FairPublic,
    tags=["job fairs"],
    summary="Close a fair on the day or after and publish its figures (interviews and hires linked to it)",
)
def close_fair(uow: WorkDep, fair_id: UUID, db: SessionDep, who: Staff) -> FairPublic:
    fair = fairs.fair_by_id(db, fair_id, who)
    fairs.close(uow, fair)
    return fair_out(db, fair)
