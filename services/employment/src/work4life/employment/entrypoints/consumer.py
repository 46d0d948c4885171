"""What employment subscribes to, and which handler applies each event (see service_layer/people.py)."""

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

from ..service_layer import people
from ..service_layer.context import Context

CONSUMES = (INTAKE_BENEFICIARIES, TRAINING_ENROLMENTS)


def event_handlers(context: Context) -> dict:
    return {
        ConsentGiven: people.consent_given(context),
        ConsentWithdrawn: people.consent_withdrawn(context),
        ReferralMade: people.referral_made(context),
        ReferralStatusChanged: people.referral_status_changed(context),
        SkillsAssessed: people.skills_assessed(context),
        BeneficiaryUpdated: people.profile_updated(context),
        BeneficiaryErased: people.erased(context),
        BeneficiariesMerged: people.merged(context),
        CourseCompleted: people.course_completed(context),
    }
