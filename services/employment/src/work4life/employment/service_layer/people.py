"""What intake and training tell employment about people, through the shared referral desk (ADR 6,
`work4life.referrals.desk`): referrals become candidates, consent gates them, and withdrawal,
erasure and merges reach everything employment keeps.

Employment keeps data about a person only from their consent to referral to employment on:
their region, their latest skills assessment, and the courses they complete in training. What is
employment's own:

- Stopping (consent withdrawn, or the person erased) withdraws applications in progress and stops
  the retention checks still to come; a placement already made stays (the person has the job).
- Erasure: applications, placements, training records and fair attendance keep their counts under
  a stand-in id; the assessment and notes go.
- A merge moves the retired id's records to the kept id; where both applied to one offer, the
  retired application is withdrawn, and the newer skills assessment is kept.
"""

from uuid import UUID

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import BeneficiaryUpdated, ProgrammeService, SkillsAssessed
from work4life.contracts.training import CourseCompleted
from work4life.referrals import ReferralDesk

from ..adapters import event_mapping
from ..adapters.orm import (
    EmploymentCandidate,
    JobApplication,
    JobFairAttendee,
    Jobseeker,
    Placement,
    RetentionCheck,
    TrainingRecord,
)
from ..domain.model import IN_PROGRESS, ApplicationStatus, CheckStatus
from .context import Context, Work

ASSESSMENT = ("assessed_on", "languages", "education_level", "occupations", "skills", "digital_skills", "aspirations")


class EmploymentDesk(ReferralDesk[Jobseeker, EmploymentCandidate, Context]):
    def stop(self, uow: Work, who: UUID, *, publish: bool) -> None:
        session, context = uow.session, uow.context
        session.exec(
            update(JobApplication)
            .where(
                col(JobApplication.beneficiary_id) == who,
                col(JobApplication.status).in_([s.value for s in IN_PROGRESS]),
            )
            .values(status=ApplicationStatus.WITHDRAWN, decided_on=context.today())
        )
        session.exec(
            update(RetentionCheck)
            .where(
                col(RetentionCheck.placement_pk).in_(select(Placement.id).where(Placement.beneficiary_id == who)),
                col(RetentionCheck.status) == CheckStatus.SCHEDULED.value,
            )
            .values(status=CheckStatus.NOT_NEEDED)
        )

    def erase(self, uow: Work, who: UUID, stand_in: UUID) -> None:
        session = uow.session
        session.exec(
            update(JobApplication)
            .where(col(JobApplication.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, note=None, anonymised=True)
        )
        session.exec(
            update(Placement)
            .where(col(Placement.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, anonymised=True)
        )
        session.exec(
            update(RetentionCheck)
            .where(
                col(RetentionCheck.placement_pk).in_(select(Placement.id).where(Placement.beneficiary_id == stand_in))
            )
            .values(note=None)
        )
        for table in (TrainingRecord, JobFairAttendee):
            session.exec(update(table).where(col(table.beneficiary_id) == who).values(beneficiary_id=stand_in))

    def merge(self, uow: Work, kept: UUID, retired: UUID) -> None:
        session, context = uow.session, uow.context
        for table in (Placement, TrainingRecord):
            session.exec(update(table).where(col(table.beneficiary_id) == retired).values(beneficiary_id=kept))
        still_held = [*(s.value for s in IN_PROGRESS), ApplicationStatus.HIRED.value]
        kept_offers = set(
            session.exec(
                select(JobApplication.offer_pk).where(
                    JobApplication.beneficiary_id == kept, col(JobApplication.status).in_(still_held)
                )
            )
        )
        for application in list(session.exec(select(JobApplication).where(JobApplication.beneficiary_id == retired))):
            if application.offer_pk in kept_offers and application.status in IN_PROGRESS:
                application.status = ApplicationStatus.WITHDRAWN
                application.decided_on = context.today()
            application.beneficiary_id = kept
            session.add(application)
        kept_fairs = set(session.exec(select(JobFairAttendee.fair_pk).where(JobFairAttendee.beneficiary_id == kept)))
        session.exec(
            delete(JobFairAttendee).where(
                col(JobFairAttendee.beneficiary_id) == retired, col(JobFairAttendee.fair_pk).in_(kept_fairs)
            )
        )
        session.exec(
            update(JobFairAttendee).where(col(JobFairAttendee.beneficiary_id) == retired).values(beneficiary_id=kept)
        )

    def combine(self, kept: Jobseeker, retired: Jobseeker) -> None:
        """The newer skills assessment of the two wins."""
        if retired.assessed_on and (kept.assessed_on is None or retired.assessed_on > kept.assessed_on):
            for name in ASSESSMENT:
                setattr(kept, name, getattr(retired, name))

    def updated(self, person: Jobseeker, data: BeneficiaryUpdated) -> None:
        if "education_level" in data.changed_fields and data.education_level is not None:
            person.education_level = data.education_level

    def skills_assessed(self, context: Context, envelope: Envelope[SkillsAssessed], session: Session) -> None:
        """The newest assessment replaces the earlier ones (kept only with the consent)."""
        data = envelope.data
        jobseeker = self.consenting(session, data.beneficiary_id)
        if jobseeker is None or (jobseeker.assessed_on and jobseeker.assessed_on > data.assessed_on):
            return
        jobseeker.assessed_on = data.assessed_on
        jobseeker.languages = [lang.model_dump(mode="json") for lang in data.languages]
        jobseeker.education_level = data.education_level
        jobseeker.occupations = [o.model_dump(mode="json") for o in data.occupations]
        jobseeker.skills = list(data.skills)
        jobseeker.digital_skills = data.digital_skills
        jobseeker.aspirations = [a.value for a in data.aspirations]
        session.add(jobseeker)

    def course_completed(self, context: Context, envelope: Envelope[CourseCompleted], session: Session) -> None:
        """Keep a course the person completed in training (with the consent, once)."""
        data = envelope.data
        if self.consenting(session, data.beneficiary_id) is None:
            return
        if session.get(TrainingRecord, data.enrolment_id) is not None:
            return
        session.add(
            TrainingRecord(
                enrolment_id=data.enrolment_id,
                beneficiary_id=data.beneficiary_id,
                course_kind=data.course_kind,
                sector=data.sector,
                completed_on=data.completed_on,
                certificate_number=data.certificate_number,
            )
        )


desk = EmploymentDesk(ProgrammeService.EMPLOYMENT, Jobseeker, EmploymentCandidate, event_mapping.referral_answered)
