"""Event handlers of the read model: what each event counts as (people, their changes, facts). Each
runs inside the consumer's transaction (with the inbox row), so it must not commit. How the rows
reach the database, batched at commit, is `adapters/write_behind.py`."""

import hashlib
from datetime import UTC, date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import update
from sqlmodel import Session, col, select

from work4life.contracts.employment import JobFairHeld, Placed, RetentionChecked, RetentionOutcome
from work4life.contracts.enterprise import (
    FollowUpRecorded,
    GrantDisbursed,
    VentureApplied,
    VentureLaunched,
    VentureMembersChanged,
    VentureStageChanged,
)
from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    BeneficiaryRegistered,
    BeneficiaryUpdated,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    LegalStatusChanged,
    OutreachSessionHeld,
    ReferralMade,
    SkillsAssessed,
)
from work4life.contracts.training import CourseCompleted, TraineeEnrolled

from ..adapters import write_behind
from ..adapters.orm import Activity, ErasedPerson, MergedPerson, Person, StatisticsConsent, VentureState
from ..domain.model import is_newer
from . import rollups  # noqa: F401  (keeps the roll-ups at each commit)


def record_registration(envelope: Envelope[BeneficiaryRegistered], session: Session) -> None:
    """One row per person, with the attributes of the newest event about them."""
    data = envelope.data
    occurred = envelope.occurred_at.astimezone(UTC)
    attributes = dict(
        registered_on=data.registered_on,
        sex=data.sex.value,
        birth_year=data.birth_year,
        nationality=data.nationality,
        legal_status=data.legal_status.value,
        disability=data.disability,
        region=data.region.value,
        city=data.city,
        partner_organisation=data.partner_organisation,
        as_of=occurred,
    )
    write_behind.register_person(session, data.beneficiary_id, occurred, attributes)


def record_profile_change(envelope: Envelope[BeneficiaryUpdated], session: Session) -> None:
    data = envelope.data
    write_behind.change_person(
        session,
        data.beneficiary_id,
        envelope.occurred_at.astimezone(UTC),
        sex=data.sex.value,
        birth_year=data.birth_year,
        nationality=data.nationality,
        disability=data.disability,
        region=data.region.value,
        city=data.city,
        partner_organisation=data.partner_organisation,
    )


def record_legal_status(envelope: Envelope[LegalStatusChanged], session: Session) -> None:
    data = envelope.data
    write_behind.change_person(
        session, data.beneficiary_id, envelope.occurred_at.astimezone(UTC), legal_status=data.legal_status.value
    )


# -- facts -----------------------------------------------------------------------------------


def _stand_in_for(session: Session, beneficiary_id: UUID | None) -> UUID | None:
    """Where an event about a person lands: on the kept id of a merge, on the stand-in of an
    erased person (whichever order those events arrive in)."""
    if beneficiary_id is None:
        return None
    redirects = write_behind.Redirects.of(session)
    for _ in range(10):  # merges may chain: a -> b -> c
        kept = redirects.kept.get(beneficiary_id)
        if kept is None:
            break
        beneficiary_id = kept
    return redirects.stand_ins.get(id_hash(beneficiary_id), beneficiary_id)


def _erased_stand_in(session: Session, beneficiary_id: UUID) -> UUID | None:
    return write_behind.Redirects.of(session).stand_ins.get(id_hash(beneficiary_id))


_FACT_DEFAULTS = dict.fromkeys(
    (
        "beneficiary_id",
        "unit_id",
        "organisation",
        "region",
        "category",
        "venture_kind",
        "employer_type",
        "occupation_group",
        "months",
        "flag",
    )
)


