"""What intake tells training about people: referrals (candidates), consent, moves, merges and
erasure. Each handler runs in the consumer's transaction (with the inbox row), so it must not
commit; replaying an event changes nothing.

- A referral to training becomes a pending candidate, only if the person's consent to referral
  to training is known (intake always announces it first, on the same partition).
- Withdrawing that consent (or consent to service delivery) stops everything here: pending
  candidates are cancelled, waiting-list places given up, seats end as dropouts with the reason
  consent_withdrawn (published), and the seats go to the next in line. Completions stay.
- Erasure does the same without publishing, then replaces the person's id by a random stand-in
  everywhere and deletes what training kept about them (region, notes): totals stay right, the
  rows no longer lead to anyone.
- A merge re-points the retired id's candidates and enrolments to the kept id; where both held a
  place in the same cohort, the retired one's becomes `merged` and frees its seat.
"""

import logging
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
from work4life.contracts.training import CourseKind, DropoutReason
from work4life.runtime.auth import Principal
from work4life.runtime.db import key

from ..adapters.orm import Candidate, Cohort, Course, Enrolment, Trainee
from ..domain.model import (
    HOLDS_A_PLACE,
    CandidateStatus,
    Conflict,
    EnrolmentStatus,
    NotFound,
    reasons_suiting,
)
from . import enrolment
from .catalogue import lock, page
from .context import Context, now

log = logging.getLogger(__name__)

TRAINING = ProgrammeService.TRAINING.value


class ReferralWithoutConsent(Exception):
    """Intake referred someone whose consent to referral to training this service never saw."""


def _trainee(session: Session, beneficiary_id: UUID) -> Trainee:
    person = session.get(Trainee, beneficiary_id)
    if person is None:
        person = Trainee(beneficiary_id=beneficiary_id)
    return person


def _about_training(purpose: ConsentPurpose, organisation: str | None) -> bool:
    return purpose is ConsentPurpose.SERVICE_DELIVERY or (
        purpose is ConsentPurpose.REFERRAL and (organisation or "").strip().lower() == TRAINING
    )


def consent_given(context: Context):
    def handle(envelope: Envelope[ConsentGiven], session: Session) -> None:
        data = envelope.data
        if data.purpose is not ConsentPurpose.REFERRAL or not _about_training(data.purpose, data.organisation):
            return
        person = _trainee(session, data.beneficiary_id)
        person.referral_consent = True
        person.consent_changed_at = now()
        session.add(person)

    return handle


def consent_withdrawn(context: Context):
    def handle(envelope: Envelope[ConsentWithdrawn], session: Session) -> None:
        data = envelope.data
        if not _about_training(data.purpose, data.organisation):
            return
        person = session.get(Trainee, data.beneficiary_id)
        if person is not None:
            person.referral_consent = False
            person.consent_changed_at = now()
            session.add(person)
        stop_everything(session, data.beneficiary_id, context, publish=True, envelope=envelope)

    return handle


