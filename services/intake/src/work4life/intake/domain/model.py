"""What intake knows of a person, and the rules a registration must satisfy.

`BeneficiaryFields` holds the fields shared by the table model (adapters/orm.py) and the API
models (entrypoints/http.py); `BeneficiaryBase` adds the rules a registration or a change must
satisfy. The shared vocabularies (sex, legal status, region, education)
are the contracts' so that intake and its consumers speak the same words; documents, names and
contact details are intake's alone.
"""

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Any

import phonenumbers
import pycountry
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from sqlmodel import JSON, AutoString, Column, Field, SQLModel

from work4life.contracts.intake import ConsentPurpose, EducationLevel, LanguageLevel, LegalStatus, Region, Sex
from work4life.runtime.db import stored_as_value
from work4life.runtime.errors import Refused as Refused
from work4life.runtime.strict import Day, Flag, Whole

ARABIC = re.compile(r"^[\u0600-\u06FF\u0750-\u077F\s'\-]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class DocumentType(StrEnum):
    PASSPORT = "passport"
    RESIDENCE_CARD = "residence_card"
    REFUGEE_CARD = "refugee_card"
    ASYLUM_SEEKER_CERTIFICATE = "asylum_seeker_certificate"
    RECEIPT = "receipt"
    NATIONAL_ID = "national_id"
    OTHER = "other"


class LanguageSkill(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="ISO 639 code, e.g. fr, ar, en, bm, wo.")
    level: LanguageLevel | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip().lower()
        if not LANGUAGE.match(value):
            raise ValueError(f"{value!r} is not an ISO 639 language code")
        return value


class BeneficiaryFields(SQLModel):
    """What intake records of a person, with the spelling rules that hold for every record kept,
    old or new. Read stored records (and erased ones, whose names are placeholders) with it."""

    given_name: str = Field(min_length=1, max_length=100, description="Given name(s), Latin script.")
    family_name: str = Field(min_length=1, max_length=100, description="Family name, Latin script.")
    given_name_ar: str | None = Field(default=None, max_length=100, description="Given name in Arabic script.")
    family_name_ar: str | None = Field(default=None, max_length=100, description="Family name in Arabic script.")
    sex: Sex = Field(sa_type=stored_as_value(Sex))
    date_of_birth: Day
    nationality: str = Field(
        description="ISO 3166-1 alpha-3, e.g. CIV, SEN, SYR, MAR; XXA for a stateless person.",
        schema_extra={"json_schema_extra": {"pattern": "^[A-Za-z]{3}$"}},  # checked against the ISO list
        sa_type=AutoString(length=3),
    )
    legal_status: LegalStatus = Field(sa_type=stored_as_value(LegalStatus))
    document_type: DocumentType | None = Field(default=None, sa_type=stored_as_value(DocumentType))
    document_number: str | None = Field(default=None, max_length=50, description="Kept in intake only.")
    document_expiry: Day | None = None
    disability: Flag = False
    household_size: Whole | None = Field(
        default=None, ge=1, le=30, description="People in the household, the person included."
    )
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=20, description="International format, e.g. +212612345678.")
    email: str | None = Field(default=None, max_length=254)
    partner_organisation: str = Field(min_length=1, max_length=50, description="Code of the registering partner.")
    languages: list[LanguageSkill] = Field(
        default_factory=list,
        sa_column=Column(JSON),
        description='e.g. [{"code": "fr", "level": "fluent"}]; "fr" alone is accepted',
    )
    education_level: EducationLevel | None = Field(default=None, sa_type=stored_as_value(EducationLevel))

    @field_validator("given_name", "family_name", "city", "partner_organisation")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is None:  # an optional override (BeneficiaryCreate.partner_organisation) left empty
            return None
        value = " ".join(unicodedata.normalize("NFC", value).split())
        if not value:
            raise ValueError("must not be blank")
        if not any(c.isalpha() for c in value):
            raise ValueError("must hold letters")
        return value

    @field_validator("given_name_ar", "family_name_ar")
    @classmethod
    def _arabic_script(cls, value: str | None) -> str | None:
        if value is not None and not ARABIC.match(value):
            raise ValueError("must be written in Arabic script")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("is not an e-mail address")
        return value.lower()

    @field_validator("document_number")
    @classmethod
    def _document_number(cls, value: str | None) -> str | None:
        return normalise_document_number(value)

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        skills = [{"code": item} if isinstance(item, str) else item for item in value]
        codes = [
            str(s.get("code", "")).strip().lower() if isinstance(s, dict) else getattr(s, "code", "") for s in skills
        ]
        if len(set(codes)) != len(codes):
            raise ValueError("lists a language twice")
        return skills

    @model_validator(mode="after")
    def _document_needs_its_type(self) -> "BeneficiaryFields":
        if self.document_number and not self.document_type:
            raise ValueError("document_type is required when document_number is given")
        return self