def record_fact(session: Session, envelope: Envelope[Any], fact_id: str, kind: str, on: date, **columns: Any) -> None:
    """Add a fact, or correct it when a newer event tells it again (a corrected follow-up...).

    Facts are most of what the projection writes: they are kept in the transaction and written
    together when it commits (or before a handler that reads facts), one upsert for the batch."""
    occurred = envelope.occurred_at.astimezone(UTC)
    if columns.get("beneficiary_id") is not None:
        original = columns["beneficiary_id"]
        columns["beneficiary_id"] = _stand_in_for(session, original)
        stand_in = _erased_stand_in(session, original)
        if stand_in is not None:  # the erased id must not survive even inside a fact's key
            fact_id = fact_id.replace(str(original), str(stand_in))
    row = {
        **_FACT_DEFAULTS,
        "value": 0,
        "value_eur": 0,
        **columns,
        "fact_id": fact_id,
        "kind": kind,
        "occurred_on": on,
        "as_of": occurred,
    }
    write_behind.add_fact(session, fact_id, row)


def registered_fact(envelope: Envelope[BeneficiaryRegistered], session: Session) -> None:
    data = envelope.data
    record_registration(envelope, session)
    record_fact(
        session,
        envelope,
        f"registered:{data.beneficiary_id}",
        "registered",
        data.registered_on,
        beneficiary_id=data.beneficiary_id,
        organisation=data.partner_organisation,
        region=data.region.value,
    )


def assessed(envelope: Envelope[SkillsAssessed], session: Session) -> None:
    data = envelope.data
    record_fact(
        session,
        envelope,
        f"assessed:{data.assessment_id}",
        "assessed",
        data.assessed_on,
        beneficiary_id=data.beneficiary_id,
    )


def referred(envelope: Envelope[ReferralMade], session: Session) -> None:
    data = envelope.data
    record_fact(
        session,
        envelope,
        f"referred:{data.referral_id}",
        "referred",
        data.made_on,
        beneficiary_id=data.beneficiary_id,
        unit_id=data.referral_id,
        organisation=data.partner_organisation,
        category=data.service.value if data.service else "outside",
    )


def outreach(envelope: Envelope[OutreachSessionHeld], session: Session) -> None:
    data = envelope.data
    common = dict(unit_id=data.session_id, organisation=data.partner_organisation, region=data.region.value)
    record_fact(
        session,
        envelope,
        f"outreach:{data.session_id}",
        "outreach",
        data.held_on,
        value=data.people_reached,
        category=data.topic.value,
        **common,
    )
    for who in data.registered_attendees:
        record_fact(
            session, envelope, f"reached:{data.session_id}:{who}", "reached", data.held_on, beneficiary_id=who, **common
        )


def enrolled(envelope: Envelope[TraineeEnrolled], session: Session) -> None:
    data = envelope.data
    record_fact(
        session,
        envelope,
        f"enrolled:{data.enrolment_id}",
        "enrolled",
        data.enrolled_on,
        beneficiary_id=data.beneficiary_id,
        unit_id=data.enrolment_id,
        organisation=data.organisation,
        region=data.region.value,
        category=data.course_kind.value,
    )


def trained(envelope: Envelope[CourseCompleted], session: Session) -> None:
    data = envelope.data
    record_fact(
        session,
        envelope,
        f"trained:{data.enrolment_id}",
        "trained",
        data.completed_on,
        beneficiary_id=data.beneficiary_id,
        unit_id=data.enrolment_id,
        organisation=data.organisation,
        region=data.region.value,
        category=data.course_kind.value,
        flag=data.certificate_number is not None,
    )


SUPPORT_STAGES = ("pre_incubation", "incubation", "acceleration")


def _members(session: Session, members: list[UUID]) -> list[str]:
    """A venture's members as reporting keeps them: merged ids folded, erased ids replaced."""
    return sorted({str(_stand_in_for(session, m)) for m in members})


def _venture(session: Session, data: Any, envelope: Envelope[Any]) -> VentureState:
    """The venture's state, created from this event if its application has not arrived yet (a
    replay from a compacted or truncated topic); the application fills in the rest."""
    occurred = envelope.occurred_at.astimezone(UTC)
    venture = session.get(VentureState, data.venture_id)
    if venture is None:
        venture = VentureState(
            venture_id=data.venture_id,
            kind="unknown",
            region="unknown",
            organisation="unknown",
            stage="application",
            members=_members(session, data.members),
            as_of=occurred,
        )
    elif is_newer(occurred, venture.as_of):
        venture.members = _members(session, data.members)
        venture.as_of = occurred
    session.add(venture)
    session.flush()
    return venture


