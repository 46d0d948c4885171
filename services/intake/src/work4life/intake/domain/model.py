"""What intake knows of a person, and the rules a registration must satisfy.

`BeneficiaryBase` holds the validated fields shared by the table model (adapters/orm.py) and the
API models (entrypoints/http.py). The vocabularies (sex, legal status, region, education) are the
contracts' so that intake and its consumers speak the same words.
"""

import re
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import JSON, Column, Field, SQLModel

from work4life.contracts.intake import EducationLevel, LegalStatus, Region, Sex

ARABIC = re.compile(r"^[\u0600-\u06FF\u0750-\u077F\s'\-]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def stored_as_value(enum: type[StrEnum]) -> sa.Enum:
    """Store an enumeration as its value in a plain VARCHAR: readable in SQL, and a new value
    needs no database migration."""
    return sa.Enum(enum, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class BeneficiaryBase(SQLModel):
    given_name: str = Field(min_length=1, max_length=100, description="Given name(s), Latin script.")
    family_name: str = Field(min_length=1, max_length=100, description="Family name, Latin script.")
    given_name_ar: str | None = Field(default=None, max_length=100, description="Given name in Arabic script.")
    family_name_ar: str | None = Field(default=None, max_length=100, description="Family name in Arabic script.")
    sex: Sex = Field(sa_type=stored_as_value(Sex))
    date_of_birth: date
    nationality: str = Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3, e.g. CIV, SEN, SYR, MAR.")
    legal_status: LegalStatus = Field(sa_type=stored_as_value(LegalStatus))
    disability: bool = False
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=20, description="International format, e.g. +212612345678.")
    email: str | None = Field(default=None, max_length=254)
    partner_organisation: str = Field(min_length=1, max_length=50, description="Code of the registering partner.")
    languages: list[str] = Field(
        default_factory=list, sa_column=Column(JSON), description="ISO 639 codes, e.g. fr, ar, en."
    )
    education_level: EducationLevel | None = Field(default=None, sa_type=stored_as_value(EducationLevel))

    @field_validator("given_name", "family_name", "city", "partner_organisation")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("given_name_ar", "family_name_ar")
    @classmethod
    def _arabic_script(cls, value: str | None) -> str | None:
        if value is not None and not ARABIC.match(value):
            raise ValueError("must be written in Arabic script")
        return value

    @field_validator("nationality")
    @classmethod
    def _iso_alpha3(cls, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("must be an ISO 3166-1 alpha-3 country code such as CIV or SYR")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = re.sub(r"[\s\-().]", "", value)
        if not re.fullmatch(r"\+[1-9]\d{7,14}", compact):
            raise ValueError("must be an international number starting with + and the country code, e.g. +212612345678")
        return compact

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("is not an e-mail address")
        return value.lower()

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        cleaned = [code.strip().lower() for code in value]
        bad = [code for code in cleaned if not LANGUAGE.match(code)]
        if bad:
            raise ValueError(f"not ISO 639 language codes: {', '.join(bad)}")
        return list(dict.fromkeys(cleaned))


def check_age(date_of_birth: date, today: date, minimum_age: int) -> None:
    """The programme serves people of working age."""
    if date_of_birth > today:
        raise RegistrationRefused("date_of_birth", "is in the future")
    if date_of_birth.year < 1900:
        raise RegistrationRefused("date_of_birth", "is before 1900")
    age = today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    if age < minimum_age:
        raise RegistrationRefused(
            "date_of_birth", f"the person is {age}; the programme registers people aged {minimum_age} or more"
        )


class RegistrationRefused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
