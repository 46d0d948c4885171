"""Follow-up visits after launch (6, 12, 24 and 36 months by default) and the overdue list."""

from datetime import date

from sqlmodel import Session, col, select

from work4life.contracts.enterprise import VentureStage
from work4life.contracts.intake import Region
from work4life.runtime.auth import Principal

from ..adapters import event_mapping
from ..adapters.orm import FollowUpVisit, Venture
from ..domain.model import Conflict, FollowUpRequest, NotFound, Refused, VisitStatus
from .context import Work
from .ventures import coached_by, lock, page


def visits_of(session: Session, venture: Venture) -> list[FollowUpVisit]:
    query = select(FollowUpVisit).where(FollowUpVisit.venture_pk == venture.id)
    return list(session.exec(query.order_by(col(FollowUpVisit.months_after_launch))))


def record_visit(uow: Work, venture: Venture, months: int, request: FollowUpRequest) -> FollowUpVisit:
    """Record (or correct) the visit due `months` after launch. The first one moves the venture to
    followed_up; a venture found closed needs no later visits."""
    session, context, actor = uow.session, uow.context, uow.staff
    lock(session, venture)
    if venture.stage not in (VentureStage.LAUNCHED, VentureStage.FOLLOWED_UP):
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}: follow-up visits start at launch",
            code="visits_start_at_launch",
            values={"stage": venture.stage},
        )
    visit = session.exec(
        select(FollowUpVisit).where(FollowUpVisit.venture_pk == venture.id, FollowUpVisit.months_after_launch == months)
    ).first()
    if visit is None:
        scheduled = ", ".join(str(v.months_after_launch) for v in visits_of(session, venture))
        raise NotFound(f"venture {venture.venture_id} has no visit at {months} months (scheduled: {scheduled})")
    if visit.status is VisitStatus.NOT_NEEDED:
        raise Conflict(
            f"the {months}-month visit is not needed: the venture was found closed at an earlier visit",
            code="visit_not_needed",
            values={"months": months},
        )
    assert venture.registered_on is not None
    context.happened_on("visited_on", request.visited_on, (venture.registered_on, "the launch"))
    earlier = [
        v
        for v in visits_of(session, venture)
        if v.months_after_launch < months and v.status is VisitStatus.RECORDED and v.visited_on
    ]
    if any(v.visited_on is not None and v.visited_on > request.visited_on for v in earlier):
        raise Refused("visited_on", "is before an earlier visit")
    visit.status = VisitStatus.RECORDED
    visit.visited_on = request.visited_on
    visit.active = request.active
    visit.revenue_band = request.revenue_band
    visit.jobs_owners = request.jobs_owners
    visit.jobs_employees = request.jobs_employees
    visit.notes = request.notes
    visit.recorded_by = actor.subject
    session.add(visit)
    later = [v for v in visits_of(session, venture) if v.months_after_launch > months]
    if not request.active:
        for v in later:
            if v.status is VisitStatus.SCHEDULED:
                v.status = VisitStatus.NOT_NEEDED
                session.add(v)
    else:
        for v in later:
            if v.status is VisitStatus.NOT_NEEDED:
                v.status = VisitStatus.SCHEDULED  # a correction: it trades after all
                session.add(v)
    latest = max(
        (v for v in visits_of(session, venture) if v.status is VisitStatus.RECORDED),
        key=lambda v: v.months_after_launch,
    )
    venture.active = latest.active
    if venture.stage is VentureStage.LAUNCHED:
        venture.stage = VentureStage.FOLLOWED_UP
        venture.stage_changed_on = request.visited_on
        uow.publish(event_mapping.stage_changed(session, venture, VentureStage.LAUNCHED, False, **uow.provenance))
    session.add(venture)
    session.flush()
    uow.publish(event_mapping.follow_up_recorded(session, venture, visit, **uow.provenance))
    uow.commit()
    session.refresh(visit)
    return visit


def due_visits(
    session: Session,
    actor: Principal,
    *,
    due_before: date,
    region: Region | None,
    organisation: str | None,
    coach: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[FollowUpVisit, Venture]], int]:
    """Scheduled visits falling due before a date, oldest first (the field staff's list)."""
    query = (
        select(FollowUpVisit, Venture)
        .join(Venture, col(Venture.id) == FollowUpVisit.venture_pk)
        .where(FollowUpVisit.status == VisitStatus.SCHEDULED, FollowUpVisit.due_on < due_before)
    )
    if not actor.sees_every_organisation:
        query = query.where(Venture.organisation == actor.organisation)
    if organisation:
        query = query.where(Venture.organisation == organisation)
    if region:
        query = query.where(Venture.region == region)
    if coach:
        query = query.where(coached_by(coach))
    return page(session, query.order_by(col(FollowUpVisit.due_on), col(FollowUpVisit.id)), limit, offset)
