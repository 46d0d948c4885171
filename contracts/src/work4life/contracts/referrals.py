"""Answers to intake's referrals, one event per receiving programme service.

Each receiving service publishes on its own topic (one producer per topic); intake consumes all
three to close the loop. The payload is the same for all three.
"""

from datetime import date
from enum import StrEnum
from uuid import UUID

from .envelope import EventData


class ReferralAnswer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"


class _ReferralAnswered(EventData):
    referral_id: UUID
    beneficiary_id: UUID
    answer: ReferralAnswer
    answered_on: date


class TrainingReferralAnswered(_ReferralAnswered):
    """The training service accepted, declined or completed a referral."""

    EVENT_TYPE = "training.referral_answered"
    SCHEMA_VERSION = 1


class EnterpriseReferralAnswered(_ReferralAnswered):
    """The enterprise service accepted, declined or completed a referral."""

    EVENT_TYPE = "enterprise.referral_answered"
    SCHEMA_VERSION = 1


class EmploymentReferralAnswered(_ReferralAnswered):
    """The employment service accepted, declined or completed a referral."""

    EVENT_TYPE = "employment.referral_answered"
    SCHEMA_VERSION = 1
