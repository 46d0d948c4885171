"""What employment subscribes to, and which handler applies each event: intake's events about people
and training's completions go to employment's referral desk (service_layer/people.py, ADR 6)."""

from functools import partial

from work4life.contracts.envelope import EventData
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    BeneficiaryUpdated,
    ConsentGiven,
    ConsentWithdrawn,
    ReferralMade,
    ReferralStatusChanged,
    SkillsAssessed,
)
from work4life.contracts.topics import INTAKE_BENEFICIARIES, TRAINING_ENROLMENTS
from work4life.contracts.training import CourseCompleted
from work4life.runtime.consumer import Handler

from ..service_layer import people
from ..service_layer.context import Context

CONSUMES = (INTAKE_BENEFICIARIES, TRAINING_ENROLMENTS)


def event_handlers(context: Context) -> dict[type[EventData], Handler]:
    desk = people.desk
    return {
        ConsentGiven: partial(desk.consent_given, context),
        ConsentWithdrawn: partial(desk.consent_withdrawn, context),
        ReferralMade: partial(desk.referral_made, context),
        ReferralStatusChanged: partial(desk.referral_status_changed, context),
        SkillsAssessed: partial(desk.skills_assessed, context),
        BeneficiaryUpdated: partial(desk.profile_updated, context),
        BeneficiaryErased: partial(desk.erased, context),
        BeneficiariesMerged: partial(desk.merged, context),
        CourseCompleted: partial(desk.course_completed, context),
    }
