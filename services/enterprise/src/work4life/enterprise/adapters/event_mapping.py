"""The one place where enterprise's records become contract events (and so leave the service)."""

from datetime import date
from typing import Any
from uuid import UUID

from sqlmodel import Session, col, select

from work4life.contracts import enterprise as contract
from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.referrals import EnterpriseReferralAnswered
from work4life.contracts.topics import ENTERPRISE_REFERRAL_ANSWERS, ENTERPRISE_VENTURES, Topic
from work4life.referrals import answers_on
from work4life.runtime.events import new_envelope

from ..domain.model import eur, mad, rate_of
from .orm import Disbursement, FollowUpVisit, Grant, GrantTranche, Venture, VentureMember

Event = tuple[Topic, Envelope[Any]]


def current_members(session: Session, venture: Venture) -> list[UUID]:
    query = select(VentureMember.beneficiary_id).where(
        VentureMember.venture_pk == venture.id,
        VentureMember.left_on == None,  # noqa: E711
    )
    return sorted(set(session.exec(query.order_by(col(VentureMember.id)))), key=str)


def _venture_event(
    session: Session,
    venture: Venture,
    data_class: type,
    producer: Producer,
    cid: Any,
    causation: Any = None,
    **data: Any,
):
    payload = data_class(
        venture_id=venture.venture_id,
        members=current_members(session, venture),
        other_members=venture.other_members,
        **data,
    )
    envelope = new_envelope(
        payload, key=str(venture.venture_id), producer=producer, correlation_id=cid, causation_id=causation
    )
    return ENTERPRISE_VENTURES, envelope


def applied(
    session: Session, venture: Venture, *, producer: Producer, correlation_id: Any = None, causation_id: Any = None
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.VentureApplied,
        producer,
        correlation_id,
        causation_id,
        kind=venture.kind,
        sector=venture.sector,
        region=venture.region,
        organisation=venture.organisation,
        applied_on=venture.applied_on,
        already_running=venture.already_running,
    )


def stage_changed(
    session: Session,
    venture: Venture,
    previous: contract.VentureStage,
    by_committee: bool,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.VentureStageChanged,
        producer,
        correlation_id,
        causation_id,
        stage=venture.stage,
        previous_stage=previous,
        changed_on=venture.stage_changed_on,
        by_committee=by_committee,
        reason=venture.exit_reason.value if venture.exit_reason else None,
    )


def members_changed(
    session: Session,
    venture: Venture,
    joined: list[UUID],
    left: list[UUID],
    changed_on: date,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.VentureMembersChanged,
        producer,
        correlation_id,
        causation_id,
        changed_on=changed_on,
        joined=joined,
        left=left,
    )


def grant_approved(
    session: Session,
    venture: Venture,
    grant: Grant,
    tranches: int,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.GrantApproved,
        producer,
        correlation_id,
        causation_id,
        grant_id=grant.grant_id,
        approved_on=grant.approved_on,
        amount_mad=mad(grant.approved),
        amount_eur=eur(grant.approved, grant.eur_rate_e4),
        eur_rate=rate_of(grant.eur_rate_e4),
        cofinancing_mad=mad(grant.cofinancing),
        tranches=tranches,
    )


def grant_disbursed(
    session: Session,
    venture: Venture,
    grant: Grant,
    tranche: GrantTranche,
    disbursement: Disbursement,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.GrantDisbursed,
        producer,
        correlation_id,
        causation_id,
        grant_id=grant.grant_id,
        disbursement_id=disbursement.disbursement_id,
        tranche=tranche.number,
        disbursed_on=disbursement.disbursed_on,
        amount_mad=mad(disbursement.amount),
        amount_eur=eur(disbursement.amount, grant.eur_rate_e4),
        eur_rate=rate_of(grant.eur_rate_e4),
    )


def launched(
    session: Session, venture: Venture, *, producer: Producer, correlation_id: Any = None, causation_id: Any = None
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.VentureLaunched,
        producer,
        correlation_id,
        causation_id,
        kind=venture.kind,
        legal_form=venture.legal_form,
        registered_on=venture.registered_on,
        region=venture.region,
        sector=venture.sector,
    )


def follow_up_recorded(
    session: Session,
    venture: Venture,
    visit: FollowUpVisit,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    return _venture_event(
        session,
        venture,
        contract.FollowUpRecorded,
        producer,
        correlation_id,
        causation_id,
        visit_id=visit.visit_id,
        months_after_launch=visit.months_after_launch,
        visited_on=visit.visited_on,
        active=visit.active,
        revenue_band=visit.revenue_band,
        jobs_owners=visit.jobs_owners,
        jobs_employees=visit.jobs_employees,
    )


referral_answered = answers_on(ENTERPRISE_REFERRAL_ANSWERS, EnterpriseReferralAnswered)
"""The answer to a referral to enterprise, told to intake (`work4life.referrals.answers_on`)."""
