"""HTTP routes of candidates, enrolment, attendance, assessment, completion and dropouts.

A caseworker works on their organisation's cohorts; the pool of candidates (referrals to
training, pseudonymous) is open to every training caseworker so they can fill their cohorts.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import Session

from work4life.contracts.training import CourseKind, DropoutReason
from work4life.referrals.http import CandidatePage, candidate_routes, page_of
from work4life.runtime.api import Limit, Offset, Page, SessionDep, Staff
from work4life.runtime.auth import Principal

from ..adapters.orm import Cohort, Enrolment
from ..domain.model import (
    AttendanceMark,
    AttendanceSheet,
    CandidateStatus,
    DropoutRequest,
    EnrolmentStatus,
    EnrolRequest,
    FinalAssessment,
    attendance_rate,
)
from ..service_layer import catalogue, enrolment, people
from . import WorkDep


class EnrolmentPublic(BaseModel):
    enrolment_id: UUID
    cohort_id: UUID
    beneficiary_id: UUID
    referral_id: UUID | None
    status: EnrolmentStatus
    waiting_position: int | None
    enrolled_on: date | None
    from_waiting_list: bool
    sessions_attended: int
    attendance_rate: float
    final_score: int | None
    final_passed: bool | None
    completed_on: date | None
    certificate_number: str | None
    dropped_on: date | None
    dropout_reason: DropoutReason | None


EnrolmentPage = Page[EnrolmentPublic]


class PersonEnrolment(EnrolmentPublic):
    course_title: str
    course_kind: CourseKind
    cohort_label: str


class MarkPublic(BaseModel):
    beneficiary_id: UUID
    mark: AttendanceMark
    recorded_by: str
    recorded_at: datetime


class CorrectionPublic(BaseModel):
    beneficiary_id: UUID
    previous_mark: AttendanceMark
    new_mark: AttendanceMark
    reason: str | None
    corrected_by: str
    corrected_at: datetime


class SheetPublic(BaseModel):
    session_id: UUID
    held_on: date
    marks: list[MarkPublic]
    recorded: int
    corrected: int
    not_on_sheet: list[UUID]


class ClosingPublic(BaseModel):
    cohort_id: UUID
    completed: int
    certificates: int
    not_completed: int
    waiting_list_cancelled: int


def enrolment_out(db: Session, place: Enrolment, cohort: Cohort, sessions: int | None = None) -> EnrolmentPublic:
    sessions = enrolment.session_count(db, cohort) if sessions is None else sessions
    attended = enrolment.attended_count(db, place)
    return EnrolmentPublic(
        **place.model_dump(exclude={"id", "cohort_pk"}),
        cohort_id=cohort.cohort_id,
        waiting_position=enrolment.waiting_position(db, place),
        sessions_attended=attended,
        attendance_rate=attendance_rate(attended, sessions),
    )


router = APIRouter(prefix="/v1")


def cohort_in_scope(db: Session, cohort_id: UUID, who: Principal) -> tuple:
    cohort, course = catalogue.cohort_by_id(db, cohort_id)
    if not who.may_see(cohort.organisation):
        raise HTTPException(404, detail=f"no cohort {cohort_id}")
    return cohort, course


# -- candidates --------------------------------------------------------------------------


def by_kind(
    kind: Annotated[CourseKind | None, Query(description="Only referrals whose reason suits this kind")] = None,
) -> list[ColumnElement[bool]]:
    return people.suiting(kind)


router.include_router(
    candidate_routes(
        people.desk,
        list_summary="Referrals to training, oldest first (paginated; filter by status, region, course kind, person)",
        decline_summary="Decline a pending referral (intake hears of it)",
        filters=by_kind,
    )
)


@router.get(
    "/cohorts/{cohort_id}/candidates",
    response_model=CandidatePage,
    tags=["candidates"],
    summary="Pending candidates for a cohort: referrals whose reason suits its course, "
    "from its region unless any_region=true",
)
def cohort_candidates(
    cohort_id: UUID,
    db: SessionDep,
    who: Staff,
    any_region: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CandidatePage:
    cohort, course = cohort_in_scope(db, cohort_id, who)
    rows, total = people.desk.candidates(
        db,
        status=CandidateStatus.PENDING,
        region=None if any_region else cohort.region,
        beneficiary_id=None,
        limit=limit,
        offset=offset,
        also=people.suiting(course.kind),
    )
    return page_of(rows, total, limit, offset)


# -- enrolment ---------------------------------------------------------------------------


@router.post(
    "/cohorts/{cohort_id}/enrolments",
    response_model=EnrolmentPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["enrolment"],
    summary="Enrol a referred person (or put them on the waiting list with join_waiting_list=true)",
    responses={409: {"description": "Full or closed cohort, an overlapping enrolment, or no referral"}},
)
def enrol(uow: WorkDep, cohort_id: UUID, body: EnrolRequest, db: SessionDep, who: Staff) -> EnrolmentPublic:
    cohort, course = cohort_in_scope(db, cohort_id, who)
    place = enrolment.enrol(uow, cohort, course, body)
    return enrolment_out(db, place, cohort)


@router.get(
    "/cohorts/{cohort_id}/enrolments",
    response_model=EnrolmentPage,
    tags=["enrolment"],
    summary="A cohort's class list and waiting list, in order of request (paginated; filter by status)",
)
def list_enrolments(
    cohort_id: UUID,
    db: SessionDep,
    who: Staff,
    enrolment_status: Annotated[EnrolmentStatus | None, Query(alias="status")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> EnrolmentPage:
    cohort, _ = cohort_in_scope(db, cohort_id, who)
    rows, total = enrolment.enrolments_of(db, cohort, enrolment_status, limit, offset)
    sessions = enrolment.session_count(db, cohort)
    return EnrolmentPage(
        items=[enrolment_out(db, e, cohort, sessions) for e in rows], total=total, limit=limit, offset=offset
    )


@router.get(
    "/beneficiaries/{beneficiary_id}/enrolments",
    response_model=list[PersonEnrolment],
    tags=["enrolment"],
    summary="One person's enrolments in your organisation's cohorts, latest first",
)
def person_enrolments(beneficiary_id: UUID, db: SessionDep, who: Staff) -> list[PersonEnrolment]:
    return [
        PersonEnrolment(
            **enrolment_out(db, place, cohort).model_dump(),
            course_title=course.title,
            course_kind=course.kind,
            cohort_label=cohort.label,
        )
        for place, cohort, course in enrolment.enrolments_of_person(db, beneficiary_id, who)
    ]


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentPublic, tags=["enrolment"], summary="One enrolment")
def get_enrolment(enrolment_id: UUID, db: SessionDep, who: Staff) -> EnrolmentPublic:
    place, cohort, _ = enrolment.enrolment_by_id(db, enrolment_id, who)
    return enrolment_out(db, place, cohort)


@router.post(
    "/enrolments/{enrolment_id}/dropout",
    response_model=EnrolmentPublic,
    tags=["enrolment"],
    summary="Record a dropout with its reason (the seat goes to the next on the waiting list), "
    "or take someone off the waiting list",
)
def drop_out(uow: WorkDep, enrolment_id: UUID, body: DropoutRequest, db: SessionDep, who: Staff) -> EnrolmentPublic:
    place, cohort, course = enrolment.enrolment_by_id(db, enrolment_id, who)
    place = enrolment.drop_out(uow, place, cohort, course, body)
    return enrolment_out(db, place, cohort)


@router.put(
    "/enrolments/{enrolment_id}/final-assessment",
    response_model=EnrolmentPublic,
    tags=["completion"],
    summary="Record (or re-record after a retake) the final assessment's score",
)
def final_assessment(
    uow: WorkDep, enrolment_id: UUID, body: FinalAssessment, db: SessionDep, who: Staff
) -> EnrolmentPublic:
    place, cohort, course = enrolment.enrolment_by_id(db, enrolment_id, who)
    place = enrolment.record_final_assessment(uow, place, cohort, course, body)
    return enrolment_out(db, place, cohort)


@router.post(
    "/enrolments/{enrolment_id}/complete",
    response_model=EnrolmentPublic,
    tags=["completion"],
    summary="Decide completion under the course's rule; a certifying course issues a certificate",
    responses={409: {"description": "The rule is not met; `errors` names each unmet condition"}},
)
def complete(uow: WorkDep, enrolment_id: UUID, db: SessionDep, who: Staff) -> EnrolmentPublic:
    place, cohort, course = enrolment.enrolment_by_id(db, enrolment_id, who)
    place = enrolment.complete(uow, place, cohort, course)
    return enrolment_out(db, place, cohort)


@router.post(
    "/cohorts/{cohort_id}/close",
    response_model=ClosingPublic,
    tags=["completion"],
    summary="Finish a cohort after its last day: everyone still enrolled completes or not under the rule",
)
def close(uow: WorkDep, cohort_id: UUID, db: SessionDep, who: Staff) -> ClosingPublic:
    cohort, course = cohort_in_scope(db, cohort_id, who)
    closing = enrolment.close_cohort(uow, cohort, course)
    return ClosingPublic(cohort_id=cohort.cohort_id, **closing.__dict__)


# -- attendance --------------------------------------------------------------------------


def sheet_out(db: Session, class_session, result: enrolment.SheetResult | None = None) -> SheetPublic:
    marks = enrolment.attendance_of(db, class_session)
    return SheetPublic(
        session_id=class_session.session_id,
        held_on=class_session.held_on,
        marks=[
            MarkPublic(beneficiary_id=who, **a.model_dump(include={"mark", "recorded_by", "recorded_at"}))
            for who, a in marks
        ],
        recorded=result.recorded if result else len(marks),
        corrected=result.corrected if result else 0,
        not_on_sheet=result.not_on_sheet if result else [],
    )


@router.put(
    "/cohorts/{cohort_id}/sessions/{session_id}/attendance",
    response_model=SheetPublic,
    tags=["attendance"],
    summary="Enter one session's register for the whole class; sending it again corrects it (audited)",
    description="With an `Idempotency-Key` header (the staff application makes one on the tablet for each "
    "roll-call, so that one taken offline is sent exactly once), a register sent again with the same key answers "
    "200 with the register as it stands and the header `Idempotent-Replayed: true`: nothing is entered twice, and "
    "a correction made in between is not undone.",
    responses={
        404: {"description": "No such session in this cohort"},
        422: {"description": "A listed person holds no seat, or the session is in the future"},
    },
)
def enter_attendance(
    uow: WorkDep,
    cohort_id: UUID,
    session_id: UUID,
    body: AttendanceSheet,
    response: Response,
    db: SessionDep,
    who: Staff,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=r"^[\x21-\x7e]{8,100}$",
            description="A key made by the client for this register (8 to 100 printable ASCII characters, e.g. a "
            "UUID); a register sent with a key already used is not entered again.",
        ),
    ] = None,
) -> SheetPublic:
    cohort, _ = cohort_in_scope(db, cohort_id, who)
    class_session = enrolment.class_session_of(db, cohort, session_id)
    try:
        result = enrolment.record_attendance(uow, cohort, class_session, body, idempotency_key)
    except enrolment.SheetAlreadyEntered:
        db.rollback()
        response.headers["Idempotent-Replayed"] = "true"
        return sheet_out(db, class_session)
    return sheet_out(db, class_session, result)


@router.get(
    "/cohorts/{cohort_id}/sessions/{session_id}/attendance",
    response_model=SheetPublic,
    tags=["attendance"],
    summary="One session's register",
)
def get_attendance(cohort_id: UUID, session_id: UUID, db: SessionDep, who: Staff) -> SheetPublic:
    cohort, _ = cohort_in_scope(db, cohort_id, who)
    class_session = enrolment.class_session_of(db, cohort, session_id)
    return sheet_out(db, class_session)


@router.get(
    "/cohorts/{cohort_id}/sessions/{session_id}/attendance/corrections",
    response_model=list[CorrectionPublic],
    tags=["attendance"],
    summary="The audit trail of one session's corrected marks",
)
def corrections(cohort_id: UUID, session_id: UUID, db: SessionDep, who: Staff) -> list[CorrectionPublic]:
    cohort, _ = cohort_in_scope(db, cohort_id, who)
    class_session = enrolment.class_session_of(db, cohort, session_id)
    return [
        CorrectionPublic(beneficiary_id=who_, **c.model_dump(exclude={"id", "attendance_pk"}))
        for who_, c in enrolment.corrections_of(db, class_session)
    ]