def _supported(session: Session, envelope: Envelope[Any], venture: VentureState, members: list[UUID], on: date) -> None:
    for who in members:
        record_fact(
            session,
            envelope,
            f"iga_support:{venture.venture_id}:{venture.stage}:{who}",
            "iga_support",
            on,
            beneficiary_id=who,
            unit_id=venture.venture_id,
            organisation=venture.organisation,
            region=venture.region,
            category=venture.kind,
            venture_kind=venture.kind,
        )


def venture_applied(envelope: Envelope[VentureApplied], session: Session) -> None:
    data = envelope.data
    venture = session.get(VentureState, data.venture_id)
    if venture is None:
        venture = VentureState(
            venture_id=data.venture_id,
            stage="application",
            members=_members(session, data.members),
            as_of=envelope.occurred_at.astimezone(UTC),
            kind="unknown",
            region="unknown",
            organisation="unknown",
        )
    venture.kind, venture.region, venture.organisation = data.kind.value, data.region.value, data.organisation
    venture.already_running = data.already_running
    session.add(venture)
    session.flush()
    record_fact(
        session,
        envelope,
        f"venture_applied:{data.venture_id}",
        "venture_applied",
        data.applied_on,
        unit_id=data.venture_id,
        organisation=data.organisation,
        region=data.region.value,
        category=data.kind.value,
        venture_kind=data.kind.value,
    )


def venture_stage(envelope: Envelope[VentureStageChanged], session: Session) -> None:
    data = envelope.data
    venture = _venture(session, data, envelope)
    venture.stage = data.stage.value
    session.add(venture)
    record_fact(
        session,
        envelope,
        f"venture_stage:{data.venture_id}:{data.stage.value}",
        "venture_stage",
        data.changed_on,
        unit_id=data.venture_id,
        organisation=venture.organisation,
        region=venture.region,
        category=data.stage.value,
        venture_kind=venture.kind,
        flag=venture.already_running,  # an existing business strengthened, not a new one
    )
    if data.stage.value in SUPPORT_STAGES:
        _supported(session, envelope, venture, list(data.members), data.changed_on)


def venture_members(envelope: Envelope[VentureMembersChanged], session: Session) -> None:
    data = envelope.data
    venture = _venture(session, data, envelope)
    if venture.stage in SUPPORT_STAGES:
        _supported(session, envelope, venture, list(data.joined), data.changed_on)


def grant_disbursed(envelope: Envelope[GrantDisbursed], session: Session) -> None:
    data = envelope.data
    venture = session.get(VentureState, data.venture_id)
    record_fact(
        session,
        envelope,
        f"grant_disbursed:{data.disbursement_id}",
        "grant_disbursed",
        data.disbursed_on,
        unit_id=data.venture_id,
        organisation=venture.organisation if venture else None,
        region=venture.region if venture else None,
        venture_kind=venture.kind if venture else None,
        value=int(data.amount_mad * 100),
        value_eur=int(data.amount_eur * 100),
    )


def venture_launched(envelope: Envelope[VentureLaunched], session: Session) -> None:
    data = envelope.data
    venture = _venture(session, data, envelope)
    organisation = venture.organisation
    venture.stage = "launched"
    session.add(venture)
    record_fact(
        session,
        envelope,
        f"launched:{data.venture_id}",
        "launched",
        data.registered_on,
        unit_id=data.venture_id,
        organisation=organisation,
        region=data.region.value,
        category=data.kind.value,
        venture_kind=data.kind.value,
        flag=venture.already_running,  # an existing business (formalised now), not a new one
    )
    for who in data.members:
        record_fact(
            session,
            envelope,
            f"member_launched:{data.venture_id}:{who}",
            "member_launched",
            data.registered_on,
            beneficiary_id=who,
            unit_id=data.venture_id,
            organisation=organisation,
            region=data.region.value,
            venture_kind=data.kind.value,
        )


