"""Events published by the intake service.

Intake is the only service that holds personal data. Its events carry a random pseudonymous
`beneficiary_id` and only the attributes that other services need to deliver a service or to
disaggregate the donor's indicators: never names, phone numbers, e-mail addresses, document
numbers, exact dates of birth or addresses.
"""

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from .envelope import EventData


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNDISCLOSED = "undisclosed"


class LegalStatus(StrEnum):
    """The legal-status categories of the donor's disaggregation."""

    REFUGEE = "refugee"
    ASYLUM_SEEKER = "asylum_seeker"
    REGULAR_MIGRANT = "regular_migrant"
    OTHER_MIGRANT = "other_migrant"
    HOST_COMMUNITY = "host_community"


class Region(StrEnum):
    """Morocco's twelve regions (2015 division)."""

    TANGER_TETOUAN_AL_HOCEIMA = "tanger_tetouan_al_hoceima"
    ORIENTAL = "oriental"
    FES_MEKNES = "fes_meknes"
    RABAT_SALE_KENITRA = "rabat_sale_kenitra"
    BENI_MELLAL_KHENIFRA = "beni_mellal_khenifra"
    CASABLANCA_SETTAT = "casablanca_settat"
    MARRAKECH_SAFI = "marrakech_safi"
    DRAA_TAFILALET = "draa_tafilalet"
    SOUSS_MASSA = "souss_massa"
    GUELMIM_OUED_NOUN = "guelmim_oued_noun"
    LAAYOUNE_SAKIA_EL_HAMRA = "laayoune_sakia_el_hamra"
    DAKHLA_OUED_ED_DAHAB = "dakhla_oued_ed_dahab"


class EducationLevel(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    VOCATIONAL = "vocational"
    TERTIARY = "tertiary"


class BeneficiaryRegistered(EventData):
    """A person was registered in the programme (with consent to service delivery)."""

    EVENT_TYPE = "intake.beneficiary_registered"
    SCHEMA_VERSION = 1

    beneficiary_id: UUID = Field(description="Random pseudonymous id; the same person keeps it across services.")
    registered_on: date
    sex: Sex
    birth_year: int = Field(ge=1900, le=2100, description="Year only: enough for age bands, not identifying.")
    nationality: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code.")
    legal_status: LegalStatus
    disability: bool
    region: Region
    city: str = Field(min_length=1, max_length=100)
    partner_organisation: str = Field(min_length=1, max_length=50, description="Code of the registering partner.")
    languages: list[str] = Field(default_factory=list, description="ISO 639 language codes the person speaks.")
    education_level: EducationLevel | None = None
    household_size: int | None = Field(default=None, ge=1, le=30, description="Added in contracts 1.1 (optional).")


class BeneficiaryProfile(EventData):
    """The attributes of a person that other services may know (no personal data)."""

    beneficiary_id: UUID
    sex: Sex
    birth_year: int = Field(ge=1900, le=2100)
    nationality: str = Field(pattern=r"^[A-Z]{3}$")
    disability: bool
    region: Region
    city: str = Field(min_length=1, max_length=100)
    partner_organisation: str = Field(min_length=1, max_length=50)
    languages: list[str] = Field(default_factory=list)
    education_level: EducationLevel | None = None
    household_size: int | None = Field(default=None, ge=1, le=30)


class BeneficiaryUpdated(BeneficiaryProfile):
    """A person's shareable attributes changed; carries the whole profile as it now is.

    Not published when only personal data changed (a new phone number, a corrected spelling).
    """

    EVENT_TYPE = "intake.beneficiary_updated"
    SCHEMA_VERSION = 1

    changed_fields: list[str] = Field(description="Which profile fields changed in this update.")


class LegalStatusChangeReason(StrEnum):
    STATUS_RECOGNISED = "status_recognised"
    PERMIT_ISSUED = "permit_issued"
    PERMIT_RENEWED = "permit_renewed"
    PERMIT_EXPIRED = "permit_expired"
    CLAIM_REJECTED = "claim_rejected"
    CORRECTION = "correction"
    OTHER = "other"


class LegalStatusChanged(EventData):
    """A person's legal status changed (never the documents behind it)."""

    EVENT_TYPE = "intake.legal_status_changed"
    SCHEMA_VERSION = 1

    beneficiary_id: UUID
    legal_status: LegalStatus
    previous_legal_status: LegalStatus
    effective_on: date
    reason: LegalStatusChangeReason


class ConsentPurpose(StrEnum):
    """What a consent is for: `service_delivery` (needed to register), `referral` (to one named
    organisation or service), `statistics` (the person's pseudonymous record may go into research
    extracts for studies; counting them in totals needs no consent, ADR 23)."""

    SERVICE_DELIVERY = "service_delivery"
    REFERRAL = "referral"
    STATISTICS = "statistics"


class ConsentGiven(EventData):
    """A person consented to a purpose; for a referral, to referral to one named organisation or service."""

    EVENT_TYPE = "intake.consent_given"
    SCHEMA_VERSION = 1

    beneficiary_id: UUID
    consent_id: UUID
    purpose: ConsentPurpose
    organisation: str | None = Field(default=None, description="For a referral: the organisation or service named.")
    notice_version: str = Field(min_length=1, max_length=50, description="Version of the information notice shown.")
    given_on: date


class ConsentWithdrawn(EventData):
    """A person withdrew a consent: stop the matching processing (a service-delivery withdrawal ends it all)."""

    EVENT_TYPE = "intake.consent_withdrawn"
    SCHEMA_VERSION = 1

    beneficiary_id: UUID
    consent_id: UUID
    purpose: ConsentPurpose
    organisation: str | None = None
    withdrawn_on: date


class BeneficiaryErased(EventData):
    """A person's personal data was erased at their request. Remove or anonymise what you hold about
    them; keep only what anonymous totals need."""

    EVENT_TYPE = "intake.beneficiary_erased"
    SCHEMA_VERSION = 1

    beneficiary_id: UUID
    erased_on: date


class LanguageLevel(StrEnum):
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    FLUENT = "fluent"
    NATIVE = "native"


class LanguageSkill(EventData):
    code: str = Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code.")
    level: LanguageLevel | None = None


class Occupation(EventData):
    isco08: str = Field(
        pattern=r"^[0-9]{1,4}$", description="ISCO-08 code (major group to unit group), e.g. 7512 (bakers)."
    )
    years: float = Field(ge=0, le=60, description="Years of experience in it.")


class DigitalSkills(StrEnum):
    NONE = "none"
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Aspiration(StrEnum):
    JOB = "job"
    SELF_EMPLOYMENT = "self_employment"
    TRAINING = "training"


class SkillsAssessed(EventData):
    """A skills assessment was recorded (the newest one replaces earlier ones)."""

    EVENT_TYPE = "intake.skills_assessed"
    SCHEMA_VERSION = 1

    beneficiary_id: UUID
    assessment_id: UUID
    assessed_on: date
    languages: list[LanguageSkill] = Field(default_factory=list)
    education_level: EducationLevel | None = None
    occupations: list[Occupation] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list, description="Skill tags, lower case, e.g. sewing, driving-b.")
    digital_skills: DigitalSkills
    aspirations: list[Aspiration] = Field(description="What the person wants, most wanted first.")


