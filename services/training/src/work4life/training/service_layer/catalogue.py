"""Courses, cohorts and their sessions.

Anyone signed in may read the catalogue (it holds nobody's data); a caseworker changes only
their organisation's courses and cohorts, a programme manager or an admin any.
"""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.contracts.intake import Region
from work4life.contracts.training import CourseKind, Sector
from work4life.runtime.auth import Principal
from work4life.runtime.db import key, lock_row, page

from ..adapters.orm import ClassSession, Cohort, Course, Enrolment
from ..domain.model import (
    ACTIVE_COHORT,
    CohortRequest,
    CohortStatus,
    Conflict,
    CourseRequest,
    CourseUpdate,
    EnrolmentStatus,
    NotFound,
    Refused,
    SessionRequest,
    check_session_within,
)
from .context import Work, now


def _may_change(actor: Principal, organisation: str, what: str) -> None:
    if not actor.may_see(organisation):
        raise NotFound(what)


# -- courses ---------------------------------------------------------------------------------


def create_course(uow: Work, request: CourseRequest) -> Course:
    session, actor = uow.session, uow.staff
    organisation = request.organisation or actor.organisation
    if not actor.may_see(organisation):
        raise Refused("organisation", f"you may create courses only for {actor.organisation}")
    rule = request.completion_rule
    course = Course(
        **request.model_dump(exclude={"organisation", "completion_rule"}),
        organisation=organisation,
        min_attendance_percent=rule.min_attendance_percent,
        final_assessment_required=rule.final_assessment_required,
        pass_mark=rule.pass_mark,
        created_at=now(),
        created_by=actor.subject,
    )
    session.add(course)
    uow.commit()
    session.refresh(course)
    return course


def course_by_id(session: Session, course_id: UUID) -> Course:
    course = session.exec(select(Course).where(Course.course_id == course_id)).first()
    if course is None:
        raise NotFound(f"no course {course_id}")
    return course


def update_course(uow: Work, course: Course, changes: CourseUpdate) -> Course:
    session, actor = uow.session, uow.staff
    _may_change(actor, course.organisation, f"no course {course.course_id}")
    values = changes.model_dump(exclude_unset=True, exclude={"completion_rule"})
    for name, value in values.items():
        if value is None and name != "description":
            raise Refused(name, "cannot be emptied")
        setattr(course, name, value)
    if changes.completion_rule is not None:
        course.min_attendance_percent = changes.completion_rule.min_attendance_percent
        course.final_assessment_required = changes.completion_rule.final_assessment_required
        course.pass_mark = changes.completion_rule.pass_mark
    session.add(course)
    uow.commit()
    session.refresh(course)
    return course


def courses(
    session: Session,
    *,
    kind: CourseKind | None,
    sector: Sector | None,
    organisation: str | None,
    active: bool | None,
    text: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Course], int]:
    query = select(Course)
    if kind:
        query = query.where(Course.kind == kind)
    if sector:
        query = query.where(Course.sector == sector)
    if organisation:
        query = query.where(Course.organisation == organisation)
    if active is not None:
        query = query.where(Course.active == active)
    if text:
        typed = text.strip().lower()  # autoescape: "%" and "_" are letters typed, not wildcards
        query = query.where(
            func.lower(Course.title).contains(typed, autoescape=True)
            | func.lower(Course.provider).contains(typed, autoescape=True)
        )
    return page(session, query.order_by(col(Course.title), col(Course.id)), limit, offset)


# -- cohorts ---------------------------------------------------------------------------------


def create_cohort(uow: Work, course: Course, request: CohortRequest) -> Cohort:
    session, actor, programme = uow.session, uow.staff, uow.context.programme
    _may_change(actor, course.organisation, f"no course {course.course_id}")
    programme.check("starts_on", request.starts_on)
    programme.check("ends_on", request.ends_on)
    if not course.active:
        raise Conflict(f"course {course.course_id} is inactive and takes no new cohorts", code="course_inactive")
    cohort = Cohort(
        **request.model_dump(exclude={"sessions"}),
        course_pk=key(course),
        organisation=course.organisation,
        created_at=now(),
        created_by=actor.subject,
    )
    session.add(cohort)
    session.flush()
    for s in sorted(request.sessions, key=lambda s: (s.held_on, s.starts_at or s.held_on.min)):
        session.add(ClassSession(**s.model_dump(), cohort_pk=key(cohort)))
    uow.commit()
    session.refresh(cohort)
    return cohort