def follow_up(envelope: Envelope[FollowUpRecorded], session: Session) -> None:
    data = envelope.data
    venture = session.get(VentureState, data.venture_id)
    record_fact(
        session,
        envelope,
        f"follow_up:{data.venture_id}:{data.months_after_launch}",
        "follow_up",
        data.visited_on,
        unit_id=data.venture_id,
        organisation=venture.organisation if venture else None,
        region=venture.region if venture else None,
        venture_kind=venture.kind if venture else None,
        months=data.months_after_launch,
        flag=data.active,
        value=data.jobs_owners + data.jobs_employees,
    )


def placed(envelope: Envelope[Placed], session: Session) -> None:
    data = envelope.data
    employer = {  # what a placement breaks down by, on each of its facts
        "employer_type": data.employer_type.value,
        "occupation_group": data.isco08[0] if data.isco08 else None,
    }
    record_fact(
        session,
        envelope,
        f"placed:{data.placement_id}",
        "placed",
        data.starts_on,
        beneficiary_id=data.beneficiary_id,
        unit_id=data.placement_id,
        organisation=data.organisation,
        region=data.region.value,
        category=data.kind.value,
        **employer,
    )
    record_fact(  # with what kind of employer: SMEs, cooperatives, large companies' CSR programmes apart
        session,
        envelope,
        f"placed_with:{data.placement_id}",
        "placed_with",
        data.starts_on,
        beneficiary_id=data.beneficiary_id,
        unit_id=data.placement_id,
        organisation=data.organisation,
        region=data.region.value,
        category=data.employer_type.value,
        flag=data.employer_csr,
        **employer,
    )
    if data.job_fair_id is not None:  # hired at a job fair
        record_fact(
            session,
            envelope,
            f"fair_hire:{data.placement_id}",
            "fair_hire",
            data.starts_on,
            beneficiary_id=data.beneficiary_id,
            unit_id=data.job_fair_id,
            organisation=data.organisation,
            region=data.region.value,
            category=data.kind.value,
            **employer,
        )


def retention(envelope: Envelope[RetentionChecked], session: Session) -> None:
    data = envelope.data
    record_fact(
        session,
        envelope,
        f"retention:{data.placement_id}:{data.months_after_start}",
        "retention",
        data.checked_on,
        beneficiary_id=data.beneficiary_id,
        unit_id=data.placement_id,
        months=data.months_after_start,
        flag=data.outcome is RetentionOutcome.STILL_EMPLOYED,
        category=data.outcome.value,
    )


def job_fair(envelope: Envelope[JobFairHeld], session: Session) -> None:
    data = envelope.data
    common = dict(unit_id=data.fair_id, organisation=data.organisation, region=data.region.value)
    record_fact(
        session,
        envelope,
        f"job_fair:{data.fair_id}",
        "job_fair",
        data.held_on,
        value=len(data.registered_attendees) + data.other_attendees,
        **common,
    )
    record_fact(
        session,
        envelope,
        f"fair_employers:{data.fair_id}",
        "fair_employers",
        data.held_on,
        value=data.employers,
        **common,
    )
    for who in data.registered_attendees:
        record_fact(
            session,
            envelope,
            f"fair_attendee:{data.fair_id}:{who}",
            "fair_attendee",
            data.held_on,
            beneficiary_id=who,
            **common,
        )


# -- erasure and merges ----------------------------------------------------------------------


def statistics_consent_given(envelope: Envelope[ConsentGiven], session: Session) -> None:
    """A consent to the statistics purpose lets the person into the research extract (ADR 23); the
    other purposes are intake's and the services' business, not reporting's."""
    data = envelope.data
    if data.purpose is ConsentPurpose.STATISTICS:
        _statistics_consent(session, data.consent_id, data.beneficiary_id, given_on=data.given_on)


