"""Event handlers of the read model. Each runs inside the consumer's transaction (with the inbox
row), so it must not commit."""

from datetime import UTC
from typing import Any

from sqlmodel import Session

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import BeneficiaryRegistered

from ..adapters.orm import Person
from ..domain.model import is_newer


def record_registration(envelope: Envelope[Any], session: Session) -> None:
    data: BeneficiaryRegistered = envelope.data
    occurred = envelope.occurred_at.astimezone(UTC)
    person = session.get(Person, data.beneficiary_id)
    if person is not None and not is_newer(occurred, person.as_of):
        return
    attributes = dict(
        registered_on=data.registered_on,
        sex=data.sex.value,
        birth_year=data.birth_year,
        nationality=data.nationality,
        legal_status=data.legal_status.value,
        disability=data.disability,
        region=data.region.value,
        partner_organisation=data.partner_organisation,
        as_of=occurred,
    )
    if person is None:
        session.add(Person(beneficiary_id=data.beneficiary_id, **attributes))
    else:
        for name, value in attributes.items():
            setattr(person, name, value)