def cohort_by_id(session: Session, cohort_id: UUID) -> tuple[Cohort, Course]:
    row = session.exec(
        select(Cohort, Course).join(Course, col(Course.id) == Cohort.course_pk).where(Cohort.cohort_id == cohort_id)
    ).first()
    if row is None:
        raise NotFound(f"no cohort {cohort_id}")
    return row


def lock(session: Session, cohort: Cohort) -> None:
    """Take the cohort's write lock for the rest of the transaction, so that two enrolments
    cannot both take its last seat (a row lock on PostgreSQL, the database lock on SQLite)."""
    lock_row(session, cohort)


@dataclass(frozen=True)
class Seats:
    enrolled: int
    waitlisted: int
    completed: int
    dropped_out: int

    def left(self, capacity: int) -> int:
        return max(capacity - self.enrolled - self.completed, 0)


def seats(session: Session, cohort: Cohort) -> Seats:
    counts = dict(
        session.exec(
            select(Enrolment.status, func.count()).where(Enrolment.cohort_pk == cohort.id).group_by(Enrolment.status)
        ).all()
    )
    return Seats(
        enrolled=counts.get(EnrolmentStatus.ENROLLED, 0),
        waitlisted=counts.get(EnrolmentStatus.WAITLISTED, 0),
        completed=counts.get(EnrolmentStatus.COMPLETED, 0),
        dropped_out=counts.get(EnrolmentStatus.DROPPED_OUT, 0),
    )


def cohorts(
    session: Session,
    *,
    course_id: UUID | None,
    kind: CourseKind | None,
    region: Region | None,
    status: CohortStatus | None,
    organisation: str | None,
    starts_from: date | None,
    starts_until: date | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Cohort, Course]], int]:
    query = select(Cohort, Course).join(Course, col(Course.id) == Cohort.course_pk)
    if course_id:
        query = query.where(Course.course_id == course_id)
    if kind:
        query = query.where(Course.kind == kind)
    if region:
        query = query.where(Cohort.region == region)
    if status:
        query = query.where(Cohort.status == status)
    if organisation:
        query = query.where(Cohort.organisation == organisation)
    if starts_from:
        query = query.where(Cohort.starts_on >= starts_from)
    if starts_until:
        query = query.where(Cohort.starts_on <= starts_until)
    return page(session, query.order_by(col(Cohort.starts_on).desc(), col(Cohort.id).desc()), limit, offset)


def sessions_of(session: Session, cohort: Cohort) -> list[ClassSession]:
    query = select(ClassSession).where(ClassSession.cohort_pk == cohort.id)
    return list(
        session.exec(query.order_by(col(ClassSession.held_on), col(ClassSession.starts_at), col(ClassSession.id)))
    )


def add_session(uow: Work, cohort: Cohort, request: SessionRequest) -> ClassSession:
    session, actor = uow.session, uow.staff
    _may_change(actor, cohort.organisation, f"no cohort {cohort.cohort_id}")
    if cohort.status not in ACTIVE_COHORT:
        raise Conflict(
            f"cohort {cohort.cohort_id} is {cohort.status.value}: its schedule can no longer change",
            code="schedule_settled",
            values={"cohort_status": cohort.status},
        )
    try:
        check_session_within(request, cohort.starts_on, cohort.ends_on, "session")
    except ValueError as outside:
        raise Refused("held_on", str(outside)) from outside
    added = ClassSession(**request.model_dump(), cohort_pk=key(cohort))
    session.add(added)
    uow.commit()
    session.refresh(added)
    return added
