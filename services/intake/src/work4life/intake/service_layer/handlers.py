"""Intake's use cases. Each runs in one transaction that also stages the events it causes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Producer
from work4life.runtime.outbox import add_to_outbox

from ..adapters import event_mapping
from ..adapters.orm import Beneficiary
from ..domain.model import BeneficiaryBase, check_age


@dataclass(frozen=True)
class RegisterBeneficiary:
    details: BeneficiaryBase
    today: date
    correlation_id: UUID | None = None


@dataclass(frozen=True)
class Context:
    """What a handler needs of the service around it."""

    producer: Producer
    minimum_age: int
    topic_name: Any  # Callable[[str], str]: catalogue name -> deployed topic name


def register_beneficiary(
    session: Session,
    command: RegisterBeneficiary,
    context: Context,
    within_transaction: Callable[[Beneficiary], None] | None = None,
) -> Beneficiary:
    check_age(command.details.date_of_birth, command.today, context.minimum_age)
    beneficiary = Beneficiary(
        **command.details.model_dump(),
        registered_on=command.today,
        created_at=datetime.now(UTC),
    )
    session.add(beneficiary)
    session.flush()
    topic, envelope = event_mapping.beneficiary_registered(
        beneficiary, producer=context.producer, correlation_id=command.correlation_id
    )
    add_to_outbox(session, context.topic_name(topic.name), envelope)
    if within_transaction is not None:
        within_transaction(beneficiary)
    session.commit()
    session.refresh(beneficiary)
    return beneficiary


@dataclass(frozen=True)
class BeneficiaryFilter:
    region: str | None = None
    partner_organisation: str | None = None
    legal_status: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None


def list_beneficiaries(
    session: Session, filters: BeneficiaryFilter, limit: int, offset: int
) -> tuple[list[Beneficiary], int]:
    query = select(Beneficiary)
    if filters.region:
        query = query.where(Beneficiary.region == filters.region)
    if filters.partner_organisation:
        query = query.where(Beneficiary.partner_organisation == filters.partner_organisation)
    if filters.legal_status:
        query = query.where(Beneficiary.legal_status == filters.legal_status)
    if filters.registered_from:
        query = query.where(Beneficiary.registered_on >= filters.registered_from)
    if filters.registered_to:
        query = query.where(Beneficiary.registered_on <= filters.registered_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(Beneficiary.id)).offset(offset).limit(limit)).all()
    return list(items), int(total)


def get_beneficiary(session: Session, beneficiary_id: UUID) -> Beneficiary | None:
    return session.exec(select(Beneficiary).where(Beneficiary.beneficiary_id == beneficiary_id)).first()
