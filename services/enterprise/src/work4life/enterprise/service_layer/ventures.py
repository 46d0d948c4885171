"""Ventures through the pipeline: application, selection decisions, members, launch, coaching.

Every change to a venture first takes its lock (`lock`), so two staff acting on one venture at
once never both move it. Each use case commits once, with its events staged in the outbox.
"""

from datetime import date
from functools import partial
from uuid import UUID

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from work4life import referrals
from work4life.contracts.enterprise import VentureKind, VentureStage
from work4life.contracts.intake import Region
from work4life.runtime.auth import Principal
from work4life.runtime.db import key, lock_row, page

from ..adapters import event_mapping
from ..adapters.orm import (
    CoachingSession,
    EnterpriseCandidate,
    Entrepreneur,
    FollowUpVisit,
    SelectionDecision,
    Venture,
    VentureMember,
)
from ..domain.model import (
    DECIDED_BY_COMMITTEE,
    ENDED,
    IN_SUPPORT,
    CandidateStatus,
    CoachAssignment,
    CoachingRequest,
    Conflict,
    ExitReason,
    LaunchRequest,
    LeaveRequest,
    NotFound,
    Refused,
    TransitionRequest,
    VentureRequest,
    check_legal_form,
    check_transition,
    months_after,
)
from .context import Work, now


def lock(session: Session, venture: Venture) -> None:
    """Take the venture's write lock for the rest of the transaction (a row lock on PostgreSQL,
    the database lock on SQLite) and read it afresh."""
    lock_row(session, venture)


def venture_by_id(session: Session, venture_id: UUID, actor: Principal) -> Venture:
    venture = session.exec(select(Venture).where(Venture.venture_id == venture_id)).first()
    if venture is None or not actor.may_see(venture.organisation):
        raise NotFound(f"no venture {venture_id}")
    return venture


def members_of(session: Session, venture: Venture, current_only: bool = True) -> list[VentureMember]:
    query = select(VentureMember).where(VentureMember.venture_pk == venture.id)
    if current_only:
        query = query.where(VentureMember.left_on == None)  # noqa: E711
    return list(session.exec(query.order_by(col(VentureMember.id))))


def _standing_referral(session: Session, beneficiary_id: UUID) -> EnterpriseCandidate | None:
    entrepreneur = session.get(Entrepreneur, beneficiary_id)
    if entrepreneur is None or not entrepreneur.referral_consent:
        return None
    query = select(EnterpriseCandidate).where(
        EnterpriseCandidate.beneficiary_id == beneficiary_id,
        col(EnterpriseCandidate.status).in_([CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value]),
    )
    return session.exec(query.order_by(col(EnterpriseCandidate.referred_on).desc())).first()


def _referrals_of(session: Session, people: list[UUID]) -> dict[UUID, EnterpriseCandidate]:
    found = {who: _standing_referral(session, who) for who in people}
    missing = [str(who) for who, referral in found.items() if referral is None]
    if missing:
        raise Conflict(
            "no standing referral to enterprise support for "
            + ", ".join(missing)
            + ": refer them in intake (with their consent) first",
            code="no_standing_referral",
            values={"service": "enterprise", "people": missing},
        )
    return {who: referral for who, referral in found.items() if referral is not None}


answer = partial(referrals.answer, answered=event_mapping.referral_answered)
"""Give a candidate its new status and tell intake (`work4life.referrals.answer`)."""


def _answer_members(uow: Work, venture: Venture, from_: CandidateStatus, to: CandidateStatus) -> None:
    for member in members_of(uow.session, venture):
        candidate = uow.session.get(EnterpriseCandidate, member.referral_id) if member.referral_id else None
        if candidate is not None and candidate.status is from_:
            answer(uow, candidate, to)


# -- application and the pipeline ------------------------------------------------------------


def apply(uow: Work, request: VentureRequest) -> Venture:
    session, context, actor = uow.session, uow.context, uow.staff
    organisation = request.organisation or actor.organisation
    if not actor.may_see(organisation):
        raise Refused("organisation", f"you may record ventures only for {actor.organisation}")
    referrals = _referrals_of(session, request.members)
    applied_on = context.happened_on(
        "applied_on", request.applied_on, *[(r.referred_on, "a member's referral") for r in referrals.values()]
    )
    venture = Venture(
        **request.model_dump(exclude={"members", "organisation", "applied_on"}),
        organisation=organisation,
        applied_on=applied_on,
        stage_changed_on=applied_on,
        created_at=now(),
        created_by=actor.subject,
    )
    session.add(venture)
    session.flush()
    for who in request.members:
        session.add(
            VentureMember(
                venture_pk=key(venture),
                beneficiary_id=who,
                referral_id=referrals[who].referral_id,
                joined_on=applied_on,
            )
        )
    session.flush()
    uow.publish(event_mapping.applied(session, venture, **uow.provenance))
    uow.commit()
    session.refresh(venture)
    return venture


