"""What intake subscribes to, and which handler applies each event."""

from work4life.contracts.referrals import (
    EmploymentReferralAnswered,
    EnterpriseReferralAnswered,
    TrainingReferralAnswered,
)
from work4life.contracts.topics import (
    EMPLOYMENT_REFERRAL_ANSWERS,
    ENTERPRISE_REFERRAL_ANSWERS,
    TRAINING_REFERRAL_ANSWERS,
)

from ..service_layer import orientation
from ..service_layer.handlers import Context

CONSUMES = (TRAINING_REFERRAL_ANSWERS, ENTERPRISE_REFERRAL_ANSWERS, EMPLOYMENT_REFERRAL_ANSWERS)


def event_handlers(context: Context) -> dict:
    answer = orientation.answer_handler(context)
    return {
        TrainingReferralAnswered: answer,
        EnterpriseReferralAnswered: answer,
        EmploymentReferralAnswered: answer,
    }
