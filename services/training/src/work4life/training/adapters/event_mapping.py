"""The one place where training's records become contract events (and so leave the service)."""

from typing import Any
from uuid import UUID

from work4life.contracts import training as contract
from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.referrals import TrainingReferralAnswered
from work4life.contracts.topics import TRAINING_ENROLMENTS, TRAINING_REFERRAL_ANSWERS, Topic
from work4life.referrals import answers_on
from work4life.runtime.events import new_envelope

from .orm import Cohort, Course, Enrolment

Event = tuple[Topic, Envelope[Any]]


def _about_course(enrolment: Enrolment, cohort: Cohort, course: Course) -> dict[str, Any]:
    return dict(
        enrolment_id=enrolment.enrolment_id,
        beneficiary_id=enrolment.beneficiary_id,
        cohort_id=cohort.cohort_id,
        course_id=course.course_id,
        course_kind=course.kind,
        sector=course.sector,
        region=cohort.region,
        organisation=cohort.organisation,
    )


def _envelope(data: Any, beneficiary_id: UUID, producer: Producer, correlation_id: Any, causation_id: Any) -> Any:
    return new_envelope(
        data, key=str(beneficiary_id), producer=producer, correlation_id=correlation_id, causation_id=causation_id
    )


def enrolled(
    enrolment: Enrolment,
    cohort: Cohort,
    course: Course,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    data = contract.TraineeEnrolled(
        **_about_course(enrolment, cohort, course),
        enrolled_on=enrolment.enrolled_on,
        referral_id=enrolment.referral_id,
        from_waiting_list=enrolment.from_waiting_list,
    )
    return TRAINING_ENROLMENTS, _envelope(data, enrolment.beneficiary_id, producer, correlation_id, causation_id)


def completed(
    enrolment: Enrolment,
    cohort: Cohort,
    course: Course,
    rate: float,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    data = contract.CourseCompleted(
        **_about_course(enrolment, cohort, course),
        completed_on=enrolment.completed_on,
        hours=course.hours,
        attendance_rate=rate,
        final_assessment_passed=enrolment.final_passed if course.final_assessment_required else None,
        certificate_number=enrolment.certificate_number,
    )
    return TRAINING_ENROLMENTS, _envelope(data, enrolment.beneficiary_id, producer, correlation_id, causation_id)


def dropped_out(
    enrolment: Enrolment,
    cohort: Cohort,
    course: Course,
    rate: float,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    data = contract.TraineeDroppedOut(
        **_about_course(enrolment, cohort, course),
        dropped_on=enrolment.dropped_on,
        reason=enrolment.dropout_reason,
        attendance_rate=rate,
    )
    return TRAINING_ENROLMENTS, _envelope(data, enrolment.beneficiary_id, producer, correlation_id, causation_id)


referral_answered = answers_on(TRAINING_REFERRAL_ANSWERS, TrainingReferralAnswered)
"""The answer to a referral to training, told to intake (`work4life.referrals.answers_on`)."""