class BeneficiaryBase(BeneficiaryFields):
    """A registration or a change as staff enter it: the fields, plus the rules that input must
    satisfy (names in Latin script, a nationality on the ISO list, a phone number that exists)."""

    @field_validator("given_name", "family_name")
    @classmethod
    def _latin_script(cls, value: str) -> str:
        return latin_name(value)

    @field_validator("nationality")
    @classmethod
    def _iso_alpha3(cls, value: str) -> str:
        return nationality_code(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else phone_number(value)


LATIN_MARKS = " '’-."


def latin_name(value: str) -> str:
    """A name as written in a Latin-script document: Latin letters (accents included), spaces,
    apostrophes, hyphens and dots, with at least one letter. The Arabic spelling has its own field."""
    for character in value:
        if character in LATIN_MARKS or unicodedata.category(character) == "Mn":
            continue
        if not (character.isalpha() and unicodedata.name(character, "").startswith("LATIN ")):
            raise ValueError(
                f"must be written in Latin script (found {character!r}); "
                "letters, spaces, apostrophes and hyphens only, the Arabic spelling goes in the _ar field"
            )
    return value


STATELESS = "XXA"
"""ICAO Doc 9303's code for a stateless person, the one code outside ISO 3166-1 that a refugee
programme needs (a travel document for a stateless person carries it)."""


def nationality_code(value: str) -> str:
    """An ISO 3166-1 alpha-3 code of a country (from pycountry's list), or XXA for stateless."""
    code = value.strip().upper()
    if code != STATELESS and (len(code) != 3 or pycountry.countries.get(alpha_3=code) is None):
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-3 country code (e.g. CIV, SEN, SYR, MAR; XXA for a stateless person)"
        )
    return code


def phone_number(value: str) -> str:
    """A phone number that exists in its country's numbering plan (libphonenumber's rules),
    written in E.164: +212612345678."""
    reason = "must be an international number starting with + and the country code, e.g. +212612345678"
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(reason) from exc
    if not value.strip().startswith("+"):
        raise ValueError(reason)
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"is not a valid number in its country's numbering plan; {reason}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_document_number(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z0-9/\-]{3,50}", value):
        raise ValueError("may hold only letters, digits, '/' and '-' (3 to 50 of them)")
    return value


def language_codes(languages: list[Any]) -> list[str]:
    """Codes of stored languages (dicts from the database, or models)."""
    return [item["code"] if isinstance(item, dict) else item.code for item in languages]


PROFILE_FIELDS = (
    "sex",
    "date_of_birth",
    "nationality",
    "disability",
    "region",
    "city",
    "partner_organisation",
    "languages",
    "education_level",
    "household_size",
)
"""Fields whose change other services hear about (as the profile; the birth date as a year)."""


def check_age(date_of_birth: date, today: date, minimum_age: int) -> None:
    """The programme serves people of working age."""
    if date_of_birth > today:
        raise Refused("date_of_birth", "is in the future")
    if date_of_birth.year < 1900:
        raise Refused("date_of_birth", "is before 1900")
    age = today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    if age < minimum_age:
        raise Refused(
            "date_of_birth", f"the person is {age}; the programme registers people aged {minimum_age} or more"
        )


class ConsentRequest(BaseModel):
    """A consent as recorded by a caseworker (the notice was shown and the person agreed)."""

    model_config = ConfigDict(extra="forbid")

    purpose: ConsentPurpose
    organisation: str | None = Field(
        default=None,
        max_length=100,
        description="Required for a referral: the organisation or service named to the person.",
    )
    notice_version: str | None = Field(
        default=None, max_length=50, description="Default: the service's current notice."
    )

    @model_validator(mode="after")
    def _referral_names_its_recipient(self) -> "ConsentRequest":
        if self.purpose is ConsentPurpose.REFERRAL and not (self.organisation and self.organisation.strip()):
            raise ValueError("a consent to referral must name the organisation or service (organisation)")
        if self.purpose is not ConsentPurpose.REFERRAL and self.organisation:
            raise ValueError("only a consent to referral names an organisation")
        return self


def check_registration_consents(consents: list[ConsentRequest]) -> None:
    if not any(c.purpose is ConsentPurpose.SERVICE_DELIVERY for c in consents):
        raise Refused("consents", "consent to service delivery is required to register a person")
    keys = [(c.purpose, (c.organisation or "").strip().lower()) for c in consents]
    if len(set(keys)) != len(keys):
        raise Refused("consents", "lists the same consent twice")


def fingerprint(
    given_name: str, family_name: str, date_of_birth: date, nationality: str, partner_organisation: str
) -> str:
    """Identifies a registration row across re-imports of the same spreadsheet."""
    import hashlib
    import unicodedata

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.lower())
        return " ".join("".join(c for c in decomposed if c.isalnum() or c.isspace()).split())

    key = "|".join(
        [
            fold(given_name),
            fold(family_name),
            date_of_birth.isoformat(),
            nationality.upper(),
            partner_organisation.lower(),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()
