"""Event handlers of the read model. Each runs inside the consumer's transaction (with the inbox
row), so it must not commit."""

from datetime import UTC
from typing import Any

from sqlmodel import Session

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import BeneficiaryRegistered, BeneficiaryUpdated, LegalStatusChanged

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


def record_profile_change(envelope: Envelope[Any], session: Session) -> None:
    data: BeneficiaryUpdated = envelope.data
    occurred = envelope.occurred_at.astimezone(UTC)
    person = session.get(Person, data.beneficiary_id)
    # One person's events share a partition, so the registration always comes first.
    if person is None or not is_newer(occurred, person.as_of):
        return
    person.sex = data.sex.value
    person.birth_year = data.birth_year
    person.nationality = data.nationality
    person.disability = data.disability
    person.region = data.region.value
    person.partner_organisation = data.partner_organisation
    person.as_of = occurred
    session.add(person)


def record_legal_status(envelope: Envelope[Any], session: Session) -> None:
    data: LegalStatusChanged = envelope.data
    occurred = envelope.occurred_at.astimezone(UTC)
    person = session.get(Person, data.beneficiary_id)
    if person is None or not is_newer(occurred, person.as_of):
        return
    person.legal_status = data.legal_status.value
    person.as_of = occurred
    session.add(person)
