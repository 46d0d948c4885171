"""HTTP routes of candidates, ventures through the pipeline, members, launch, coaching and
follow-up visits."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlmodel import Session

from work4life.contracts.enterprise import LegalForm, RevenueBand, VentureKind, VentureStage
from work4life.contracts.intake import Region
from work4life.contracts.training import Sector
from work4life.referrals.http import candidate_routes
from work4life.runtime.api import Limit, Offset, Page, SessionDep, Staff
from work4life.runtime.strict import Day

from ..adapters.orm import FollowUpVisit, Venture
from ..domain.model import (
    NEXT_STAGES,
    CoachAssignment,
    CoachingRequest,
    ExitReason,
    FollowUpRequest,
    LaunchRequest,
    LeaveRequest,
    MemberRequest,
    TransitionRequest,
    VentureRequest,
    VisitStatus,
)
from ..service_layer import followups, people, ventures
from . import ContextDep, WorkDep


class MemberPublic(BaseModel):
    beneficiary_id: UUID
    referral_id: UUID | None
    joined_on: date
    left_on: date | None
    left_reason: ExitReason | None


class DecisionPublic(BaseModel):
    from_stage: VentureStage
    to_stage: VentureStage
    decided_on: date
    committee: str
    score: int | None
    notes: str | None
    recorded_by: str


class VenturePublic(BaseModel):
    venture_id: UUID
    name: str
    kind: VentureKind
    sector: Sector
    region: Region
    city: str
    organisation: str
    stage: VentureStage
    next_stages: list[VentureStage]
    stage_changed_on: date
    exit_reason: ExitReason | None
    applied_on: date
    members: list[MemberPublic]
    other_members: int
    already_running: bool = Field(description="An existing business that entered already trading.")
    description: str | None
    legal_form: LegalForm | None
    registered_on: date | None
    premises: str | None
    active: bool | None
    coach: str | None = Field(description="The business coach who follows it and makes its follow-up visits.")
    coaching_hours: Decimal
    selection_decisions: list[DecisionPublic]


class VentureSummary(BaseModel):
    venture_id: UUID
    name: str
    kind: VentureKind
    sector: Sector
    region: Region
    organisation: str
    stage: VentureStage
    next_stages: list[VentureStage] = Field(description="Where the pipeline's rules let it move next.")
    stage_changed_on: date
    applied_on: date
    active: bool | None
    coach: str | None


VenturePage = Page[VentureSummary]


class CoachingPublic(BaseModel):
    held_on: date
    hours: Decimal
    topic: str
    coach: str
    notes: str | None
    recorded_by: str


class VisitPublic(BaseModel):
    visit_id: UUID
    months_after_launch: int
    due_on: date
    status: VisitStatus
    visited_on: date | None
    active: bool | None
    revenue_band: RevenueBand | None
    jobs_owners: int | None
    jobs_employees: int | None
    notes: str | None


class DueVisit(BaseModel):
    venture_id: UUID
    venture_name: str
    region: Region
    organisation: str
    coach: str | None = Field(description="Who makes the visit: the venture's coach (null: nobody named yet).")
    months_after_launch: int
    due_on: date
    days_overdue: int


DueVisitPage = Page[DueVisit]


def venture_out(db: Session, venture: Venture) -> VenturePublic:
    coaching = ventures.coaching_of(db, venture)
    return VenturePublic(
        **venture.model_dump(exclude={"id", "created_at", "created_by", "revision"}),
        next_stages=list(NEXT_STAGES[venture.stage]),
        members=[
            MemberPublic.model_validate(m, from_attributes=True)
            for m in ventures.members_of(db, venture, current_only=False)
        ],
        coaching_hours=(Decimal(sum(c.minutes for c in coaching)) / 60).quantize(Decimal("0.01")),
        selection_decisions=[
            DecisionPublic.model_validate(d, from_attributes=True) for d in ventures.decisions_of(db, venture)
        ],
    )


def visit_out(visit: FollowUpVisit) -> VisitPublic:
    return VisitPublic.model_validate(visit, from_attributes=True)


router = APIRouter(prefix="/v1")

router.include_router(
    candidate_routes(
        people.desk,
        list_summary="Referrals to enterprise support, oldest first (paginated; filter by status, region, person)",
        decline_summary="Decline a pending referral that is in no application (intake hears of it)",
    )
)


# -- ventures ----------------------------------------------------------------------------


@router.post(
    "/ventures",
    response_model=VenturePublic,
    status_code=status.HTTP_201_CREATED,
    tags=["ventures"],
    summary="Record a venture's application (every member must be referred to enterprise support)",
    responses={409: {"description": "A member has no standing referral (with consent)"}},
)
def apply(uow: WorkDep, body: VentureRequest, db: SessionDep, who: Staff) -> VenturePublic:
    venture = ventures.apply(uow, body)
    return venture_out(db, venture)


@router.get(
    "/ventures",
    response_model=VenturePage,
    tags=["ventures"],
    summary="Ventures, latest application first (paginated; filter by stage, kind, region, organisation, "
    "member, coach, application dates)",
)
def list_ventures(
    db: SessionDep,
    who: Staff,
    stage: VentureStage | None = None,
    kind: VentureKind | None = None,
    region: Region | None = None,
    organisation: Annotated[str | None, Query(max_length=50)] = None,
    member: UUID | None = None,
    coach: Annotated[str | None, Query(max_length=200, description="The coach's name, any letter case.")] = None,
    applied_from: Day | None = None,
    applied_until: Day | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> VenturePage:
    rows, total = ventures.ventures(
        db,
        who,
        stage=stage,
        kind=kind,
        region=region,
        organisation=organisation,
        member=member,
        coach=coach,
        applied_from=applied_from,
        applied_until=applied_until,
        limit=limit,
        offset=offset,
    )
    return VenturePage(
        items=[
            VentureSummary.model_validate({**v.model_dump(), "next_stages": list(NEXT_STAGES[v.stage])}) for v in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/ventures/{venture_id}",
    response_model=VenturePublic,
    tags=["ventures"],
    summary="One venture: members, stage and the allowed next stages, selection decisions, coaching hours",
)
def get_venture(venture_id: UUID, db: SessionDep, who: Staff) -> VenturePublic:
    return venture_out(db, ventures.venture_by_id(db, venture_id, who))


@router.post(
    "/ventures/{venture_id}/transitions",
    response_model=VenturePublic,
    tags=["ventures"],
    summary="Move a venture along the pipeline (selection needs the committee's decision; reject and "
    "abandon need a reason)",
    responses={409: {"description": "Not an allowed next stage; the answer names the allowed ones"}},
)
def move(uow: WorkDep, venture_id: UUID, body: TransitionRequest, db: SessionDep, who: Staff) -> VenturePublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    venture = ventures.move(uow, venture, body)
    return venture_out(db, venture)


@router.post(
    "/ventures/{venture_id}/members",
    response_model=VenturePublic,
    tags=["ventures"],
    summary="Add a member (referred to enterprise support) while the venture is in support",
)
def add_member(uow: WorkDep, venture_id: UUID, body: MemberRequest, db: SessionDep, who: Staff) -> VenturePublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    venture = ventures.add_member(uow, venture, body.beneficiary_id)
    return venture_out(db, venture)


@router.post(
    "/ventures/{venture_id}/members/{beneficiary_id}/leave",
    response_model=VenturePublic,
    tags=["ventures"],
    summary="A member leaves (a venture in support left without members is abandoned)",
)
def leave(
    uow: WorkDep, venture_id: UUID, beneficiary_id: UUID, body: LeaveRequest, db: SessionDep, who: Staff
) -> VenturePublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    venture = ventures.leave(uow, venture, beneficiary_id, body)
    return venture_out(db, venture)


@router.post(
    "/ventures/{venture_id}/launch",
    response_model=VenturePublic,
    tags=["ventures"],
    summary="Record the launch (legal form, registration, premises); schedules the follow-up visits",
)
def launch(uow: WorkDep, venture_id: UUID, body: LaunchRequest, db: SessionDep, who: Staff) -> VenturePublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    venture = ventures.launch(uow, venture, body)
    return venture_out(db, venture)


@router.put(
    "/ventures/{venture_id}/coach",
    response_model=VenturePublic,
    tags=["coaching"],
    summary="Name the coach who follows the venture and makes its follow-up visits (null: nobody)",
    responses={409: {"description": "The venture has left the programme"}},
)
def assign_coach(uow: WorkDep, venture_id: UUID, body: CoachAssignment, db: SessionDep, who: Staff) -> VenturePublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    return venture_out(db, ventures.assign_coach(uow, venture, body))


# -- coaching ----------------------------------------------------------------------------


@router.post(
    "/ventures/{venture_id}/coaching",
    response_model=CoachingPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["coaching"],
    summary="Record a coaching session (hours, topic, coach); a venture with no coach named takes this one",
)
def add_coaching(uow: WorkDep, venture_id: UUID, body: CoachingRequest, db: SessionDep, who: Staff) -> CoachingPublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    coaching = ventures.add_coaching(uow, venture, body)
    return CoachingPublic(**coaching.model_dump(), hours=Decimal(coaching.minutes) / 60)


@router.get(
    "/ventures/{venture_id}/coaching",
    response_model=list[CoachingPublic],
    tags=["coaching"],
    summary="A venture's coaching sessions, oldest first",
)
def list_coaching(venture_id: UUID, db: SessionDep, who: Staff) -> list[CoachingPublic]:
    venture = ventures.venture_by_id(db, venture_id, who)
    return [CoachingPublic(**c.model_dump(), hours=Decimal(c.minutes) / 60) for c in ventures.coaching_of(db, venture)]


# -- follow-up visits --------------------------------------------------------------------


@router.get(
    "/ventures/{venture_id}/follow-ups",
    response_model=list[VisitPublic],
    tags=["follow-up"],
    summary="A launched venture's follow-up visits (due, recorded, not needed)",
)
def list_visits(venture_id: UUID, db: SessionDep, who: Staff) -> list[VisitPublic]:
    venture = ventures.venture_by_id(db, venture_id, who)
    return [visit_out(v) for v in followups.visits_of(db, venture)]


@router.put(
    "/ventures/{venture_id}/follow-ups/{months}",
    response_model=VisitPublic,
    tags=["follow-up"],
    summary="Record (or correct) the visit due that many months after launch: active? revenue? jobs?",
)
def record_visit(
    uow: WorkDep,
    venture_id: UUID,
    months: Annotated[int, PathParam(ge=1, le=120, description="Months after launch, e.g. 6 or 12")],
    body: FollowUpRequest,
    db: SessionDep,
    who: Staff,
) -> VisitPublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    visit = followups.record_visit(uow, venture, months, body)
    return visit_out(visit)


@router.get(
    "/follow-ups/due",
    response_model=DueVisitPage,
    tags=["follow-up"],
    summary="Visits to make: overdue ones by default, or due within `within_days`; oldest first (filter by "
    "region, organisation, coach)",
)
def due(
    context: ContextDep,
    db: SessionDep,
    who: Staff,
    within_days: Annotated[int, Query(ge=0, le=366)] = 0,
    region: Region | None = None,
    organisation: Annotated[str | None, Query(max_length=50)] = None,
    coach: Annotated[str | None, Query(max_length=200, description="The coach's name, any letter case.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DueVisitPage:
    today = context.today()
    rows, total = followups.due_visits(
        db,
        who,
        due_before=today + timedelta(days=within_days),
        region=region,
        organisation=organisation,
        coach=coach,
        limit=limit,
        offset=offset,
    )
    items = [
        DueVisit(
            venture_id=venture.venture_id,
            venture_name=venture.name,
            region=venture.region,
            organisation=venture.organisation,
            coach=venture.coach,
            months_after_launch=visit.months_after_launch,
            due_on=visit.due_on,
            days_overdue=max((today - visit.due_on).days, 0),
        )
        for visit, venture in rows
    ]
    return DueVisitPage(items=items, total=total, limit=limit, offset=offset)
