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

from uuid import UUID

from sqlalchemy import ColumnElement, update
from sqlmodel import col, select

from work4life.contracts.intake import ProgrammeService
from work4life.contracts.training import CourseKind, DropoutReason
from work4life.referrals import ReferralDesk
from work4life.runtime.db import key

from ..adapters import event_mapping
from ..adapters.orm import Candidate, Cohort, Course, Enrolment, Trainee
from ..domain.model import HOLDS_A_PLACE, EnrolmentStatus, reasons_suiting
from . import enrolment
from .catalogue import lock
from .context import Context, Work


class TrainingDesk(ReferralDesk[Trainee, Candidate, Context]):
    def stop(self, uow: Work, who: UUID, *, publish: bool) -> None:
        session, freed = uow.session, set[int]()
        holding = (Enrolment.beneficiary_id == who, col(Enrolment.status).in_([s.value for s in HOLDS_A_PLACE]))
        for place in list(session.exec(select(Enrolment).where(*holding))):
            if place.status is EnrolmentStatus.WAITLISTED:
                place.status = EnrolmentStatus.CANCELLED
                place.ended_on = uow.today()
                session.add(place)
                continue
            cohort = session.get(Cohort, place.cohort_pk)
            course = session.get(Course, cohort.course_pk) if cohort else None
            assert cohort is not None and course is not None
            lock(session, cohort)
            session.refresh(place)
            if place.status is not EnrolmentStatus.ENROLLED:
                continue
            enrolment.drop(uow, place, cohort, course, DropoutReason.CONSENT_WITHDRAWN, publish=publish)
            freed.add(key(cohort))
        _refill(uow, freed)

    def erase(self, uow: Work, who: UUID, stand_in: UUID) -> None:
        uow.session.exec(
            update(Enrolment)
            .where(col(Enrolment.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, dropout_note=None, anonymised=True)
        )

    def merge(self, uow: Work, kept: UUID, retired: UUID) -> None:
        session = uow.session
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
                place.ended_on = uow.today()
            place.beneficiary_id = kept
            session.add(place)
        _refill(uow, freed)

    def referral_ended(self, uow: Work, referral_id: UUID) -> None:
        waiting = (Enrolment.referral_id == referral_id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        for place in list(uow.session.exec(select(Enrolment).where(*waiting))):
            place.status = EnrolmentStatus.CANCELLED
            place.ended_on = uow.today()
            uow.session.add(place)


desk = TrainingDesk(ProgrammeService.TRAINING, Trainee, Candidate, event_mapping.referral_answered)


def suiting(kind: CourseKind | None) -> list[ColumnElement[bool]]:
    """The condition on candidates whose referral reason suits a course of this kind."""
    return [] if kind is None else [col(Candidate.reason).in_([r.value for r in reasons_suiting(kind)])]


def _refill(uow: Work, cohorts: set[int]) -> None:
    """Give the seats freed in these cohorts to the next people on their waiting lists."""
    uow.session.flush()
    for cohort_pk in cohorts:
        cohort = uow.session.get(Cohort, cohort_pk)
        assert cohort is not None
        course = uow.session.get(Course, cohort.course_pk)
        assert course is not None
        lock(uow.session, cohort)
        enrolment.fill_from_waiting_list(uow, cohort, course)
