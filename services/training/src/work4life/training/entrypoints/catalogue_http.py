"""HTTP routes of the catalogue: courses, cohorts and their sessions, and certificate checks."""

from datetime import date, time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel
from sqlmodel import Session, col, select

from work4life.contracts.intake import Region
from work4life.contracts.training import CourseKind, Sector
from work4life.runtime.api import Limit, Offset, Page, Reader, SessionDep, Staff
from work4life.runtime.http import refused
from work4life.runtime.strict import Day

from ..adapters.orm import Cohort, Course, Enrolment
from ..domain.model import (
    CohortRequest,
    CohortStatus,
    CohortUpdate,
    CompletionRule,
    CourseRequest,
    CourseUpdate,
    EnrolmentStatus,
    SessionRequest,
    certificate_number_problem,
)
from ..service_layer import catalogue, enrolment
from . import WorkDep


class CoursePublic(BaseModel):
    course_id: UUID
    title: str
    kind: CourseKind
    provider: str
    hours: int
    certifying: bool
    sector: Sector
    description: str | None
    organisation: str
    completion_rule: CompletionRule
    active: bool


CoursePage = Page[CoursePublic]


class SessionPublic(BaseModel):
    session_id: UUID
    held_on: date
    starts_at: time | None
    hours: float
    topic: str | None


class CohortPublic(BaseModel):
    cohort_id: UUID
    course_id: UUID
    course_title: str
    kind: CourseKind
    label: str
    starts_on: date
    ends_on: date
    region: Region
    place: str
    capacity: int
    trainer: str
    status: CohortStatus
    organisation: str
    enrolled: int
    waiting: int
    completed: int
    dropped_out: int
    seats_left: int
    sessions: int
    finished_on: date | None


CohortPage = Page[CohortPublic]


class CertificateCheck(BaseModel):
    certificate_number: str
    valid: bool
    course_title: str
    course_kind: CourseKind
    provider: str
    hours: int
    completed_on: date
    organisation: str
    region: Region


def course_out(course: Course) -> CoursePublic:
    return CoursePublic.model_validate(
        {**course.model_dump(), "completion_rule": course.completion_rule}, from_attributes=True
    )


def cohort_out(session: Session, cohort: Cohort, course: Course) -> CohortPublic:
    taken = catalogue.seats(session, cohort)
    return CohortPublic(
        **cohort.model_dump(exclude={"id", "course_pk", "created_at", "created_by", "revision"}),
        course_id=course.course_id,
        course_title=course.title,
        kind=course.kind,
        enrolled=taken.enrolled,
        waiting=taken.waitlisted,
        completed=taken.completed,
        dropped_out=taken.dropped_out,
        seats_left=taken.left(cohort.capacity),
        sessions=enrolment.session_count(session, cohort),
    )


router = APIRouter(prefix="/v1")

# -- courses -----------------------------------------------------------------------------


@router.post(
    "/courses",
    response_model=CoursePublic,
    status_code=status.HTTP_201_CREATED,
    tags=["catalogue"],
    summary="Add a course to the catalogue (with its completion rule; default 80% attendance and a passed test)",
)
def create_course(uow: WorkDep, body: CourseRequest, who: Staff) -> CoursePublic:
    return course_out(catalogue.create_course(uow, body))


