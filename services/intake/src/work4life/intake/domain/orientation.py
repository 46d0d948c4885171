"""Skills assessment, referrals and outreach: the requests and the rules they follow."""

import re
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from work4life.contracts.intake import (
    Aspiration,
    DigitalSkills,
    EducationLevel,
    OutreachTopic,
    ProgrammeService,
    ReferralReason,
    ReferralStatus,
    Region,
)
from work4life.runtime.strict import Day, Number, Whole

from .model import LanguageSkill

ISCO08 = re.compile(r"^[0-9]{1,4}$")
SKILL_TAG = re.compile(r"^[a-z0-9][a-z0-9 \-+#./]{0,48}[a-z0-9+#]?$")


class OccupationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    isco08: str = Field(description="ISCO-08 code: 1 digit (major group) to 4 digits (unit group), e.g. 7531 tailors.")
    years: Number = Field(ge=0, le=60)

    @field_validator("isco08")
    @classmethod
    def _isco(cls, value: str) -> str:
        value = value.strip()
        if not ISCO08.match(value):
            raise ValueError("must be an ISCO-08 code of 1 to 4 digits, e.g. 7531")
        return value


class AssessmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessed_on: Day | None = Field(default=None, description="Default: today.")
    languages: list[LanguageSkill] = Field(default_factory=list)
    education_level: EducationLevel | None = None
    occupations: list[OccupationRequest] = Field(default_factory=list, max_length=20)
    skills: list[str] = Field(default_factory=list, max_length=50)
    digital_skills: DigitalSkills
    aspirations: list[Aspiration] = Field(min_length=1, description="What the person wants, most wanted first.")
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        tags = [" ".join(tag.lower().split()) for tag in value]
        bad = [tag for tag in tags if not SKILL_TAG.match(tag)]
        if bad:
            raise ValueError(f"skill tags are 1-50 letters, digits, spaces or -+#./: {', '.join(map(repr, bad))}")
        return list(dict.fromkeys(tags))

    @field_validator("aspirations")
    @classmethod
    def _aspirations(cls, value: list[Aspiration]) -> list[Aspiration]:
        if len(set(value)) != len(value):
            raise ValueError("lists an aspiration twice")
        return value


class ReferralRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: ProgrammeService | None = Field(default=None, description="A programme service, or ...")
    organisation: str | None = Field(default=None, max_length=100, description="... an outside organisation's code.")
    reason: ReferralReason
    note: str | None = Field(default=None, max_length=2000)
    made_on: Day | None = Field(
        default=None,
        description="The day the referral was made, when it is entered later: not in the future, not before the "
        "person's registration, within the programme's dates. Default: today.",
    )

    @model_validator(mode="after")
    def _one_recipient(self) -> "ReferralRequest":
        if bool(self.service) == bool(self.organisation and self.organisation.strip()):
            raise ValueError("name exactly one recipient: service (training, enterprise, employment) or organisation")
        return self

    @property
    def recipient(self) -> str:
        return self.service.value if self.service else (self.organisation or "").strip()


ALLOWED_REFERRAL_STEPS = {
    ReferralStatus.PENDING: {
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.CANCELLED,
        ReferralStatus.COMPLETED,
    },
    ReferralStatus.ACCEPTED: {ReferralStatus.COMPLETED, ReferralStatus.CANCELLED},
    ReferralStatus.DECLINED: set(),
    ReferralStatus.COMPLETED: set(),
    ReferralStatus.CANCELLED: set(),
}


def referral_step_allowed(current: ReferralStatus, new: ReferralStatus) -> bool:
    return new in ALLOWED_REFERRAL_STEPS[current]


class OutreachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign: str = Field(min_length=1, max_length=100)
    held_on: Day
    region: Region
    city: str = Field(min_length=1, max_length=100)
    topic: OutreachTopic
    partner_organisation: str | None = Field(default=None, max_length=50, description="Default: the caller's.")
    people_reached: Whole = Field(ge=0, le=100_000)
    registered_attendees: list[UUID] = Field(default_factory=list, max_length=5000)

    @field_validator("campaign", "city")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _attendees_are_among_those_reached(self) -> "OutreachRequest":
        if len(set(self.registered_attendees)) != len(self.registered_attendees):
            raise ValueError("registered_attendees lists a person twice")
        if len(self.registered_attendees) > self.people_reached:
            raise ValueError("people_reached must count the registered attendees too")
        return self
