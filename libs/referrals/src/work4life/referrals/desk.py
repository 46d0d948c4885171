"""ADR 6 once: how a service that receives people from intake follows what intake says of them.

Training, enterprise and employment each subclass `ReferralDesk` with their two tables and say
what their own work with a person is (`stop`, `erase`, `merge`, ...). The desk does the rest, the
same way in each:

- A referral to the service becomes a pending candidate, only if the person's consent to referral
  to it is known (intake always announces it first, on the same partition); otherwise the event is
  refused (`ReferralWithoutConsent`) and goes to the dead letters.
- Withdrawing that consent (or consent to service delivery) stops everything at once: open
  candidates are cancelled and the service's `stop` ends the rest (published). Results stay.
- Erasure does the same without publishing, then replaces the person's id by one random stand-in
  in every row and drops the region and notes: totals stay right, no row leads to anyone.
- A merge re-points the retired id's candidates (and, through `merge`, the service's rows) to
  the kept id, and folds the two people into one.
- A profile change moves the person's region, and their pending candidates with it.

Each handler runs in the consumer's transaction (with the inbox row), so none commits, and
replaying an event changes nothing.
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Envelope, EventData, Producer
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
from work4life.contracts.referrals import ReferralAnswer
from work4life.contracts.topics import Topic
from work4life.runtime.context import ServiceContext, now
from work4life.runtime.db import page
from work4life.runtime.errors import Conflict, NotFound
from work4life.runtime.events import new_envelope
from work4life.runtime.uow import UnitOfWork

from .model import OPEN, CandidateStatus, ReferralCandidate, ReferralWithoutConsent, ReferredPerson

P = TypeVar("P", bound=ReferredPerson)
C = TypeVar("C", bound=ReferralCandidate)
X = TypeVar("X", bound=ServiceContext)

AnsweredEvent = Callable[..., tuple[Topic, Envelope[Any]]]
"""`referral_answered(referral_id, beneficiary_id, answer, answered_on, *, producer, correlation_id,
causation_id)`: the event that tells intake a service's answer, on that service's own topic."""


def answers_on(topic: Topic, answer_type: type[EventData]) -> AnsweredEvent:
    """The `referral_answered` event mapping of a service that answers with `answer_type` (its
    `<Service>ReferralAnswered`) on `topic`, keyed by the person like intake's own events."""

    def referral_answered(
        referral_id: UUID,
        beneficiary_id: UUID,
        answer: ReferralAnswer,
        answered_on: date,
        *,
        producer: Producer,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> tuple[Topic, Envelope[Any]]:
        data = answer_type(
            referral_id=referral_id, beneficiary_id=beneficiary_id, answer=answer, answered_on=answered_on
        )
        envelope = new_envelope(
            data, key=str(beneficiary_id), producer=producer, correlation_id=correlation_id, causation_id=causation_id
        )
        return topic, envelope

    return referral_answered


def answer(
    uow: UnitOfWork[Any], candidate: ReferralCandidate, status: CandidateStatus, *, answered: AnsweredEvent
) -> None:
    """Give a candidate its new status and tell intake (accepted, declined, completed)."""
    candidate.status = status
    candidate.status_changed_on = uow.today()
    uow.session.add(candidate)
    answer_ = ReferralAnswer(status.value)
    uow.publish(answered(candidate.referral_id, candidate.beneficiary_id, answer_, uow.today(), **uow.provenance))


class ReferralDesk(Generic[P, C, X]):
    """One service's side of ADR 6, over its person table `P`, its candidate table `C` and its
    context `X`. Subclasses override the hooks below; each does nothing unless the service keeps
    more about a person than its candidates."""

    def __init__(self, service: ProgrammeService, person: type[P], candidate: type[C], answered: AnsweredEvent):
        self.service = service
        self.person = person
        self.candidate = candidate
        self.answered = answered

    # -- what the service adds (hooks) -----------------------------------------------------------

    def stop(self, uow: UnitOfWork[X], who: UUID, *, publish: bool) -> None:
        """End the service's own work with the person (their open candidates are already cancelled).
        `publish` is False on erasure: nothing is said about an erased person."""

    def erase(self, uow: UnitOfWork[X], who: UUID, stand_in: UUID) -> None:
        """Replace `who` by `stand_in` in the service's own rows and drop their free text."""

    def merge(self, uow: UnitOfWork[X], kept: UUID, retired: UUID) -> None:
        """Re-point the retired id's own rows to the kept id (candidates are already moved)."""

    def combine(self, kept: P, retired: P) -> None:
        """Fold what else the service keeps of a merged person into the kept row."""

    def updated(self, person: P, data: BeneficiaryUpdated) -> None:
        """Take what else the service keeps from a profile change (the region is already taken)."""

    def referral_ended(self, uow: UnitOfWork[X], referral_id: UUID) -> None:
        """A referral was cancelled in intake or declined here: end what it still holds."""

    def may_decline(self, session: Session, candidate: C) -> None:
        """Raise `Conflict` where the service's rules forbid declining this pending candidate."""

    # -- the events, one handler each (`partial(desk.handler, context)` in the consumer) ---------

    def concerns_us(self, purpose: ConsentPurpose, organisation: str | None) -> bool:
        return purpose is ConsentPurpose.SERVICE_DELIVERY or (
            purpose is ConsentPurpose.REFERRAL and (organisation or "").strip().lower() == self.service.value
        )

    def consenting(self, session: Session, who: UUID) -> P | None:
        """The person, if their consent to referral to this service stands."""
        person = session.get(self.person, who)
        return person if person is not None and person.referral_consent else None

    def consent_given(self, context: X, envelope: Envelope[ConsentGiven], session: Session) -> None:
        data = envelope.data
        if data.purpose is not ConsentPurpose.REFERRAL or not self.concerns_us(data.purpose, data.organisation):
            return
        person = session.get(self.person, data.beneficiary_id) or self.person(beneficiary_id=data.beneficiary_id)
        person.referral_consent = True
        person.consent_changed_at = now()
        session.add(person)

    def consent_withdrawn(self, context: X, envelope: Envelope[ConsentWithdrawn], session: Session) -> None:
        data = envelope.data
        if not self.concerns_us(data.purpose, data.organisation):
            return
        person = session.get(self.person, data.beneficiary_id)
        if person is not None:
            person.referral_consent = False
            person.consent_changed_at = now()
            session.add(person)
        self.stop_everything(UnitOfWork.for_event(session, context, envelope), data.beneficiary_id, publish=True)

    def referral_made(self, context: X, envelope: Envelope[ReferralMade], session: Session) -> None:
        data = envelope.data
        if data.service is not self.service:
            return
        if session.get(self.candidate, data.referral_id) is not None:
            return
        person = self.consenting(session, data.beneficiary_id)
        if person is None:
            raise ReferralWithoutConsent(
                f"referral {data.referral_id}: no consent of {data.beneficiary_id} "
                f"to referral to {self.service.value} is known"
            )
        if data.region is not None:
            person.region = data.region
            session.add(person)
        session.add(
            self.candidate(
                referral_id=data.referral_id,
                beneficiary_id=data.beneficiary_id,
                reason=data.reason,
                referred_on=data.made_on,
                referred_by=data.partner_organisation,
                region=data.region or person.region,
                received_at=now(),
            )
        )

    def referral_status_changed(self, context: X, envelope: Envelope[ReferralStatusChanged], session: Session) -> None:
        """Intake cancelled a referral: the candidate ends, and what it still holds (what the person
        already takes part in stays)."""
        data = envelope.data
        if data.status is not ReferralStatus.CANCELLED:
            return  # the other statuses echo this service's own answers
        candidate = session.get(self.candidate, data.referral_id)
        if candidate is None or candidate.status.value not in OPEN:
            return
        candidate.status = CandidateStatus.CANCELLED
        candidate.status_changed_on = context.today()
        session.add(candidate)
        self.referral_ended(UnitOfWork.for_event(session, context, envelope), data.referral_id)

    def profile_updated(self, context: X, envelope: Envelope[BeneficiaryUpdated], session: Session) -> None:
        data = envelope.data
        person = session.get(self.person, data.beneficiary_id)
        if person is None:
            return  # nothing is kept about people never referred here
        if "region" in data.changed_fields:
            person.region = data.region
            pending = (
                self.candidate.beneficiary_id == data.beneficiary_id,
                self.candidate.status == CandidateStatus.PENDING,
            )
            for candidate in session.exec(select(self.candidate).where(*pending)):
                candidate.region = data.region  # to be placed near where they live now
                session.add(candidate)
        self.updated(person, data)
        session.add(person)

    def erased(self, context: X, envelope: Envelope[BeneficiaryErased], session: Session) -> None:
        who = envelope.data.beneficiary_id
        uow = UnitOfWork.for_event(session, context, envelope)
        self.stop_everything(uow, who, publish=False)
        stand_in = uuid4()
        session.exec(
            update(self.candidate)
            .where(col(self.candidate.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, note=None, region=None)
        )
        self.erase(uow, who, stand_in)
        person = session.get(self.person, who)
        if person is not None:
            session.delete(person)

    def merged(self, context: X, envelope: Envelope[BeneficiariesMerged], session: Session) -> None:
        kept, retired = envelope.data.kept_beneficiary_id, envelope.data.merged_beneficiary_id
        session.exec(
            update(self.candidate).where(col(self.candidate.beneficiary_id) == retired).values(beneficiary_id=kept)
        )
        self.merge(UnitOfWork.for_event(session, context, envelope), kept, retired)
        old = session.get(self.person, retired)
        if old is None:
            return
        current = session.get(self.person, kept)
        if current is None:
            current = self.person(**old.model_dump(exclude={"beneficiary_id"}), beneficiary_id=kept)
        else:
            current.referral_consent = current.referral_consent or old.referral_consent
            current.region = current.region or old.region
            self.combine(current, old)
        session.delete(old)
        session.flush()  # the retired row goes before the kept one is written
        session.add(current)

    def stop_everything(self, uow: UnitOfWork[X], who: UUID, *, publish: bool) -> None:
        """End whatever the service does for the person; what they achieved stays."""
        uow.session.exec(
            update(self.candidate)
            .where(col(self.candidate.beneficiary_id) == who, col(self.candidate.status).in_(OPEN))
            .values(status=CandidateStatus.CANCELLED, status_changed_on=uow.today())
        )
        self.stop(uow, who, publish=publish)

    # -- candidates for staff (a query and a command) --------------------------------------------

    def candidates(
        self,
        session: Session,
        *,
        status: CandidateStatus | None,
        region: Region | None,
        beneficiary_id: UUID | None,
        limit: int,
        offset: int,
        also: Iterable[ColumnElement[bool]] = (),
    ) -> tuple[list[C], int]:
        """Candidates oldest referral first, filtered (`also` adds the service's own conditions)."""
        table = self.candidate
        query = select(table).where(*also)
        if status:
            query = query.where(table.status == status)
        if region:
            query = query.where(table.region == region)
        if beneficiary_id:
            query = query.where(table.beneficiary_id == beneficiary_id)
        return page(session, query.order_by(col(table.referred_on), col(table.received_at)), limit, offset)

    def decline(self, uow: UnitOfWork[X], referral_id: UUID, note: str | None) -> C:
        """Decline a pending referral (intake hears of it); what it held ends."""
        session, table = uow.session, self.candidate
        # Taking the row first: of two declines at once, the second waits and then finds it declined.
        session.exec(update(table).where(col(table.referral_id) == referral_id).values(note=table.note))
        candidate = session.get(table, referral_id)
        if candidate is None:
            raise NotFound(f"no referral {referral_id} to {self.service.value}")
        session.refresh(candidate)
        if candidate.status is not CandidateStatus.PENDING:
            raise Conflict(
                f"referral {referral_id} is {candidate.status.value}: only a pending one can be declined",
                code="referral_not_pending",
                values={"referral_status": candidate.status},
            )
        self.may_decline(session, candidate)
        candidate.note = note
        answer(uow, candidate, CandidateStatus.DECLINED, answered=self.answered)
        self.referral_ended(uow, referral_id)
        uow.commit()
        session.refresh(candidate)
        return candidate