def move(uow: Work, venture: Venture, request: TransitionRequest) -> Venture:
    """Move a venture to its next stage. Selection (pre-incubation, incubation, rejection) records
    the committee's decision; launch and follow-up have their own requests."""
    session, context, actor = uow.session, uow.context, uow.staff
    lock(session, venture)
    if request.to is VentureStage.LAUNCHED:
        raise Conflict(
            "a venture is launched with POST /v1/ventures/{venture_id}/launch (legal form, registration)",
            code="launch_by_form",
        )
    if request.to is VentureStage.FOLLOWED_UP:
        raise Conflict("a venture is followed up by recording its first follow-up visit", code="follow_up_by_visit")
    check_transition(venture.stage, request.to)
    previous = venture.stage
    since = (venture.stage_changed_on, f"the venture's current stage ({previous.value}) began")
    on = context.happened_on("on", request.on, since)
    if request.committee is not None and request.to in DECIDED_BY_COMMITTEE:
        decision = request.committee
        on = context.happened_on(
            "committee.decided_on", decision.decided_on, (venture.applied_on, "the application"), since
        )
        session.add(
            SelectionDecision(
                venture_pk=key(venture),
                from_stage=previous,
                to_stage=request.to,
                decided_on=decision.decided_on,
                committee=decision.committee,
                score=decision.score,
                notes=decision.notes,
                recorded_by=actor.subject,
                recorded_at=now(),
            )
        )
    _set_stage(uow, venture, request.to, request.reason, on=on)
    uow.publish(
        event_mapping.stage_changed(session, venture, previous, request.to in DECIDED_BY_COMMITTEE, **uow.provenance)
    )
    if request.to is VentureStage.PRE_INCUBATION:
        _answer_members(uow, venture, CandidateStatus.PENDING, CandidateStatus.ACCEPTED)
    elif request.to is VentureStage.REJECTED:
        _answer_members(uow, venture, CandidateStatus.PENDING, CandidateStatus.DECLINED)
    uow.commit()
    session.refresh(venture)
    return venture


def _set_stage(
    uow: Work, venture: Venture, stage: VentureStage, reason: ExitReason | None, on: date | None = None
) -> None:
    session, context = uow.session, uow.context
    venture.stage = stage
    venture.stage_changed_on = on or context.today()
    venture.exit_reason = reason if stage in ENDED else None
    session.add(venture)
    if stage in ENDED:
        for visit in session.exec(select(FollowUpVisit).where(FollowUpVisit.venture_pk == venture.id)):
            session.delete(visit)


def decisions_of(session: Session, venture: Venture) -> list[SelectionDecision]:
    query = select(SelectionDecision).where(SelectionDecision.venture_pk == venture.id)
    return list(session.exec(query.order_by(col(SelectionDecision.id))))


def abandon_if_empty(uow: Work, venture: Venture) -> None:
    """A venture in support with no member from the programme left is abandoned."""
    session = uow.session
    if venture.stage in IN_SUPPORT and not members_of(session, venture):
        previous = venture.stage
        _set_stage(uow, venture, VentureStage.ABANDONED, ExitReason.GROUP_DISSOLVED)
        uow.publish(event_mapping.stage_changed(session, venture, previous, False, **uow.provenance))


# -- members ---------------------------------------------------------------------------------


def add_member(uow: Work, venture: Venture, who: UUID) -> Venture:
    session, context = uow.session, uow.context
    lock(session, venture)
    if venture.stage not in IN_SUPPORT:
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}: its members no longer change here",
            code="members_settled",
            values={"stage": venture.stage},
        )
    if who in {m.beneficiary_id for m in members_of(session, venture)}:
        raise Conflict(f"{who} is already a member of venture {venture.venture_id}", code="already_member")
    referral = _referrals_of(session, [who])[who]
    session.add(
        VentureMember(
            venture_pk=key(venture),
            beneficiary_id=who,
            referral_id=referral.referral_id,
            joined_on=context.today(),
        )
    )
    session.flush()
    if venture.stage is not VentureStage.APPLICATION and referral.status is CandidateStatus.PENDING:
        answer(uow, referral, CandidateStatus.ACCEPTED)
    uow.publish(event_mapping.members_changed(session, venture, [who], [], context.today(), **uow.provenance))
    uow.commit()
    session.refresh(venture)
    return venture


def end_membership(uow: Work, venture: Venture, member: VentureMember, reason: ExitReason, *, publish: bool) -> None:
    session, context = uow.session, uow.context
    member.left_on = context.today()
    member.left_reason = reason
    session.add(member)
    session.flush()
    if publish:
        uow.publish(
            event_mapping.members_changed(
                session, venture, [], [member.beneficiary_id], context.today(), **uow.provenance
            )
        )
    abandon_if_empty(uow, venture)