@router.get(
    "/courses",
    response_model=CoursePage,
    tags=["catalogue"],
    summary="Courses (paginated; filter by kind, sector, organisation, active, text in title or provider)",
)
def list_courses(
    db: SessionDep,
    who: Reader,
    kind: CourseKind | None = None,
    sector: Sector | None = None,
    organisation: Annotated[str | None, Query(max_length=50)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the title or the provider")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CoursePage:
    rows, total = catalogue.courses(
        db, kind=kind, sector=sector, organisation=organisation, active=active, text=q, limit=limit, offset=offset
    )
    return CoursePage(items=[course_out(c) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/courses/{course_id}", response_model=CoursePublic, tags=["catalogue"], summary="One course")
def get_course(course_id: UUID, db: SessionDep, who: Reader) -> CoursePublic:
    return course_out(catalogue.course_by_id(db, course_id))


@router.patch(
    "/courses/{course_id}",
    response_model=CoursePublic,
    tags=["catalogue"],
    summary="Change a course (the completion rule applies to completions decided from now on)",
)
def update_course(uow: WorkDep, course_id: UUID, body: CourseUpdate, db: SessionDep, who: Staff) -> CoursePublic:
    course = catalogue.course_by_id(db, course_id)
    return course_out(catalogue.update_course(uow, course, body))


# -- cohorts -----------------------------------------------------------------------------


@router.post(
    "/courses/{course_id}/cohorts",
    response_model=CohortPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["catalogue"],
    summary="Open a cohort of a course, with its schedule of sessions",
)
def create_cohort(uow: WorkDep, course_id: UUID, body: CohortRequest, db: SessionDep, who: Staff) -> CohortPublic:
    course = catalogue.course_by_id(db, course_id)
    cohort = catalogue.create_cohort(uow, course, body)
    return cohort_out(db, cohort, course)


@router.get(
    "/cohorts",
    response_model=CohortPage,
    tags=["catalogue"],
    summary="Cohorts, latest start first (paginated; filter by course, kind, region, status, organisation, start)",
)
def list_cohorts(
    db: SessionDep,
    who: Reader,
    course_id: UUID | None = None,
    kind: CourseKind | None = None,
    region: Region | None = None,
    cohort_status: Annotated[CohortStatus | None, Query(alias="status")] = None,
    organisation: Annotated[str | None, Query(max_length=50)] = None,
    starts_from: Day | None = None,
    starts_until: Day | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CohortPage:
    rows, total = catalogue.cohorts(
        db,
        course_id=course_id,
        kind=kind,
        region=region,
        status=cohort_status,
        organisation=organisation,
        starts_from=starts_from,
        starts_until=starts_until,
        limit=limit,
        offset=offset,
    )
    return CohortPage(items=[cohort_out(db, c, k) for c, k in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/cohorts/{cohort_id}", response_model=CohortPublic, tags=["catalogue"], summary="One cohort, with its seats"
)
def get_cohort(cohort_id: UUID, db: SessionDep, who: Reader) -> CohortPublic:
    cohort, course = catalogue.cohort_by_id(db, cohort_id)
    return cohort_out(db, cohort, course)


@router.patch(
    "/cohorts/{cohort_id}",
    response_model=CohortPublic,
    tags=["catalogue"],
    summary="Change a cohort: capacity (more seats go to the waiting list), trainer, place, or status "
    "(open, enrolment_closed, cancelled)",
)
def update_cohort(uow: WorkDep, cohort_id: UUID, body: CohortUpdate, db: SessionDep, who: Staff) -> CohortPublic:
    cohort, course = catalogue.cohort_by_id(db, cohort_id)
    cohort = enrolment.update_cohort(uow, cohort, course, body)
    return cohort_out(db, cohort, course)


@router.get(
    "/cohorts/{cohort_id}/sessions",
    response_model=list[SessionPublic],
    tags=["catalogue"],
    summary="A cohort's schedule of sessions",
)
def list_sessions(cohort_id: UUID, db: SessionDep, who: Reader) -> list[SessionPublic]:
    cohort, _ = catalogue.cohort_by_id(db, cohort_id)
    return [SessionPublic.model_validate(s, from_attributes=True) for s in catalogue.sessions_of(db, cohort)]


@router.post(
    "/cohorts/{cohort_id}/sessions",
    response_model=SessionPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["catalogue"],
    summary="Add a session to a cohort's schedule",
)
def add_session(uow: WorkDep, cohort_id: UUID, body: SessionRequest, db: SessionDep, who: Staff) -> SessionPublic:
    cohort, _ = catalogue.cohort_by_id(db, cohort_id)
    return SessionPublic.model_validate(catalogue.add_session(uow, cohort, body), from_attributes=True)


# -- certificates ------------------------------------------------------------------------


@router.get(
    "/certificates/{certificate_number}",
    response_model=CertificateCheck,
    tags=["certificates"],
    summary="Check a certificate number (open to anyone, e.g. an employer; shows the course, never the person)",
    responses={404: {"description": "No certificate has this number"}, 422: {"description": "Not well formed"}},
)
def check_certificate(certificate_number: str, db: SessionDep) -> CertificateCheck:
    problem = certificate_number_problem(certificate_number)
    if problem:
        raise refused("certificate_number", problem)
    number = certificate_number.strip().upper()
    row = db.exec(
        select(Enrolment, Cohort, Course)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_pk)
        .join(Course, col(Course.id) == Cohort.course_pk)
        .where(Enrolment.certificate_number == number)
    ).first()
    if row is None:
        raise HTTPException(404, detail=f"no certificate {number} was issued here")
    place, cohort, course = row
    return CertificateCheck(
        certificate_number=number,
        valid=place.status is EnrolmentStatus.COMPLETED,
        course_title=course.title,
        course_kind=course.kind,
        provider=course.provider,
        hours=course.hours,
        completed_on=place.completed_on,
        organisation=cohort.organisation,
        region=cohort.region,
    )
