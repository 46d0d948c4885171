"""What reporting subscribes to, and which handler applies each event."""

from work4life.contracts.intake import BeneficiaryRegistered, BeneficiaryUpdated, LegalStatusChanged
from work4life.contracts.topics import INTAKE_BENEFICIARIES

from ..service_layer import handlers

CONSUMES = (INTAKE_BENEFICIARIES,)

EVENT_HANDLERS = {
    BeneficiaryRegistered: handlers.record_registration,
    BeneficiaryUpdated: handlers.record_profile_change,
    LegalStatusChanged: handlers.record_legal_status,
}
