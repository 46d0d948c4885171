"""Intake's use cases. Each runs in one transaction that also stages the events it causes and the
audit entries of the personal data it touched."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from work4life.contracts.intake import ConsentPurpose, LegalStatus, LegalStatusChangeReason
from work4life.runtime.context import ServiceContext, now
from work4life.runtime.db import key
from work4life.runtime.errors import Conflict
from work4life.runtime.uow import UnitOfWork

from ..adapters import event_mapping
from ..adapters.orm import Beneficiary, Consent, LegalStatusRecord, RecordStatus, SkillsAssessment
from ..domain.footprint import Footprint
from ..domain.model import (
    PROFILE_FIELDS,
    BeneficiaryBase,
    BeneficiaryFields,
    ConsentRequest,
    DocumentType,
    Refused,
    check_age,
    check_registration_consents,
    fingerprint,
)
from . import audit


@dataclass(frozen=True, kw_only=True)
class Context(ServiceContext):
    """What intake's handlers need of the service around it (the shared part: `ServiceContext`)."""

    minimum_age: int
    notice_version: str = "2026-01"
    footprint: Footprint = field(default_factory=Footprint)  # the programme's cities (IntakeSettings.footprint)


Work = UnitOfWork[Context]
"""An intake use case's unit of work (`work4life.runtime.uow`)."""


@dataclass(frozen=True)
class RegisterBeneficiary:
    details: BeneficiaryBase
    consents: list[ConsentRequest]
    registration_key: str | None = None  # the device's idempotency key (offline registrations)
    registered_on: date | None = None  # the day it happened, when entered later (default: today)


class AlreadyRegistered(Exception):
    """A registration whose idempotency key was already used: the person it created."""

    def __init__(self, beneficiary: Beneficiary) -> None:
        super().__init__(f"registration key already used by beneficiary {beneficiary.beneficiary_id}")
        self.beneficiary = beneficiary


def registered_with_key(session: Session, key: str) -> Beneficiary | None:
    return session.exec(select(Beneficiary).where(Beneficiary.registration_key == key)).first()