def referral_made(context: Context):
    def handle(envelope: Envelope[ReferralMade], session: Session) -> None:
        data = envelope.data
        if data.service is not ProgrammeService.TRAINING:
            return
        if session.get(Candidate, data.referral_id) is not None:
            return
        person = session.get(Trainee, data.beneficiary_id)
        if person is None or not person.referral_consent:
            raise ReferralWithoutConsent(
                f"referral {data.referral_id}: no consent of {data.beneficiary_id} to referral to training is known"
            )
        if data.region is not None:
            person.region = data.region
            session.add(person)
        session.add(
            Candidate(
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
    """Intake cancelled a referral: the candidate and any waiting-list place it holds end (a seat
    already taken stays: the person is in class)."""

    def handle(envelope: Envelope[ReferralStatusChanged], session: Session) -> None:
        data = envelope.data
        if data.status is not ReferralStatus.CANCELLED:
            return  # the other statuses echo this service's own answers
        candidate = session.get(Candidate, data.referral_id)
        if candidate is None or candidate.status in (CandidateStatus.CANCELLED, CandidateStatus.COMPLETED):
            return
        candidate.status = CandidateStatus.CANCELLED
        candidate.status_changed_on = context.today()
        session.add(candidate)
        waiting = session.exec(
            select(Enrolment).where(
                Enrolment.referral_id == data.referral_id, Enrolment.status == EnrolmentStatus.WAITLISTED
            )
        )
        for place in list(waiting):
            place.status = EnrolmentStatus.CANCELLED
            place.ended_on = context.today()
            session.add(place)

    return handle


def profile_updated(context: Context):
    def handle(envelope: Envelope[BeneficiaryUpdated], session: Session) -> None:
        data = envelope.data
        person = session.get(Trainee, data.beneficiary_id)
        if person is None or "region" not in data.changed_fields:
            return  # only people referred to training are kept, and of them only their region
        person.region = data.region
        session.add(person)
        for candidate in session.exec(
            select(Candidate).where(
                Candidate.beneficiary_id == data.beneficiary_id, Candidate.status == CandidateStatus.PENDING
            )
        ):
            candidate.region = data.region  # place them near where they live now
            session.add(candidate)

    return handle


def erased(context: Context):
    def handle(envelope: Envelope[BeneficiaryErased], session: Session) -> None:
        data = envelope.data
        stop_everything(session, data.beneficiary_id, context, publish=False, envelope=envelope)
        stand_in = uuid4()
        for candidate in session.exec(select(Candidate).where(Candidate.beneficiary_id == data.beneficiary_id)):
            candidate.beneficiary_id = stand_in
            candidate.note = None
            candidate.region = None
            session.add(candidate)
        for place in session.exec(select(Enrolment).where(Enrolment.beneficiary_id == data.beneficiary_id)):
            place.beneficiary_id = stand_in
            place.dropout_note = None
            place.anonymised = True
            session.add(place)
        person = session.get(Trainee, data.beneficiary_id)
        if person is not None:
            session.delete(person)

    return handle


def merged(context: Context):
    def handle(envelope: Envelope[BeneficiariesMerged], session: Session) -> None:
        data = envelope.data
        kept, retired = data.kept_beneficiary_id, data.merged_beneficiary_id
        for candidate in session.exec(select(Candidate).where(Candidate.beneficiary_id == retired)):
            candidate.beneficiary_id = kept
            session.add(candidate)
        kept_cohorts = {
            e.cohort_pk
            for e in session.exec(
                select(Enrolment).where(
                    Enrolment.beneficiary_id == kept,
                    col(Enrolment.status).in_([*(s.value for s in HOLDS_A_PLACE), EnrolmentStatus.COMPLETED.value]),
                )
            )
        }
        freed: set[int] = set()
        for place in list(session.exec(select(Enrolment).where(Enrolment.beneficiary_id == retired))):
            if place.cohort_pk in kept_cohorts and place.status in HOLDS_A_PLACE:
                if place.status is EnrolmentStatus.ENROLLED:
                    freed.add(place.cohort_pk)
                place.status = EnrolmentStatus.MERGED
                place.ended_on = context.today()
            place.beneficiary_id = kept
            session.add(place)
        retired_person = session.get(Trainee, retired)
        if retired_person is not None:
            kept_person = session.get(Trainee, kept)
            if kept_person is None:
                kept_person = Trainee(beneficiary_id=kept, region=retired_person.region)
            kept_person.referral_consent = kept_person.referral_consent or retired_person.referral_consent
            session.delete(retired_person)
            session.flush()
            session.add(kept_person)
        session.flush()
        for cohort_pk in freed:
            _refill(session, cohort_pk, context, envelope)

    return handle


def _refill(session: Session, cohort_pk: int, context: Context, envelope: Envelope[Any]) -> None:
    cohort = session.get(Cohort, cohort_pk)
    assert cohort is not None
    course = session.get(Course, cohort.course_pk)
    assert course is not None
    lock(session, cohort)
    enrolment.fill_from_waiting_list(session, cohort, course, context, envelope.correlation_id, envelope.event_id)


def stop_everything(
    session: Session, beneficiary_id: UUID, context: Context, *, publish: bool, envelope: Envelope[Any]
) -> None:
    """End whatever training is doing for the person (completions stay)."""
    for candidate in session.exec(
        select(Candidate).where(
            Candidate.beneficiary_id == beneficiary_id,
            col(Candidate.status).in_([CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value]),
        )
    ):
        candidate.status = CandidateStatus.CANCELLED
        candidate.status_changed_on = context.today()
        session.add(candidate)
    freed: set[int] = set()
    for place in list(
        session.exec(
            select(Enrolment).where(
                Enrolment.beneficiary_id == beneficiary_id,
                col(Enrolment.status).in_([s.value for s in HOLDS_A_PLACE]),
            )
        )
    ):
        if place.status is EnrolmentStatus.WAITLISTED:
            place.status = EnrolmentStatus.CANCELLED
            place.ended_on = context.today()
            session.add(place)
            continue
        cohort = session.get(Cohort, place.cohort_pk)
        course = session.get(Course, cohort.course_pk) if cohort else None
        assert cohort is not None and course is not None
        lock(session, cohort)
        session.refresh(place)
        if place.status is not EnrolmentStatus.ENROLLED:
            continue
        enrolment.drop(
            session,
            place,
            cohort,
            course,
            DropoutReason.CONSENT_WITHDRAWN,
            context,
            publish=publish,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
        )
        freed.add(key(cohort))
    session.flush()
    for cohort_pk in freed:
        _refill(session, cohort_pk, context, envelope)


# -- candidates over HTTP --------------------------------------------------------------------


def candidates(
    session: Session,
    *,
    status: CandidateStatus | None,
    region: Region | None,
    kind: CourseKind | None,
    beneficiary_id: UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Candidate], int]:
    query = select(Candidate)
    if status:
        query = query.where(Candidate.status == status)
    if region:
        query = query.where(Candidate.region == region)
    if kind:
        query = query.where(col(Candidate.reason).in_([r.value for r in reasons_suiting(kind)]))
    if beneficiary_id:
        query = query.where(Candidate.beneficiary_id == beneficiary_id)
    return page(session, query.order_by(col(Candidate.referred_on), col(Candidate.received_at)), limit, offset)


def decline(
    session: Session, referral_id: UUID, note: str | None, context: Context, actor: Principal, correlation_id: Any
) -> Candidate:
    """Decline a pending referral (intake hears of it); any waiting-list place it holds ends."""
    # Taking the row first: of two declines at once, the second waits and then finds it declined.
    session.exec(update(Candidate).where(col(Candidate.referral_id) == referral_id).values(note=Candidate.note))
    candidate = session.get(Candidate, referral_id)
    if candidate is None:
        raise NotFound(f"no referral {referral_id} to training")
    session.refresh(candidate)
    if candidate.status is not CandidateStatus.PENDING:
        raise Conflict(f"referral {referral_id} is {candidate.status.value}: only a pending one can be declined")
    candidate.note = note
    enrolment.answer(session, candidate, CandidateStatus.DECLINED, context, correlation_id)
    for place in session.exec(
        select(Enrolment).where(Enrolment.referral_id == referral_id, Enrolment.status == EnrolmentStatus.WAITLISTED)
    ):
        place.status = EnrolmentStatus.CANCELLED
        place.ended_on = context.today()
        session.add(place)
    session.commit()
    session.refresh(candidate)
    return candidate
