"""What training subscribes to, and which handler applies each event: intake's events about people
go to training's referral desk (service_layer/people.py, ADR 6)."""

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
)
from work4life.contracts.topics import INTAKE_BENEFICIARIES
from work4life.runtime.consumer import Handler

from ..service_layer import people
from ..service_layer.context import Context

CONSUMES = (INTAKE_BENEFICIARIES,)


def event_handlers(context: Context) -> dict[type[EventData], Handler]:
    desk = people.desk
    return {
        ConsentGiven: partial(desk.consent_given, context),
        ConsentWithdrawn: partial(desk.consent_withdrawn, context),
        ReferralMade: partial(desk.referral_made, context),
        ReferralStatusChanged: partial(desk.referral_status_changed, context),
        BeneficiaryUpdated: partial(desk.profile_updated, context),
        BeneficiaryErased: partial(desk.erased, context),
        BeneficiariesMerged: partial(desk.merged, context),
    }
