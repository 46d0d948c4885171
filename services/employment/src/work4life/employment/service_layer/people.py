"""What intake and training tell employment about people. Each handler runs in the consumer's
transaction (with the inbox row), so it must not commit; replaying an event changes nothing.

Employment keeps data about a person only from their consent to referral to employment on:
their region, their latest skills assessment, and the courses they complete in training.

- A referral to employment becomes a pending candidate, only with that consent known (intake
  announces it first, on the same partition); otherwise it goes to the dead letters.
- Withdrawing the consent (or consent to service delivery) cancels pending candidates, withdraws
  applications in progress and stops the retention checks still to come; a placement already made
  stays (the person has the job).
- Erasure does the same, then replaces the person's id by a random stand-in everywhere and deletes
  what employment kept about them (assessment, region, notes).
- A merge moves the retired id's records to the kept id.
"""

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, update
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
    SkillsAssessed,
)
from work4life.contracts.training import CourseCompleted
from work4life.runtime.auth import Principal

from ..adapters.orm import (
    EmploymentCandidate,
    JobApplication,
    JobFairAttendee,
    Jobseeker,
    Placement,
    RetentionCheck,
    TrainingRecord,
)
from ..domain.model import IN_PROGRESS, ApplicationStatus, CandidateStatus, CheckStatus, Conflict, NotFound
from . import applications
from .context import Context, now
from .employers import page

EMPLOYMENT = ProgrammeService.EMPLOYMENT.value
OPEN = (CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value)


class ReferralWithoutConsent(Exception):
    """Intake referred someone whose consent to referral to employment this service never saw."""


def _concerns_employment(purpose: ConsentPurpose, organisation: str | None) -> bool:
    return purpose is ConsentPurpose.SERVICE_DELIVERY or (
        purpose is ConsentPurpose.REFERRAL and (organisation or "").strip().lower() == EMPLOYMENT
    )


def _consenting(session: Session, who: UUID) -> Jobseeker | None:
    jobseeker = session.get(Jobseeker, who)
    return jobseeker if jobseeker is not None and jobseeker.referral_consent else None


def consent_given(context: Context):
    def handle(envelope: Envelope[ConsentGiven], session: Session) -> None:
        data = envelope.data
        if data.purpose is not ConsentPurpose.REFERRAL or not _concerns_employment(data.purpose, data.organisation):
            return
        jobseeker = session.get(Jobseeker, data.beneficiary_id) or Jobseeker(beneficiary_id=data.beneficiary_id)
        jobseeker.referral_consent = True
        jobseeker.consent_changed_at = now()
        session.add(jobseeker)

    return handle


def consent_withdrawn(context: Context):
    def handle(envelope: Envelope[ConsentWithdrawn], session: Session) -> None:
        data = envelope.data
        if not _concerns_employment(data.purpose, data.organisation):
            return
        jobseeker = session.get(Jobseeker, data.beneficiary_id)
        if jobseeker is not None:
            jobseeker.referral_consent = False
            jobseeker.consent_changed_at = now()
            session.add(jobseeker)
        stop_everything(session, data.beneficiary_id, context)

    return handle


def referral_made(context: Context):
    def handle(envelope: Envelope[ReferralMade], session: Session) -> None:
        data = envelope.data
        if data.service is not ProgrammeService.EMPLOYMENT:
            return
        if session.get(EmploymentCandidate, data.referral_id) is not None:
            return
        jobseeker = _consenting(session, data.beneficiary_id)
        if jobseeker is None:
            raise ReferralWithoutConsent(
                f"referral {data.referral_id}: no consent of {data.beneficiary_id} to referral to employment is known"
            )
        if data.region is not None:
            jobseeker.region = data.region
            session.add(jobseeker)
        session.add(
            EmploymentCandidate(
                referral_id=data.referral_id,
                beneficiary_id=data.beneficiary_id,
                reason=data.reason,
                referred_on=data.made_on,
                referred_by=data.partner_organisation,
                region=data.region or jobseeker.region,
                received_at=now(),
            )
        )

    return handle


def referral_status_changed(context: Context):
    def handle(envelope: Envelope[ReferralStatusChanged], session: Session) -> None:
        data = envelope.data
        if data.status is not ReferralStatus.CANCELLED:
            return  # the other statuses echo this service's own answers
        candidate = session.get(EmploymentCandidate, data.referral_id)
        if candidate is not None and candidate.status.value in OPEN:
            candidate.status = CandidateStatus.CANCELLED
            candidate.status_changed_on = context.today()
            session.add(candidate)

    return handle


def skills_assessed(context: Context):
    """The newest assessment replaces the earlier ones (kept only with the consent)."""

    def handle(envelope: Envelope[SkillsAssessed], session: Session) -> None:
        data = envelope.data
        jobseeker = _consenting(session, data.beneficiary_id)
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

    return handle


