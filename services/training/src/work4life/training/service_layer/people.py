"""What intake tells training about people, through the shared referral desk (ADR 6,
`work4life.referrals.desk`): referrals become candidates, consent gates them, and withdrawal,
erasure and merges reach everything training keeps. What is training's own:

- Stopping (consent withdrawn, or the person erased): waiting-list places are given up, seats end
  as dropouts with the reason consent_withdrawn (published unless erased), and the seats go to the
  next in line. Completions stay.
- Erasure: enrolments keep their counts but lose the person (a stand-in id, no dropout note).
- A merge re-points the retired id's enrolments to the kept id; where both held a place in the
  same cohort, the retired one's becomes `merged` and frees its seat.
- A referral cancelled in intake or declined here gives up its waiting-list places (a seat already
  taken stays: the person is in class).
"""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import ProgrammeService
from work4life.contracts.training import CourseKind, DropoutReason
from work4life.referrals import ReferralDesk
from work4life.runtime.db import key

from ..adapters import event_mapping
from ..adapters.orm import Candidate, Cohort, Course, Enrolment, Trainee
from ..domain.model import HOLDS_A_PLACE, EnrolmentStatus, reasons_suiting
from . import enrolment
from .catalogue import lock
from .context import Context


class TrainingDesk(ReferralDesk[Trainee, Candidate, Context]):
    def stop(self, session: Session, who: UUID, context: Context, *, publish: bool, envelope: Envelope[Any]) -> None:
        freed: set[int] = set()
        holding = (Enrolment.beneficiary_id == who, col(Enrolment.status).in_([s.value for s in HOLDS_A_PLACE]))
        for place in list(session.exec(select(Enrolment).where(*holding))):
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
        _refill(session, freed, context, envelope)

    def erase(self, session: Session, who: UUID, stand_in: UUID, context: Context) -> None:
        session.exec(
            update(Enrolment)
            .where(col(Enrolment.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, dropout_note=None, anonymised=True)
        )

    def merge(self, session: Session, kept: UUID, retired: UUID, context: Context, envelope: Envelope[Any]) -> None:
        still_held = [*(s.value for s in HOLDS_A_PLACE), EnrolmentStatus.COMPLETED.value]
        kept_cohorts = set(
            session.exec(
                select(Enrolment.cohort_pk).where(
                    Enrolment.beneficiary_id == kept, col(Enrolment.status).in_(still_held)
                )
            )
        )
        freed: set[int] = set()
        for place in list(session.exec(select(Enrolment).where(Enrolment.beneficiary_id == retired))):
            if place.cohort_pk in kept_cohorts and place.status in HOLDS_A_PLACE:
                if place.status is EnrolmentStatus.ENROLLED:
                    freed.add(place.cohort_pk)
                place.status = EnrolmentStatus.MERGED
                place.ended_on = context.today()
            place.beneficiary_id = kept
            session.add(place)
        _refill(session, freed, context, envelope)

    def referral_ended(self, session: Session, referral_id: UUID, context: Context) -> None:
        waiting = (Enrolment.referral_id == referral_id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        for place in list(session.exec(select(Enrolment).where(*waiting))):
            place.status = EnrolmentStatus.CANCELLED
            place.ended_on = context.today()
            session.add(place)


desk = TrainingDesk(ProgrammeService.TRAINING, Trainee, Candidate, event_mapping.referral_answered)


def suiting(kind: CourseKind | None) -> list[ColumnElement[bool]]:
    """The condition on candidates whose referral reason suits a course of this kind."""
    return [] if kind is None else [col(Candidate.reason).in_([r.value for r in reasons_suiting(kind)])]


def _refill(session: Session, cohorts: set[int], context: Context, envelope: Envelope[Any]) -> None:
    """Give the seats freed in these cohorts to the next people on their waiting lists."""
    session.flush()
    for cohort_pk in cohorts:
        cohort = session.get(Cohort, cohort_pk)
        assert cohort is not None
        course = session.get(Course, cohort.course_pk)
        assert course is not None
        lock(session, cohort)
        enrolment.fill_from_waiting_list(session, cohort, course, context, envelope.correlation_id, envelope.event_id)
