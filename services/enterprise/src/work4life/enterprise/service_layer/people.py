"""What intake and training tell enterprise about people, through the shared referral desk (ADR 6,
`work4life.referrals.desk`): referrals become candidates, consent gates them, and withdrawal,
erasure and merges reach everything enterprise keeps. What is enterprise's own:

- Stopping (consent withdrawn, or the person erased) ends the person's memberships with the
  reason consent_withdrawn (published unless erased); a venture in support left without any
  programme member is abandoned. A launched venture stays: it is a business.
- Erasure: memberships and completed courses keep their counts under a stand-in id.
- A merge moves the retired id's memberships and completed courses to the kept id; where both were
  members of one venture, the retired membership ends.
- A referral that is a member's in a venture's application cannot be declined: the committee
  decides the application.
- A completed course of a kind a grant may require is kept as a prerequisite.
"""

from uuid import UUID

from sqlalchemy import update
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import ProgrammeService
from work4life.contracts.training import CourseCompleted
from work4life.referrals import ReferralDesk

from ..adapters import event_mapping
from ..adapters.orm import EnterpriseCandidate, Entrepreneur, TrainingCompletion, Venture, VentureMember
from ..domain.model import Conflict, ExitReason
from . import ventures
from .context import Context, Work


class EnterpriseDesk(ReferralDesk[Entrepreneur, EnterpriseCandidate, Context]):
    def stop(self, uow: Work, who: UUID, *, publish: bool) -> None:
        session = uow.session
        current = (VentureMember.beneficiary_id == who, col(VentureMember.left_on).is_(None))
        for member in list(session.exec(select(VentureMember).where(*current))):
            venture = session.get(Venture, member.venture_pk)
            assert venture is not None
            ventures.lock(session, venture)
            ventures.end_membership(uow, venture, member, ExitReason.CONSENT_WITHDRAWN, publish=publish)

    def erase(self, uow: Work, who: UUID, stand_in: UUID) -> None:
        session = uow.session
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

    def merge(self, uow: Work, kept: UUID, retired: UUID) -> None:
        session = uow.session
        session.exec(
            update(TrainingCompletion)
            .where(col(TrainingCompletion.beneficiary_id) == retired)
            .values(beneficiary_id=kept)
        )
        for member in list(session.exec(select(VentureMember).where(VentureMember.beneficiary_id == retired))):
            venture = session.get(Venture, member.venture_pk)
            assert venture is not None
            ventures.lock(session, venture)
            both = member.left_on is None and any(
                m.beneficiary_id == kept for m in ventures.members_of(session, venture)
            )
            if both:
                member.left_on = uow.today()
                member.left_reason = ExitReason.OTHER
            member.beneficiary_id = kept
            session.add(member)

    def may_decline(self, session: Session, candidate: EnterpriseCandidate) -> None:
        applying = select(VentureMember).where(VentureMember.referral_id == candidate.referral_id)
        if session.exec(applying).first() is not None:
            raise Conflict(
                f"referral {candidate.referral_id} is a member's in a venture's application: decide the application",
                code="referral_in_application",
            )

    def course_completed(self, context: Context, envelope: Envelope[CourseCompleted], session: Session) -> None:
        """Keep a completed course of a kind a grant may require (once, whoever replays it)."""
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


desk = EnterpriseDesk(ProgrammeService.ENTERPRISE, Entrepreneur, EnterpriseCandidate, event_mapping.referral_answered)
