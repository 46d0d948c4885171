"""The one place where intake's domain events become contract events (and so leave the service).

Only what other services need crosses this line: no names, phone, e-mail, documents or exact
date of birth (the birth year is enough for age bands).
"""

from typing import Any

from work4life.contracts import intake as contract
from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.topics import INTAKE_BENEFICIARIES, Topic
from work4life.runtime.events import new_envelope

from .orm import Beneficiary


def beneficiary_registered(
    beneficiary: Beneficiary, *, producer: Producer, correlation_id: Any = None
) -> tuple[Topic, Envelope[Any]]:
    data = contract.BeneficiaryRegistered(
        beneficiary_id=beneficiary.beneficiary_id,
        registered_on=beneficiary.registered_on,
        sex=beneficiary.sex,
        birth_year=beneficiary.date_of_birth.year,
        nationality=beneficiary.nationality,
        legal_status=beneficiary.legal_status,
        disability=beneficiary.disability,
        region=beneficiary.region,
        city=beneficiary.city,
        partner_organisation=beneficiary.partner_organisation,
        languages=beneficiary.languages,
        education_level=beneficiary.education_level,
    )
    envelope = new_envelope(data, key=str(beneficiary.beneficiary_id), producer=producer, correlation_id=correlation_id)
    return INTAKE_BENEFICIARIES, envelope
