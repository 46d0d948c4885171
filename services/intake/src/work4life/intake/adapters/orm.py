"""Intake's tables. Personal data lives here and nowhere else in the platform."""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import Index, LargeBinary
from sqlmodel import JSON, Column, Field, SQLModel

from work4life.contracts.intake import (
    ConsentPurpose,
    DigitalSkills,
    EducationLevel,
    LegalStatus,
    LegalStatusChangeReason,
    OutreachTopic,
    ProgrammeService,
    ReferralReason,
    ReferralStatus,
    Region,
)
from work4life.runtime.db import stored_as_value

from ..domain.model import BeneficiaryFields, DocumentType


class RecordStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"
    ERASED = "erased"


class Beneficiary(BeneficiaryFields, table=True):
    __tablename__ = "beneficiary"
    __table_args__ = (
        Index("ix_beneficiary_region", "region"),
        Index("ix_beneficiary_partner", "partner_organisation"),
        Index("ix_beneficiary_registered_on", "registered_on"),
        Index("ix_beneficiary_birth_year", "birth_year"),
        # the duplicate check looks people up by these at every registration
        Index("ix_beneficiary_phone", "phone"),
        Index("ix_beneficiary_email", "email"),
        Index("ix_beneficiary_document_number", "document_number"),
        Index("uq_beneficiary_registration_key", "registration_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    beneficiary_id: UUID = Field(
        default_factory=uuid4, unique=True, description="Random pseudonymous id used in every event."
    )
    registered_on: date
    created_at: datetime
    updated_at: datetime | None = None
    status: RecordStatus = Field(default=RecordStatus.ACTIVE, sa_type=stored_as_value(RecordStatus))
    merged_into: UUID | None = Field(default=None, description="The record this one was merged into.")
    birth_year: int = Field(description="Kept for duplicate search blocking.")
    fingerprint: str | None = Field(
        default=None,
        max_length=64,
        index=True,
        description="Normalised name, birth date, nationality and partner: re-imports skip it.",
    )
    registration_key: str | None = Field(
        default=None,
        max_length=100,
        description="Idempotency key of the registration request (made on the device for offline "
        "registrations): a repeated request answers with this record instead of a second one.",
    )


class LegalStatusRecord(SQLModel, table=True):
    """The legal-status timeline of a person, with the documents behind each status (intake only)."""

    __tablename__ = "legal_status_record"
    __table_args__ = (Index("ix_legal_status_beneficiary", "beneficiary_pk", "effective_on"),)

    id: int | None = Field(default=None, primary_key=True)
    beneficiary_pk: int = Field(foreign_key="beneficiary.id")
    legal_status: LegalStatus = Field(sa_type=stored_as_value(LegalStatus))
    effective_on: date
    reason: LegalStatusChangeReason | None = Field(
        default=None, sa_type=stored_as_value(LegalStatusChangeReason), description="None: status at registration."
    )
    document_type: DocumentType | None = Field(default=None, sa_type=stored_as_value(DocumentType))
    document_number: str | None = Field(default=None, max_length=50)
    document_expiry: date | None = None
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime


class AuditEntry(SQLModel, table=True):
    """Who read or changed which person's record, and when (personal data access is accountable)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_beneficiary", "beneficiary_id"), Index("ix_audit_subject_at", "subject", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    subject: str = Field(max_length=200)
    role: str = Field(max_length=40)
    organisation: str = Field(max_length=50)
    action: str = Field(max_length=40, description="read, list, search, register, update, erase, ...")
    beneficiary_id: UUID


class Consent(SQLModel, table=True):
    """Consent per purpose, with the notice shown, who recorded it and when; withdrawal keeps the row."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_beneficiary", "beneficiary_pk", "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    consent_id: UUID = Field(default_factory=uuid4, unique=True)
    beneficiary_pk: int = Field(foreign_key="beneficiary.id")
    purpose: ConsentPurpose = Field(sa_type=stored_as_value(ConsentPurpose))
    organisation: str | None = Field(default=None, max_length=100, description="For a referral: who may receive it.")
    notice_version: str = Field(max_length=50)
    given_on: date
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime
    withdrawn_on: date | None = None
    withdrawn_by: str | None = Field(default=None, max_length=200)

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


class SkillsAssessment(SQLModel, table=True):
    __tablename__ = "skills_assessment"
    __table_args__ = (Index("ix_assessment_beneficiary", "beneficiary_pk", "assessed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: UUID = Field(default_factory=uuid4, unique=True)
    beneficiary_pk: int = Field(foreign_key="beneficiary.id")
    assessed_on: date
    languages: list[dict] = Field(default_factory=list, sa_column=Column(JSON))
    education_level: EducationLevel | None = Field(default=None, sa_type=stored_as_value(EducationLevel))
    occupations: list[dict] = Field(default_factory=list, sa_column=Column(JSON))
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    digital_skills: DigitalSkills = Field(sa_type=stored_as_value(DigitalSkills))
    aspirations: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    notes: str | None = Field(default=None, max_length=2000, description="Caseworker's notes; never published.")
    assessed_by: str = Field(max_length=200)
    recorded_at: datetime


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_status", "status", "service"),
        Index("ix_referral_beneficiary", "beneficiary_pk"),
    )

    id: int | None = Field(default=None, primary_key=True)
    referral_id: UUID = Field(default_factory=uuid4, unique=True)
    beneficiary_pk: int = Field(foreign_key="beneficiary.id")
    service: ProgrammeService | None = Field(default=None, sa_type=stored_as_value(ProgrammeService))
    organisation: str | None = Field(default=None, max_length=100)
    reason: ReferralReason = Field(sa_type=stored_as_value(ReferralReason))
    note: str | None = Field(default=None, max_length=2000, description="Caseworker's note; never published.")
    status: ReferralStatus = Field(default=ReferralStatus.PENDING, sa_type=stored_as_value(ReferralStatus))
    made_on: date
    made_by: str = Field(max_length=200)
    status_changed_on: date | None = None
    partner_organisation: str = Field(max_length=50)


class OutreachSession(SQLModel, table=True):
    __tablename__ = "outreach_session"
    __table_args__ = (Index("ix_outreach_held_on", "held_on", "region"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: UUID = Field(default_factory=uuid4, unique=True)
    campaign: str = Field(max_length=100)
    held_on: date
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(max_length=100)
    topic: OutreachTopic = Field(sa_type=stored_as_value(OutreachTopic))
    partner_organisation: str = Field(max_length=50)
    people_reached: int
    registered_attendees: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime


class CandidateStatus(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    DISMISSED = "dismissed"


class DuplicateCandidate(SQLModel, table=True):
    """A pair of registrations that may be the same person, waiting for a caseworker's review."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        Index("ux_duplicate_pair", "beneficiary_pk", "other_pk", unique=True),
        Index("ix_duplicate_status", "status", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: UUID = Field(default_factory=uuid4, unique=True)
    beneficiary_pk: int = Field(foreign_key="beneficiary.id", description="The newer registration.")
    other_pk: int = Field(foreign_key="beneficiary.id", description="The older registration.")
    score: float
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    status: CandidateStatus = Field(default=CandidateStatus.OPEN, sa_type=stored_as_value(CandidateStatus))
    found_by: str = Field(max_length=20, description="registration or scan")
    found_at: datetime
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = None


class BackgroundJob(SQLModel, table=True):
    """A long job (a spreadsheet import, a duplicate scan), kept here so that every replica answers
    for it and a restart does not lose it. The process running it writes its report and a heartbeat
    as it goes; a job still `running` whose heartbeat stopped was cut off (`service_layer.jobs`)."""

    __tablename__ = "background_job"
    __table_args__ = (Index("ix_background_job_kind_status", "kind", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=20, description="import or duplicate_scan")
    organisation: str = Field(max_length=100, description="Whose job it is; * for programme-wide staff.")
    started_by: str = Field(max_length=200)
    status: str = Field(max_length=20, description="running, finished or failed (interrupted is derived)")
    report: dict = Field(default_factory=dict, sa_column=Column(JSON))
    upload: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary), description="An import's file, kept until it has finished."
    )
    started_at: datetime
    heartbeat_at: float = Field(description="Unix time of the running process's last word.")
    finished_at: datetime | None = None
