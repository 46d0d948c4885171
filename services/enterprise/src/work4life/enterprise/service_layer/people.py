"""What intake and training tell enterprise about people. Each handler runs in the consumer's
transaction (with the inbox row), so it must not commit; replaying an event changes nothing.

- A referral to enterprise support becomes a pending candidate, only if the person's consent to
  referral to enterprise is known (intake announces it first, on the same partition).
- Withdrawing that consent (or consent to service delivery) cancels pending candidates and ends the
  person's memberships with the reason consent_withdrawn (published); a venture in support left
  without any programme member is abandoned. A launched venture stays: it is a business.
- Erasure does the same without publishing the person's id, then replaces it by a random stand-in
  in every row and deletes what was kept about them (region, notes).
- A merge moves the retired id's candidates, memberships and completed courses to the kept id;
  where both were members of one venture, the retired membership ends.
- A completed course of a kind a grant may require is kept as a prerequisite.
"""

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import update
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    BeneficiaryUpdated,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ProgrammeService,
    ReferralMade,
    ReferralStatus,
    ReferralStatusChanged,
    Region,
)
from work4life.contracts.training import CourseCompleted
from work4life.runtime.auth import Principal

from ..adapters.orm import EnterpriseCandidate, Entrepreneur, TrainingCompletion, Venture, VentureMember
from ..domain.model import CandidateStatus, Conflict, ExitReason, NotFound
from . import ventures
from .context import Context, now

ENTERPRISE = ProgrammeService.ENTERPRISE.value
OPEN = (CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value)


class ReferralWithoutConsent(Exception):
    """Intake referred someone whose consent to referral to enterprise this service never saw."""


def _concerns_enterprise(purpose: ConsentPurpose, organisation: str | None) -> bool:
    return purpose is ConsentPurpose.SERVICE_DELIVERY or (
        purpose is ConsentPurpose.REFERRAL and (organisation or "").strip().lower() == ENTERPRISE
    )


def consent_given(context: Context):
    def handle(envelope: Envelope[ConsentGiven], session: Session) -> None:
        data = envelope.data
        if data.purpose is not ConsentPurpose.REFERRAL or not _concerns_enterprise(data.purpose, data.organisation):
            return
        person = session.get(Entrepreneur, data.beneficiary_id) or Entrepreneur(beneficiary_id=data.beneficiary_id)
        person.referral_consent = True
        person.consent_changed_at = now()
        session.add(person)

    return handle


def consent_withdrawn(context: Context):
    def handle(envelope: Envelope[ConsentWithdrawn], session: Session) -> None:
        data = envelope.data
        if not _concerns_enterprise(data.purpose, data.organisation):
            return
        person = session.get(Entrepreneur, data.beneficiary_id)
        if person is not None:
            person.referral_consent = False
            person.consent_changed_at = now()
            session.add(person)
        stop_everything(session, data.beneficiary_id, context, publish=True, envelope=envelope)

    return handle


def referral_made(context: Context):
    def handle(envelope: Envelope[ReferralMade], session: Session) -> None:
        data = envelope.data
        if data.service is not ProgrammeService.ENTERPRISE:
            return
        if session.get(EnterpriseCandidate, data.referral_id) is not None:
            return
        person = session.get(Entrepreneur, data.beneficiary_id)
        if person is None or not person.referral_consent:
            raise ReferralWithoutConsent(
                f"referral {data.referral_id}: no consent of {data.beneficiary_id} to referral to enterprise is known"
            )
        if data.region is not None:
            person.region = data.region
            session.add(person)
        session.add(
            EnterpriseCandidate(
                referral_id=data.referral_id,
                beneficiary_id=data.beneficiary_id,
                reason=data.reason,
                referred_on=data.made_on,
                referred_by=data.partner_organisation,
                region=data.region or person.region,
                received_at=now(),
            )
        )

    return handle


def referral_status_changed(context: Context):
    """Intake cancelled a referral: the candidate ends (a membership already taken stays)."""

    def handle(envelope: Envelope[ReferralStatusChanged], session: Session) -> None:
        data = envelope.data
        if data.status is not ReferralStatus.CANCELLED:
            return  # the other statuses echo this service's own answers
        candidate = session.get(EnterpriseCandidate, data.referral_id)
        if candidate is not None and candidate.status.value in OPEN:
            candidate.status = CandidateStatus.CANCELLED
            candidate.status_changed_on = context.today()
            session.add(candidate)

    return handle


def profile_updated(context: Context):
    def handle(envelope: Envelope[BeneficiaryUpdated], session: Session) -> None:
        data = envelope.data
        person = session.get(Entrepreneur, data.beneficiary_id)
        if person is None or "region" not in data.changed_fields:
            return  # only people referred here are kept, and of them only their region
        person.region = data.region
        session.add(person)
        for candidate in session.exec(
            select(EnterpriseCandidate).where(
                EnterpriseCandidate.beneficiary_id == data.beneficiary_id,
                EnterpriseCandidate.status == CandidateStatus.PENDING,
            )
        ):
            candidate.region = data.region
            session.add(candidate)

    return handle


