"""The one place where intake's records become contract events (and so leave the service).

Only what other services need crosses this line: no names, phone, e-mail, documents or exact
date of birth (the birth year is enough for age bands).
"""

from datetime import date
from typing import Any
from uuid import UUID

from work4life.contracts import intake as contract
from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.topics import INTAKE_BENEFICIARIES, INTAKE_OUTREACH, Topic
from work4life.runtime.events import new_envelope

from ..domain.model import language_codes
from .orm import Beneficiary, Consent, OutreachSession, Referral, SkillsAssessment


def profile(beneficiary: Beneficiary) -> dict[str, Any]:
    """A person's shareable attributes."""
    return dict(
        beneficiary_id=beneficiary.beneficiary_id,
        sex=beneficiary.sex,
        birth_year=beneficiary.date_of_birth.year,
        nationality=beneficiary.nationality,
        disability=beneficiary.disability,
        region=beneficiary.region,
        city=beneficiary.city,
        partner_organisation=beneficiary.partner_organisation,
        languages=language_codes(beneficiary.languages),
        education_level=beneficiary.education_level,
        household_size=beneficiary.household_size,
    )


def _about(
    beneficiary_id: UUID, data: Any, producer: Producer, correlation_id: Any, causation_id: Any = None
) -> tuple[Topic, Envelope[Any]]:
    envelope = new_envelope(
        data, key=str(beneficiary_id), producer=producer, correlation_id=correlation_id, causation_id=causation_id
    )
    return INTAKE_BENEFICIARIES, envelope


def beneficiary_registered(
    beneficiary: Beneficiary, *, producer: Producer, correlation_id: Any = None, causation_id: Any = None
) -> tuple[Topic, Envelope[Any]]:
    data = contract.BeneficiaryRegistered(
        **profile(beneficiary), registered_on=beneficiary.registered_on, legal_status=beneficiary.legal_status
    )
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def beneficiary_updated(
    beneficiary: Beneficiary,
    changed: list[str],
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> tuple[Topic, Envelope[Any]]:
    shared = ["birth_year" if name == "date_of_birth" else name for name in changed]
    data = contract.BeneficiaryUpdated(**profile(beneficiary), changed_fields=shared)
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def legal_status_changed(
    beneficiary: Beneficiary,
    previous: contract.LegalStatus,
    effective_on: date,
    reason: contract.LegalStatusChangeReason,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> tuple[Topic, Envelope[Any]]:
    data = contract.LegalStatusChanged(
        beneficiary_id=beneficiary.beneficiary_id,
        legal_status=beneficiary.legal_status,
        previous_legal_status=previous,
        effective_on=effective_on,
        reason=reason,
    )
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def consent_given(
    beneficiary: Beneficiary,
    consent: Consent,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.ConsentGiven(
        beneficiary_id=beneficiary.beneficiary_id,
        consent_id=consent.consent_id,
        purpose=consent.purpose,
        organisation=consent.organisation,
        notice_version=consent.notice_version,
        given_on=consent.given_on,
    )
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def consent_withdrawn(
    beneficiary: Beneficiary,
    consent: Consent,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.ConsentWithdrawn(
        beneficiary_id=beneficiary.beneficiary_id,
        consent_id=consent.consent_id,
        purpose=consent.purpose,
        organisation=consent.organisation,
        withdrawn_on=consent.withdrawn_on,
    )
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def beneficiary_erased(
    beneficiary: Beneficiary,
    erased_on: date,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.BeneficiaryErased(beneficiary_id=beneficiary.beneficiary_id, erased_on=erased_on)
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def skills_assessed(
    beneficiary: Beneficiary,
    assessment: SkillsAssessment,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.SkillsAssessed(
        beneficiary_id=beneficiary.beneficiary_id,
        assessment_id=assessment.assessment_id,
        assessed_on=assessment.assessed_on,
        languages=[contract.LanguageSkill(**language) for language in assessment.languages],
        education_level=assessment.education_level,
        occupations=[contract.Occupation(**occupation) for occupation in assessment.occupations],
        skills=assessment.skills,
        digital_skills=assessment.digital_skills,
        aspirations=assessment.aspirations,
    )
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def referral_made(
    beneficiary: Beneficiary,
    referral: Referral,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.ReferralMade(
        referral_id=referral.referral_id,
        beneficiary_id=beneficiary.beneficiary_id,
        service=referral.service,
        organisation=referral.organisation,
        reason=referral.reason,
        made_on=referral.made_on,
        partner_organisation=referral.partner_organisation,
        region=beneficiary.region,
    )
    return _about(beneficiary.beneficiary_id, data, producer, correlation_id, causation_id)


def referral_status_changed(
    beneficiary_id: UUID,
    referral: Referral,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.ReferralStatusChanged(
        referral_id=referral.referral_id,
        beneficiary_id=beneficiary_id,
        status=referral.status,
        changed_on=referral.status_changed_on,
    )
    return _about(beneficiary_id, data, producer, correlation_id, causation_id)


def outreach_session_held(
    session: OutreachSession, *, producer: Producer, correlation_id: Any = None, causation_id: Any = None
):
    data = contract.OutreachSessionHeld(
        session_id=session.session_id,
        campaign=session.campaign,
        held_on=session.held_on,
        region=session.region,
        city=session.city,
        topic=session.topic,
        partner_organisation=session.partner_organisation,
        people_reached=session.people_reached,
        registered_attendees=[UUID(a) for a in session.registered_attendees],
    )
    envelope = new_envelope(
        data, key=str(session.session_id), producer=producer, correlation_id=correlation_id, causation_id=causation_id
    )
    return INTAKE_OUTREACH, envelope


def beneficiaries_merged(
    kept: Beneficiary,
    merged: Beneficiary,
    merged_on: date,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
):
    data = contract.BeneficiariesMerged(
        kept_beneficiary_id=kept.beneficiary_id, merged_beneficiary_id=merged.beneficiary_id, merged_on=merged_on
    )
    # Keyed by the retired id: it comes after everything that was said about that registration.
    return _about(merged.beneficiary_id, data, producer, correlation_id, causation_id)
