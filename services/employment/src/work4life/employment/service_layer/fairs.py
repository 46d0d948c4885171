"""Job fairs: the exhibiting employers, the registered people who came and a count of the others,
and the interviews and hires linked to the fair. Closing a fair publishes its figures."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.runtime.auth import Principal
from work4life.runtime.db import key, lock_row

from ..adapters import event_mapping
from ..adapters.orm import Employer, JobApplication, JobFair, JobFairAttendee, JobFairEmployer, Placement
from ..domain.model import Conflict, FairAttendance, JobFairRequest, NotFound, Refused
from .context import Work
from .employers import page


def create(uow: Work, request: JobFairRequest) -> JobFair:
    session, actor, programme = uow.session, uow.staff, uow.context.programme
    programme.check("held_on", request.held_on)  # a fair may be planned ahead, within the programme
    fair = JobFair(**request.model_dump(), organisation=actor.organisation, created_by=actor.subject)
    session.add(fair)
    uow.commit()
    session.refresh(fair)
    return fair


def _lock(session: Session, fair: JobFair) -> None:
    lock_row(session, fair)


def record_attendance(uow: Work, fair: JobFair, request: FairAttendance) -> JobFair:
    """Add exhibiting employers and registered attendees (repeats are ignored); set the count of
    the others when given."""
    session, actor = uow.session, uow.staff
    _lock(session, fair)
    if fair.closed_on is not None:
        raise Conflict(
            f"job fair {fair.fair_id} was closed on {fair.closed_on}",
            code="fair_closed",
            values={"closed_on": fair.closed_on},
        )
    known = {e.employer_pk for e in session.exec(select(JobFairEmployer).where(JobFairEmployer.fair_pk == fair.id))}
    for index, employer_id in enumerate(request.employers):
        employer = session.exec(select(Employer).where(Employer.employer_id == employer_id)).first()
        if employer is None or not actor.may_see(employer.organisation):
            raise Refused(f"employers.{index}", f"no employer {employer_id}")
        if employer.id not in known:
            session.add(JobFairEmployer(fair_pk=key(fair), employer_pk=key(employer)))
            known.add(key(employer))
    came = set(session.exec(select(JobFairAttendee.beneficiary_id).where(JobFairAttendee.fair_pk == fair.id)))
    for who in request.attendees:
        if who not in came:
            session.add(JobFairAttendee(fair_pk=key(fair), beneficiary_id=who))
            came.add(who)
    if request.other_attendees is not None:
        fair.other_attendees = request.other_attendees
        session.add(fair)
    uow.commit()
    session.refresh(fair)
    return fair


@dataclass(frozen=True)
class Figures:
    employers: int
    attendees: list[UUID]
    other_attendees: int
    interviews: int
    hires: int


def figures(session: Session, fair: JobFair) -> Figures:
    employers = session.exec(select(func.count()).where(JobFairEmployer.fair_pk == fair.id)).one()
    attendees = list(
        session.exec(
            select(JobFairAttendee.beneficiary_id)
            .where(JobFairAttendee.fair_pk == fair.id)
            .order_by(col(JobFairAttendee.beneficiary_id))
        )
    )
    interviews = session.exec(
        select(func.count()).where(JobApplication.job_fair_pk == fair.id, JobApplication.interviewed_on != None)  # noqa: E711
    ).one()
    hires = session.exec(select(func.count()).where(Placement.job_fair_pk == fair.id)).one()
    return Figures(employers, attendees, fair.other_attendees, interviews, hires)


def close(uow: Work, fair: JobFair) -> Figures:
    session, context = uow.session, uow.context
    _lock(session, fair)
    if fair.closed_on is not None:
        raise Conflict(
            f"job fair {fair.fair_id} was already closed on {fair.closed_on}",
            code="fair_closed",
            values={"closed_on": fair.closed_on},
        )
    if context.today() < fair.held_on:
        raise Conflict(
            f"job fair {fair.fair_id} is on {fair.held_on}: close it on the day or after",
            code="fair_not_held_yet",
            values={"held_on": fair.held_on},
        )
    result = figures(session, fair)
    fair.closed_on = context.today()
    session.add(fair)
    uow.publish(
        event_mapping.job_fair_held(
            fair, result.employers, result.attendees, result.interviews, result.hires, **uow.provenance
        )
    )
    uow.commit()
    return result


def fair_list(session: Session, actor: Principal, limit: int, offset: int) -> tuple[list[JobFair], int]:
    query = select(JobFair)
    if not actor.sees_every_organisation:
        query = query.where(JobFair.organisation == actor.organisation)
    return page(session, query.order_by(col(JobFair.held_on).desc(), col(JobFair.id)), limit, offset)


def fair_by_id(session: Session, fair_id: UUID, actor: Principal) -> JobFair:
    fair = session.exec(select(JobFair).where(JobFair.fair_id == fair_id)).first()
    if fair is None or not actor.may_see(fair.organisation):
        raise NotFound(f"no job fair {fair_id}")
    return fair