def course_completed(context: Context):
    def handle(envelope: Envelope[CourseCompleted], session: Session) -> None:
        data = envelope.data
        if data.course_kind not in context.grant_prerequisites:
            return
        if session.get(TrainingCompletion, data.enrolment_id) is not None:
            return
        session.add(
            TrainingCompletion(
                enrolment_id=data.enrolment_id,
                beneficiary_id=data.beneficiary_id,
                course_kind=data.course_kind,
                completed_on=data.completed_on,
            )
        )

    return handle


def erased(context: Context):
    def handle(envelope: Envelope[BeneficiaryErased], session: Session) -> None:
        data = envelope.data
        who = data.beneficiary_id
        stop_everything(session, who, context, publish=False, envelope=envelope)
        stand_in = uuid4()
        session.exec(
            update(EnterpriseCandidate)
            .where(col(EnterpriseCandidate.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, note=None, region=None)
        )
        session.exec(
            update(VentureMember)
            .where(col(VentureMember.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, anonymised=True)
        )
        session.exec(
            update(TrainingCompletion)
            .where(col(TrainingCompletion.beneficiary_id) == who)
            .values(beneficiary_id=stand_in)
        )
        person = session.get(Entrepreneur, who)
        if person is not None:
            session.delete(person)

    return handle


def merged(context: Context):
    def handle(envelope: Envelope[BeneficiariesMerged], session: Session) -> None:
        data = envelope.data
        kept, retired = data.kept_beneficiary_id, data.merged_beneficiary_id
        for table in (EnterpriseCandidate, TrainingCompletion):
            session.exec(update(table).where(col(table.beneficiary_id) == retired).values(beneficiary_id=kept))
        for member in list(session.exec(select(VentureMember).where(VentureMember.beneficiary_id == retired))):
            venture = session.get(Venture, member.venture_pk)
            assert venture is not None
            ventures.lock(session, venture)
            both = member.left_on is None and any(
                m.beneficiary_id == kept for m in ventures.members_of(session, venture)
            )
            if both:
                member.left_on = context.today()
                member.left_reason = ExitReason.OTHER
            member.beneficiary_id = kept
            session.add(member)
        retired_person = session.get(Entrepreneur, retired)
        if retired_person is not None:
            kept_person = session.get(Entrepreneur, kept)
            consent = retired_person.referral_consent or bool(kept_person and kept_person.referral_consent)
            region = (kept_person.region if kept_person else None) or retired_person.region
            session.delete(retired_person)
            session.flush()
            kept_person = kept_person or Entrepreneur(beneficiary_id=kept)
            kept_person.referral_consent = consent
            kept_person.region = region
            session.add(kept_person)

    return handle


def stop_everything(
    session: Session, beneficiary_id: UUID, context: Context, *, publish: bool, envelope: Envelope[Any]
) -> None:
    """End whatever enterprise does for the person; launched ventures carry on without them."""
    for candidate in session.exec(
        select(EnterpriseCandidate).where(
            EnterpriseCandidate.beneficiary_id == beneficiary_id, col(EnterpriseCandidate.status).in_(OPEN)
        )
    ):
        candidate.status = CandidateStatus.CANCELLED
        candidate.status_changed_on = context.today()
        session.add(candidate)
    for member in list(
        session.exec(
            select(VentureMember).where(
                VentureMember.beneficiary_id == beneficiary_id,
                VentureMember.left_on == None,  # noqa: E711
            )
        )
    ):
        venture = session.get(Venture, member.venture_pk)
        assert venture is not None
        ventures.lock(session, venture)
        ventures.end_membership(
            session,
            venture,
            member,
            ExitReason.CONSENT_WITHDRAWN,
            context,
            publish=publish,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
        )


# -- candidates over HTTP --------------------------------------------------------------------


def candidates(
    session: Session,
    *,
    status: CandidateStatus | None,
    region: Region | None,
    beneficiary_id: UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[EnterpriseCandidate], int]:
    query = select(EnterpriseCandidate)
    if status:
        query = query.where(EnterpriseCandidate.status == status)
    if region:
        query = query.where(EnterpriseCandidate.region == region)
    if beneficiary_id:
        query = query.where(EnterpriseCandidate.beneficiary_id == beneficiary_id)
    order = (col(EnterpriseCandidate.referred_on), col(EnterpriseCandidate.received_at))
    return ventures.page(session, query.order_by(*order), limit, offset)


def decline(
    session: Session, referral_id: UUID, note: str | None, context: Context, actor: Principal, correlation_id: Any
) -> EnterpriseCandidate:
    """Decline a pending referral (intake hears of it)."""
    session.exec(
        update(EnterpriseCandidate)
        .where(col(EnterpriseCandidate.referral_id) == referral_id)
        .values(note=EnterpriseCandidate.note)
    )
    candidate = session.get(EnterpriseCandidate, referral_id)
    if candidate is None:
        raise NotFound(f"no referral {referral_id} to enterprise support")
    session.refresh(candidate)
    if candidate.status is not CandidateStatus.PENDING:
        raise Conflict(f"referral {referral_id} is {candidate.status.value}: only a pending one can be declined")
    if session.exec(select(VentureMember).where(VentureMember.referral_id == referral_id)).first() is not None:
        raise Conflict(f"referral {referral_id} is a member's in a venture's application: decide the application")
    candidate.note = note
    ventures.answer(session, candidate, CandidateStatus.DECLINED, context, correlation_id)
    session.commit()
    session.refresh(candidate)
    return candidate