def register_beneficiary(uow: Work, command: RegisterBeneficiary) -> Beneficiary:
    """Register a person. With a `registration_key` already used (a device sending again what
    intake committed before the answer reached it), raises `AlreadyRegistered` with that person:
    nothing is written and no event is staged a second time."""
    session, context, actor = uow.session, uow.context, uow.staff
    if command.registration_key is not None:
        existing = registered_with_key(session, command.registration_key)
        if existing is not None:
            raise AlreadyRegistered(existing)
    registered_on = context.happened_on("registered_on", command.registered_on)
    check_age(command.details.date_of_birth, registered_on, context.minimum_age)
    check_registration_consents(command.consents)
    beneficiary = Beneficiary(
        **{**command.details.model_dump(), "city": context.footprint.city(command.details.city)},
        birth_year=command.details.date_of_birth.year,
        fingerprint=fingerprint(
            command.details.given_name,
            command.details.family_name,
            command.details.date_of_birth,
            command.details.nationality,
            command.details.partner_organisation,
        ),
        registered_on=registered_on,
        created_at=now(),
        registration_key=command.registration_key,
    )
    session.add(beneficiary)
    try:
        session.flush()
    except IntegrityError:
        # The same key sent twice at once: the other request's registration won.
        session.rollback()
        existing = registered_with_key(session, command.registration_key) if command.registration_key else None
        if existing is None:
            raise
        raise AlreadyRegistered(existing) from None
    session.add(
        LegalStatusRecord(
            beneficiary_pk=key(beneficiary),
            legal_status=beneficiary.legal_status,
            effective_on=registered_on,
            document_type=beneficiary.document_type,
            document_number=beneficiary.document_number,
            document_expiry=beneficiary.document_expiry,
            recorded_by=actor.subject,
            recorded_at=now(),
        )
    )
    uow.publish(event_mapping.beneficiary_registered(beneficiary, **uow.provenance))
    for request in command.consents:
        _give_consent(uow, beneficiary, request, given_on=registered_on)
    audit.record(session, actor, "register", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(beneficiary)
    return beneficiary


@dataclass(frozen=True)
class UpdateBeneficiary:
    beneficiary: Beneficiary
    changes: dict[str, Any]


def update_beneficiary(uow: Work, command: UpdateBeneficiary) -> Beneficiary:
    """Apply a partial update. The profile event goes out only if a shareable attribute changed."""
    session, context, actor = uow.session, uow.context, uow.staff
    beneficiary = command.beneficiary
    current = BeneficiaryFields.model_validate(beneficiary, from_attributes=True).model_dump()
    merged = BeneficiaryBase.model_validate({**current, **command.changes}).model_dump()
    merged["city"] = context.footprint.city(merged["city"])
    if merged["date_of_birth"] != current["date_of_birth"]:
        check_age(merged["date_of_birth"], context.today(), context.minimum_age)
    changed = [name for name, value in merged.items() if value != current[name]]
    if not changed:
        return beneficiary
    for name in changed:
        setattr(beneficiary, name, merged[name])
    beneficiary.birth_year = beneficiary.date_of_birth.year
    beneficiary.updated_at = now()
    shared = [name for name in changed if name in PROFILE_FIELDS]
    if "date_of_birth" in shared and current["date_of_birth"].year == merged["date_of_birth"].year:
        shared.remove("date_of_birth")
    if shared:
        uow.publish(event_mapping.beneficiary_updated(beneficiary, shared, **uow.provenance))
    audit.record(session, actor, "update", [beneficiary.beneficiary_id])
    session.add(beneficiary)
    uow.commit()
    session.refresh(beneficiary)
    return beneficiary


@dataclass(frozen=True)
class ChangeLegalStatus:
    beneficiary: Beneficiary
    legal_status: LegalStatus
    effective_on: date
    reason: LegalStatusChangeReason
    document_type: DocumentType | None = None
    document_number: str | None = None
    document_expiry: date | None = None
    note: str | None = None


def change_legal_status(uow: Work, command: ChangeLegalStatus) -> LegalStatusRecord:
    session, context, actor = uow.session, uow.context, uow.staff
    beneficiary = command.beneficiary
    timeline = legal_status_timeline(session, beneficiary)
    last = timeline[-1].effective_on if timeline else None
    context.happened_on("effective_on", command.effective_on, (last, "the last recorded change"))
    if command.document_number and not command.document_type:
        raise Refused("document_type", "is required when document_number is given")
    previous = beneficiary.legal_status
    record = LegalStatusRecord(
        beneficiary_pk=key(beneficiary),
        legal_status=command.legal_status,
        effective_on=command.effective_on,
        reason=command.reason,
        document_type=command.document_type,
        document_number=command.document_number,
        document_expiry=command.document_expiry,
        note=command.note,
        recorded_by=actor.subject,
        recorded_at=now(),
    )
    session.add(record)
    beneficiary.legal_status = command.legal_status
    if command.document_type:
        beneficiary.document_type = command.document_type
        beneficiary.document_number = command.document_number
        beneficiary.document_expiry = command.document_expiry
    beneficiary.updated_at = now()
    session.add(beneficiary)
    uow.publish(
        event_mapping.legal_status_changed(
            beneficiary, previous, command.effective_on, command.reason, **uow.provenance
        )
    )
    audit.record(session, actor, "legal_status", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(record)
    return record


def legal_status_timeline(session: Session, beneficiary: Beneficiary) -> list[LegalStatusRecord]:
    query = (
        select(LegalStatusRecord)
        .where(LegalStatusRecord.beneficiary_pk == beneficiary.id)
        .order_by(col(LegalStatusRecord.effective_on), col(LegalStatusRecord.id))
    )
    return list(session.exec(query))


@dataclass(frozen=True)
class BeneficiaryFilter:
    region: str | None = None
    partner_organisation: str | None = None
    legal_status: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    status: RecordStatus | None = RecordStatus.ACTIVE
    name: str | None = None


def list_beneficiaries(
    session: Session, filters: BeneficiaryFilter, limit: int, offset: int
) -> tuple[list[Beneficiary], int]:
    query = select(Beneficiary)
    if filters.status:
        query = query.where(Beneficiary.status == filters.status)
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
    if filters.name:
        # autoescape: "%" and "_" are letters typed, not wildcards ("%" would list everyone)
        latin, arabic = filters.name.strip().lower(), filters.name.strip()
        query = query.where(
            func.lower(Beneficiary.given_name).contains(latin, autoescape=True)
            | func.lower(Beneficiary.family_name).contains(latin, autoescape=True)
            | col(Beneficiary.given_name_ar).contains(arabic, autoescape=True)
            | col(Beneficiary.family_name_ar).contains(arabic, autoescape=True)
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(Beneficiary.id)).offset(offset).limit(limit)).all()
    return list(items), int(total)


def get_beneficiary(session: Session, beneficiary_id: UUID) -> Beneficiary | None:
    return session.exec(select(Beneficiary).where(Beneficiary.beneficiary_id == beneficiary_id)).first()


class ConsentConflict(Conflict):
    """The consent is already in the state asked for."""


def _give_consent(
    uow: Work, beneficiary: Beneficiary, request: ConsentRequest, given_on: date | None = None
) -> Consent:
    session, context, actor = uow.session, uow.context, uow.staff
    consent = Consent(
        beneficiary_pk=key(beneficiary),
        purpose=request.purpose,
        organisation=request.organisation.strip() if request.organisation else None,
        notice_version=request.notice_version or context.notice_version,
        given_on=given_on or context.today(),
        recorded_by=actor.subject,
        recorded_at=now(),
    )
    session.add(consent)  # written with the caller's commit: the event needs only its random consent_id
    uow.publish(event_mapping.consent_given(beneficiary, consent, **uow.provenance))
    if consent.purpose is ConsentPurpose.REFERRAL:
        # A partner keeps an assessment only while it may (ADR 6), so one recorded before this consent
        # was dropped there: the latest is announced again, after the consent, for it to keep now.
        latest = session.exec(
            select(SkillsAssessment)
            .where(SkillsAssessment.beneficiary_pk == beneficiary.id)
            .order_by(col(SkillsAssessment.assessed_on).desc(), col(SkillsAssessment.id).desc())
        ).first()
        if latest is not None:
            uow.publish(event_mapping.skills_assessed(beneficiary, latest, **uow.provenance))
    return consent


def consents_of(session: Session, beneficiary: Beneficiary) -> list[Consent]:
    query = select(Consent).where(Consent.beneficiary_pk == beneficiary.id).order_by(col(Consent.id))
    return list(session.exec(query))


def active_consent(
    session: Session, beneficiary: Beneficiary, purpose: Any, organisation: str | None = None
) -> Consent | None:
    for consent in consents_of(session, beneficiary):
        same_recipient = (consent.organisation or "").lower() == (organisation or "").strip().lower()
        if consent.active and consent.purpose == purpose and same_recipient:
            return consent
    return None


def give_consent(uow: Work, beneficiary: Beneficiary, request: ConsentRequest) -> Consent:
    session, actor = uow.session, uow.staff
    if active_consent(session, beneficiary, request.purpose, request.organisation) is not None:
        raise ConsentConflict(
            f"an active consent to {request.purpose.value} already exists for this recipient",
            code="consent_exists",
            values={"purpose": request.purpose},
        )
    consent = _give_consent(uow, beneficiary, request)
    audit.record(session, actor, "consent", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(consent)
    return consent


def withdraw_consent(uow: Work, beneficiary: Beneficiary, consent_id: UUID) -> Consent | None:
    session, context, actor = uow.session, uow.context, uow.staff
    consent = next((c for c in consents_of(session, beneficiary) if c.consent_id == consent_id), None)
    if consent is None:
        return None
    if not consent.active:
        raise ConsentConflict(
            f"consent {consent_id} was already withdrawn on {consent.withdrawn_on}",
            code="consent_withdrawn",
            values={"withdrawn_on": consent.withdrawn_on},
        )
    consent.withdrawn_on = context.today()
    consent.withdrawn_by = actor.subject
    session.add(consent)
    uow.publish(event_mapping.consent_withdrawn(beneficiary, consent, **uow.provenance))
    audit.record(session, actor, "consent_withdrawal", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(consent)
    return consent


ERASED = "(erased)"


def erase_beneficiary(uow: Work, beneficiary: Beneficiary) -> Beneficiary:
    """Delete the person's personal data; keep the pseudonymous id and the shareable attributes so that
    totals already reported stay correct. The erasure is announced so other services act too."""
    session, context, actor = uow.session, uow.context, uow.staff
    beneficiary.given_name = ERASED
    beneficiary.family_name = ERASED
    beneficiary.given_name_ar = None
    beneficiary.family_name_ar = None
    beneficiary.phone = None
    beneficiary.email = None
    beneficiary.document_type = None
    beneficiary.document_number = None
    beneficiary.document_expiry = None
    beneficiary.date_of_birth = date(beneficiary.birth_year, 1, 1)
    beneficiary.status = RecordStatus.ERASED
    beneficiary.updated_at = now()
    session.add(beneficiary)
    for record in legal_status_timeline(session, beneficiary):
        record.document_type = None
        record.document_number = None
        record.document_expiry = None
        record.note = None
        session.add(record)
    for consent in consents_of(session, beneficiary):
        if consent.active:
            consent.withdrawn_on = context.today()
            consent.withdrawn_by = actor.subject
            session.add(consent)
    uow.publish(event_mapping.beneficiary_erased(beneficiary, context.today(), **uow.provenance))
    audit.record(session, actor, "erase", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(beneficiary)
    return beneficiary