def profile_updated(context: Context):
    def handle(envelope: Envelope[BeneficiaryUpdated], session: Session) -> None:
        data = envelope.data
        jobseeker = session.get(Jobseeker, data.beneficiary_id)
        if jobseeker is None:
            return
        if "region" in data.changed_fields:
            jobseeker.region = data.region
        if "education_level" in data.changed_fields and data.education_level is not None:
            jobseeker.education_level = data.education_level
        session.add(jobseeker)

    return handle


def course_completed(context: Context):
    def handle(envelope: Envelope[CourseCompleted], session: Session) -> None:
        data = envelope.data
        if _consenting(session, data.beneficiary_id) is None:
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

    return handle


def erased(context: Context):
    def handle(envelope: Envelope[BeneficiaryErased], session: Session) -> None:
        data = envelope.data
        who = data.beneficiary_id
        stop_everything(session, who, context)
        stand_in = uuid4()
        session.exec(
            update(EmploymentCandidate)
            .where(col(EmploymentCandidate.beneficiary_id) == who)
            .values(beneficiary_id=stand_in, note=None, region=None)
        )
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
        jobseeker = session.get(Jobseeker, who)
        if jobseeker is not None:
            session.delete(jobseeker)

    return handle


def merged(context: Context):
    def handle(envelope: Envelope[BeneficiariesMerged], session: Session) -> None:
        data = envelope.data
        kept, retired = data.kept_beneficiary_id, data.merged_beneficiary_id
        for table in (EmploymentCandidate, Placement, TrainingRecord):
            session.exec(update(table).where(col(table.beneficiary_id) == retired).values(beneficiary_id=kept))
        kept_offers = set(
            session.exec(
                select(JobApplication.offer_pk).where(
                    JobApplication.beneficiary_id == kept,
                    col(JobApplication.status).in_([*(s.value for s in IN_PROGRESS), ApplicationStatus.HIRED.value]),
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
        old = session.get(Jobseeker, retired)
        if old is not None:
            current = session.get(Jobseeker, kept)
            snapshot = old.model_dump(exclude={"beneficiary_id"})
            session.delete(old)
            session.flush()
            if current is None:
                session.add(Jobseeker(beneficiary_id=kept, **snapshot))
            else:
                current.referral_consent = current.referral_consent or snapshot["referral_consent"]
                if (snapshot["assessed_on"] or current.assessed_on) and (
                    current.assessed_on is None
                    or (snapshot["assessed_on"] and snapshot["assessed_on"] > current.assessed_on)
                ):
                    for name in (
                        "assessed_on",
                        "languages",
                        "education_level",
                        "occupations",
                        "skills",
                        "digital_skills",
                        "aspirations",
                    ):
                        setattr(current, name, snapshot[name])
                current.region = current.region or snapshot["region"]
                session.add(current)

    return handle


def stop_everything(session: Session, who: UUID, context: Context) -> None:
    """End what employment does for the person; a placement already made stays."""
    session.exec(
        update(EmploymentCandidate)
        .where(col(EmploymentCandidate.beneficiary_id) == who, col(EmploymentCandidate.status).in_(OPEN))
        .values(status=CandidateStatus.CANCELLED.value, status_changed_on=context.today())
    )
    session.exec(
        update(JobApplication)
        .where(
            col(JobApplication.beneficiary_id) == who,
            col(JobApplication.status).in_([s.value for s in IN_PROGRESS]),
        )
        .values(status=ApplicationStatus.WITHDRAWN.value, decided_on=context.today())
    )
    session.exec(
        update(RetentionCheck)
        .where(
            col(RetentionCheck.placement_pk).in_(select(Placement.id).where(Placement.beneficiary_id == who)),
            col(RetentionCheck.status) == CheckStatus.SCHEDULED.value,
        )
        .values(status=CheckStatus.NOT_NEEDED.value)
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
) -> tuple[list[EmploymentCandidate], int]:
    query = select(EmploymentCandidate)
    if status:
        query = query.where(EmploymentCandidate.status == status)
    if region:
        query = query.where(EmploymentCandidate.region == region)
    if beneficiary_id:
        query = query.where(EmploymentCandidate.beneficiary_id == beneficiary_id)
    order = (col(EmploymentCandidate.referred_on), col(EmploymentCandidate.received_at))
    return page(session, query.order_by(*order), limit, offset)


def decline(
    session: Session, referral_id: UUID, note: str | None, context: Context, actor: Principal, correlation_id: Any
) -> EmploymentCandidate:
    session.exec(
        update(EmploymentCandidate)
        .where(col(EmploymentCandidate.referral_id) == referral_id)
        .values(note=EmploymentCandidate.note)
    )
    candidate = session.get(EmploymentCandidate, referral_id)
    if candidate is None:
        raise NotFound(f"no referral {referral_id} to employment")
    session.refresh(candidate)
    if candidate.status is not CandidateStatus.PENDING:
        raise Conflict(f"referral {referral_id} is {candidate.status.value}: only a pending one can be declined")
    candidate.note = note
    applications.answer(session, candidate, CandidateStatus.DECLINED, context, correlation_id)
    session.commit()
    session.refresh(candidate)
    return candidate