class ProgrammeService(StrEnum):
    TRAINING = "training"
    ENTERPRISE = "enterprise"
    EMPLOYMENT = "employment"


class ReferralReason(StrEnum):
    VOCATIONAL_TRAINING = "vocational_training"
    DIGITAL_SKILLS = "digital_skills"
    FINANCIAL_EDUCATION = "financial_education"
    LANGUAGE = "language"
    ENTERPRISE_SUPPORT = "enterprise_support"
    JOB_PLACEMENT = "job_placement"
    LEGAL_AID = "legal_aid"
    HEALTH = "health"
    HOUSING = "housing"
    PSYCHOSOCIAL = "psychosocial"
    OTHER = "other"


class ReferralStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ReferralMade(EventData):
    """A person was referred, with their consent, to a programme service or a named outside organisation.

    Exactly one of `service` and `organisation` is set. Programme services answer with their own
    `<service>.referral_answered` event.
    """

    EVENT_TYPE = "intake.referral_made"
    SCHEMA_VERSION = 1

    referral_id: UUID
    beneficiary_id: UUID
    service: ProgrammeService | None = None
    organisation: str | None = Field(default=None, max_length=100, description="An outside organisation's code.")
    reason: ReferralReason
    made_on: date
    partner_organisation: str = Field(description="The referring partner.")
    region: Region | None = Field(
        default=None, description="Where the person lives, to place them near it. Added in contracts 1.2 (optional)."
    )


class ReferralStatusChanged(EventData):
    """A referral's status changed (answered by the receiving service, or recorded by a caseworker)."""

    EVENT_TYPE = "intake.referral_status_changed"
    SCHEMA_VERSION = 1

    referral_id: UUID
    beneficiary_id: UUID
    status: ReferralStatus
    changed_on: date


class OutreachTopic(StrEnum):
    RIGHTS = "rights"
    SERVICES = "services"
    LABOUR_MARKET = "labour_market"
    ENTREPRENEURSHIP = "entrepreneurship"
    LEGAL_STATUS = "legal_status"
    HEALTH = "health"
    SAFE_MIGRATION = "safe_migration"
    OTHER = "other"


class OutreachSessionHeld(EventData):
    """An information session of a campaign on rights and services was held (indicators 3.3 and 3.11)."""

    EVENT_TYPE = "intake.outreach_session_held"
    SCHEMA_VERSION = 1

    session_id: UUID
    campaign: str = Field(min_length=1, max_length=100)
    held_on: date
    region: Region
    city: str = Field(min_length=1, max_length=100)
    topic: OutreachTopic
    partner_organisation: str
    people_reached: int = Field(ge=0, description="Everyone reached, registered or not.")
    registered_attendees: list[UUID] = Field(
        default_factory=list, description="Programme beneficiaries among them (pseudonymous ids)."
    )


class BeneficiariesMerged(EventData):
    """Two registrations were found to be the same person. The merged id is retired: re-point
    whatever you hold under it to the kept id (and count the person once)."""

    EVENT_TYPE = "intake.beneficiaries_merged"
    SCHEMA_VERSION = 1

    kept_beneficiary_id: UUID
    merged_beneficiary_id: UUID
    merged_on: date