def leave(uow: Work, venture: Venture, who: UUID, request: LeaveRequest) -> Venture:
    session = uow.session
    lock(session, venture)
    member = next((m for m in members_of(session, venture) if m.beneficiary_id == who), None)
    if member is None:
        raise NotFound(f"{who} is not a current member of venture {venture.venture_id}")
    end_membership(uow, venture, member, request.reason, publish=True)
    uow.commit()
    session.refresh(venture)
    return venture


# -- launch and coaching ---------------------------------------------------------------------


def launch(uow: Work, venture: Venture, request: LaunchRequest) -> Venture:
    """Record the launch (legal form, registration) and schedule the follow-up visits."""
    session, context = uow.session, uow.context
    lock(session, venture)
    check_transition(venture.stage, VentureStage.LAUNCHED)
    check_legal_form(venture.kind, request.legal_form)
    context.happened_on(
        "registered_on",
        request.registered_on,
        (venture.applied_on, "the application"),
        (venture.stage_changed_on, f"the venture's current stage ({venture.stage.value}) began"),
    )
    venture.legal_form = request.legal_form
    venture.registered_on = request.registered_on
    venture.premises = request.premises
    venture.region = request.region or venture.region
    venture.active = True
    _set_stage(uow, venture, VentureStage.LAUNCHED, None, on=request.registered_on)
    for months in context.follow_up_months:
        session.add(
            FollowUpVisit(
                venture_pk=key(venture),
                months_after_launch=months,
                due_on=months_after(request.registered_on, months),
            )
        )
    uow.publish(event_mapping.launched(session, venture, **uow.provenance))
    _answer_members(uow, venture, CandidateStatus.PENDING, CandidateStatus.ACCEPTED)
    _answer_members(uow, venture, CandidateStatus.ACCEPTED, CandidateStatus.COMPLETED)
    uow.commit()
    session.refresh(venture)
    return venture


def add_coaching(uow: Work, venture: Venture, request: CoachingRequest) -> CoachingSession:
    session, context, actor = uow.session, uow.context, uow.staff
    if venture.stage in ENDED:
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}",
            code="venture_ended",
            values={"stage": venture.stage},
        )
    context.happened_on("held_on", request.held_on, (venture.applied_on, "the application"))
    coaching = CoachingSession(
        venture_pk=key(venture),
        held_on=request.held_on,
        minutes=int(request.hours * 60),
        topic=request.topic,
        coach=request.coach,
        notes=request.notes,
        recorded_by=actor.subject,
    )
    session.add(coaching)
    if venture.coach is None:
        venture.coach = request.coach
        session.add(venture)
    uow.commit()
    session.refresh(coaching)
    return coaching


def assign_coach(uow: Work, venture: Venture, request: CoachAssignment) -> Venture:
    """Name the coach who follows the venture (and makes its follow-up visits), or nobody."""
    session = uow.session
    lock(session, venture)
    if venture.stage in ENDED:
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}",
            code="venture_ended",
            values={"stage": venture.stage},
        )
    venture.coach = request.coach
    session.add(venture)
    uow.commit()
    session.refresh(venture)
    return venture


def coached_by(coach: str) -> ColumnElement[bool]:
    """Ventures followed by `coach`, however the name's letters are cased."""
    return func.lower(col(Venture.coach)) == func.lower(" ".join(coach.split()))


def coaching_of(session: Session, venture: Venture) -> list[CoachingSession]:
    query = select(CoachingSession).where(CoachingSession.venture_pk == venture.id)
    return list(session.exec(query.order_by(col(CoachingSession.held_on), col(CoachingSession.id))))


# -- lists -----------------------------------------------------------------------------------


def ventures(
    session: Session,
    actor: Principal,
    *,
    stage: VentureStage | None,
    kind: VentureKind | None,
    region: Region | None,
    organisation: str | None,
    member: UUID | None,
    coach: str | None,
    applied_from: date | None,
    applied_until: date | None,
    limit: int,
    offset: int,
) -> tuple[list[Venture], int]:
    query = select(Venture)
    if not actor.sees_every_organisation:
        query = query.where(Venture.organisation == actor.organisation)
    if organisation:
        query = query.where(Venture.organisation == organisation)
    if stage:
        query = query.where(Venture.stage == stage)
    if kind:
        query = query.where(Venture.kind == kind)
    if region:
        query = query.where(Venture.region == region)
    if coach:
        query = query.where(coached_by(coach))
    if applied_from:
        query = query.where(Venture.applied_on >= applied_from)
    if applied_until:
        query = query.where(Venture.applied_on <= applied_until)
    if member:
        members = select(VentureMember.venture_pk).where(VentureMember.beneficiary_id == member)
        query = query.where(col(Venture.id).in_(members))
    return page(session, query.order_by(col(Venture.applied_on).desc(), col(Venture.id).desc()), limit, offset)
