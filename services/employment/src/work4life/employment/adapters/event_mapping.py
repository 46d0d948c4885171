"""The one place where employment's records become contract events (and so leave the service)."""

from typing import Any
from uuid import UUID

from work4life.contracts import employment as contract
from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.referrals import EmploymentReferralAnswered
from work4life.contracts.topics import EMPLOYMENT_JOB_FAIRS, EMPLOYMENT_PLACEMENTS, EMPLOYMENT_REFERRAL_ANSWERS, Topic
from work4life.referrals import answers_on
from work4life.runtime.events import new_envelope

from .orm import Employer, JobFair, JobOffer, Placement, RetentionCheck

Event = tuple[Topic, Envelope[Any]]


def _envelope(data: Any, key: Any, producer: Producer, correlation_id: Any, causation_id: Any = None) -> Any:
    return new_envelope(data, key=str(key), producer=producer, correlation_id=correlation_id, causation_id=causation_id)


def placed(
    placement: Placement,
    offer: JobOffer,
    employer: Employer,
    fair: JobFair | None,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    data = contract.Placed(
        placement_id=placement.placement_id,
        beneficiary_id=placement.beneficiary_id,
        offer_id=offer.offer_id,
        employer_id=employer.employer_id,
        employer_type=employer.type,
        employer_ownership=employer.ownership,
        employer_csr=employer.csr_commitment,
        sector=employer.sector,
        region=offer.region,
        kind=offer.kind,
        contract_type=placement.contract_type,
        wage_band=placement.wage_band,
        hours_per_week=placement.hours_per_week,
        starts_on=placement.starts_on,
        job_fair_id=fair.fair_id if fair else None,
        organisation=employer.organisation,
        isco08=offer.isco08,
    )
    return EMPLOYMENT_PLACEMENTS, _envelope(data, placement.beneficiary_id, producer, correlation_id, causation_id)


def retention_checked(
    placement: Placement,
    check: RetentionCheck,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    data = contract.RetentionChecked(
        placement_id=placement.placement_id,
        beneficiary_id=placement.beneficiary_id,
        months_after_start=check.months_after_start,
        checked_on=check.checked_on,
        outcome=check.outcome,
        left_reason=check.left_reason,
        left_on=check.left_on,
    )
    return EMPLOYMENT_PLACEMENTS, _envelope(data, placement.beneficiary_id, producer, correlation_id, causation_id)


def job_fair_held(
    fair: JobFair,
    employers: int,
    attendees: list[UUID],
    interviews: int,
    hires: int,
    *,
    producer: Producer,
    correlation_id: Any = None,
    causation_id: Any = None,
) -> Event:
    data = contract.JobFairHeld(
        fair_id=fair.fair_id,
        held_on=fair.held_on,
        region=fair.region,
        city=fair.city,
        organisation=fair.organisation,
        employers=employers,
        registered_attendees=attendees,
        other_attendees=fair.other_attendees,
        interviews=interviews,
        hires=hires,
    )
    return EMPLOYMENT_JOB_FAIRS, _envelope(data, fair.fair_id, producer, correlation_id, causation_id)


referral_answered = answers_on(EMPLOYMENT_REFERRAL_ANSWERS, EmploymentReferralAnswered)
"""The answer to a referral to employment, told to intake (`work4life.referrals.answers_on`)."""