def statistics_consent_withdrawn(envelope: Envelope[ConsentWithdrawn], session: Session) -> None:
    data = envelope.data
    if data.purpose is ConsentPurpose.STATISTICS:
        _statistics_consent(session, data.consent_id, data.beneficiary_id, withdrawn_on=data.withdrawn_on)


def _statistics_consent(session: Session, consent_id: UUID, who: UUID, **dates: date) -> None:
    person = _stand_in_for(session, who) or who  # the kept id after a merge
    if person in write_behind.Redirects.of(session).stand_ins.values():
        return  # an erased person is in no extract; a late consent changes nothing
    row = session.get(StatisticsConsent, consent_id) or StatisticsConsent(consent_id=consent_id, beneficiary_id=person)
    row.beneficiary_id = person
    for name, value in dates.items():
        setattr(row, name, value)
    session.add(row)


def id_hash(beneficiary_id: UUID) -> str:
    return hashlib.sha256(str(beneficiary_id).encode()).hexdigest()


def erased(envelope: Envelope[BeneficiaryErased], session: Session) -> None:
    """Replace the person's id by a random stand-in everywhere: their attributes stay (the totals
    and breakdowns do not move), but no row leads back to intake's id."""
    data = envelope.data
    who = data.beneficiary_id
    write_behind.changing_ids(session)  # other consumers' facts about them: before or after, not during
    write_behind.flush(session)  # this handler reads and changes people and facts
    if session.get(ErasedPerson, id_hash(who)) is not None:
        return
    stand_in = uuid4()
    session.add(ErasedPerson(id_hash=id_hash(who), stand_in=stand_in))
    write_behind.Redirects.of(session).stand_ins[id_hash(who)] = stand_in
    write_behind.touch(session, who, stand_in)
    person = session.get(Person, who)
    if person is not None:
        attributes = person.model_dump(exclude={"beneficiary_id"})
        session.delete(person)
        session.flush()
        session.add(Person(beneficiary_id=stand_in, **{**attributes, "anonymised": True}))
    for fact in session.exec(select(Activity).where(Activity.beneficiary_id == who)):
        fact.fact_id = fact.fact_id.replace(str(who), str(stand_in))
        fact.beneficiary_id = stand_in
        session.add(fact)
    for venture in session.exec(select(VentureState)):
        if str(who) in venture.members:
            venture.members = _members(session, [UUID(m) for m in venture.members])
            session.add(venture)
    for consent in session.exec(select(StatisticsConsent).where(StatisticsConsent.beneficiary_id == who)):
        session.delete(consent)  # nothing of theirs leaves in a research extract any more


def merged(envelope: Envelope[BeneficiariesMerged], session: Session) -> None:
    """Count the person once: the retired id's facts are re-pointed to the kept id (they keep
    their own keys, so the result does not depend on the order events arrive in), and the retired
    person row goes."""
    data = envelope.data
    kept, retired = data.kept_beneficiary_id, data.merged_beneficiary_id
    write_behind.changing_ids(session)  # other consumers' facts about them: before or after, not during
    write_behind.flush(session)  # this handler changes people and facts
    if session.get(MergedPerson, retired) is None:
        session.add(MergedPerson(retired_id=retired, kept_id=kept))
        write_behind.Redirects.of(session).kept[retired] = kept
    target = _stand_in_for(session, kept)
    write_behind.touch(session, retired, target)
    session.exec(update(Activity).where(col(Activity.beneficiary_id) == retired).values(beneficiary_id=target))
    session.exec(  # intake moves the retired record's consents to the kept one
        update(StatisticsConsent).where(col(StatisticsConsent.beneficiary_id) == retired).values(beneficiary_id=target)
    )
    for venture in session.exec(select(VentureState)):
        if str(retired) in venture.members:
            venture.members = _members(session, [UUID(m) for m in venture.members])
            session.add(venture)
    person = session.get(Person, retired)
    if person is not None:
        session.delete(person)
