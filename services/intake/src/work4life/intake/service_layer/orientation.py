"""Skills assessments, referrals (and their answers) and outreach sessions."""

import logging
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Envelope
from work4life.contracts.intake import ConsentPurpose, ReferralStatus
from work4life.runtime.context import now
from work4life.runtime.db import key
from work4life.runtime.errors import Conflict
from work4life.runtime.uow import UnitOfWork

from ..adapters import event_mapping
from ..adapters.orm import Beneficiary, OutreachSession, RecordStatus, Referral, SkillsAssessment
from ..domain.model import Refused
from ..domain.orientation import AssessmentRequest, OutreachRequest, ReferralRequest, referral_step_allowed
from . import audit
from .handlers import Context, Work, active_consent

log = logging.getLogger(__name__)


class NoConsent(Conflict):
    """The person has not consented (or withdrew consent) to what was asked."""


class StepRefused(Conflict):
    """The referral cannot move to that status from the one it is in."""


def record_assessment(uow: Work, beneficiary: Beneficiary, request: AssessmentRequest) -> SkillsAssessment:
    session, context, actor = uow.session, uow.context, uow.staff
    assessed_on = context.happened_on(
        "assessed_on", request.assessed_on, (beneficiary.registered_on, "the person's registration")
    )
    assessment = SkillsAssessment(
        beneficiary_pk=key(beneficiary),
        assessed_on=assessed_on,
        languages=[language.model_dump(mode="json") for language in request.languages],
        education_level=request.education_level,
        occupations=[occupation.model_dump() for occupation in request.occupations],
        skills=request.skills,
        digital_skills=request.digital_skills,
        aspirations=[a.value for a in request.aspirations],
        notes=request.notes,
        assessed_by=actor.subject,
        recorded_at=now(),
    )
    session.add(assessment)
    session.flush()
    uow.publish(event_mapping.skills_assessed(beneficiary, assessment, **uow.provenance))
    audit.record(session, actor, "assess", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(assessment)
    return assessment


def assessments_of(session: Session, beneficiary: Beneficiary) -> list[SkillsAssessment]:
    query = select(SkillsAssessment).where(SkillsAssessment.beneficiary_pk == beneficiary.id)
    return list(session.exec(query.order_by(col(SkillsAssessment.assessed_on).desc(), col(SkillsAssessment.id).desc())))


def refer(uow: Work, beneficiary: Beneficiary, request: ReferralRequest) -> Referral:
    session, context, actor = uow.session, uow.context, uow.staff
    if active_consent(session, beneficiary, ConsentPurpose.SERVICE_DELIVERY) is None:
        raise NoConsent("the person has withdrawn consent to service delivery", code="no_service_consent")
    if active_consent(session, beneficiary, ConsentPurpose.REFERRAL, request.recipient) is None:
        raise NoConsent(
            f"no active consent to referral to {request.recipient}: record it first "
            f"(POST /v1/beneficiaries/{beneficiary.beneficiary_id}/consents)",
            code="no_referral_consent",
            values={"recipient": request.recipient},
        )
    made_on = context.happened_on("made_on", request.made_on, (beneficiary.registered_on, "the person's registration"))
    referral = Referral(
        beneficiary_pk=key(beneficiary),
        service=request.service,
        organisation=request.organisation.strip() if request.organisation else None,
        reason=request.reason,
        note=request.note,
        made_on=made_on,
        made_by=actor.subject,
        partner_organisation=beneficiary.partner_organisation,
    )
    session.add(referral)
    session.flush()
    uow.publish(event_mapping.referral_made(beneficiary, referral, **uow.provenance))
    audit.record(session, actor, "refer", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(referral)
    return referral


def change_referral_status(uow: Work, referral: Referral, status: ReferralStatus) -> Referral:
    """Move a referral on: staff in intake, or the receiving service's answer (an event)."""
    session, context, actor = uow.session, uow.context, uow.actor
    if referral.status == status:
        return referral
    if not referral_step_allowed(referral.status, status):
        raise StepRefused(
            f"a {referral.status.value} referral cannot become {status.value}",
            code="referral_step_not_allowed",
            values={"referral_status": referral.status, "new_status": status},
        )
    beneficiary = session.get(Beneficiary, referral.beneficiary_pk)
    assert beneficiary is not None
    referral.status = status
    referral.status_changed_on = context.today()
    session.add(referral)
    uow.publish(event_mapping.referral_status_changed(beneficiary.beneficiary_id, referral, **uow.provenance))
    if actor is not None:
        audit.record(session, actor, "referral_status", [beneficiary.beneficiary_id])
    uow.commit()
    session.refresh(referral)
    return referral


def referral_by_id(session: Session, referral_id: UUID) -> Referral | None:
    return session.exec(select(Referral).where(Referral.referral_id == referral_id)).first()


def referrals(
    session: Session,
    *,
    beneficiary: Beneficiary | None = None,
    status: ReferralStatus | None = None,
    service: str | None = None,
    organisation: str | None = None,
    partner_organisation: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Referral, UUID]], int]:
    query = select(Referral, Beneficiary.beneficiary_id).join(
        Beneficiary, col(Beneficiary.id) == Referral.beneficiary_pk
    )
    if beneficiary is not None:
        query = query.where(Referral.beneficiary_pk == beneficiary.id)
    if status:
        query = query.where(Referral.status == status)
    if service:
        query = query.where(Referral.service == service)
    if organisation:
        query = query.where(func.lower(Referral.organisation) == organisation.strip().lower())
    if partner_organisation:
        query = query.where(Referral.partner_organisation == partner_organisation)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Referral.id).desc()).offset(offset).limit(limit)).all()
    return [(row[0], row[1]) for row in rows], int(total)


def answer_handler(context: Context):
    """The consumer handler for `<service>.referral_answered`: the receiving service's answer moves
    the referral on (and intake announces the new status). Runs in the consumer's transaction."""

    def handle(envelope: Envelope[Any], session: Session) -> None:
        answer = envelope.data
        referral = referral_by_id(session, answer.referral_id)
        if referral is None:
            raise LookupError(f"no referral {answer.referral_id}")
        if referral.service is None or referral.service.value != envelope.producer.service:
            raise PermissionError(
                f"{envelope.producer.service} answered referral {answer.referral_id}, which was made to "
                f"{referral.service.value if referral.service else referral.organisation}"
            )
        new = ReferralStatus(answer.answer.value)
        if referral.status == new:
            return
        if not referral_step_allowed(referral.status, new):
            log.warning("ignored answer %s to a %s referral %s", new.value, referral.status.value, referral.referral_id)
            return
        change_referral_status(UnitOfWork.for_event(session, context, envelope), referral, new)

    return handle


def record_outreach(uow: Work, request: OutreachRequest) -> OutreachSession:
    session, context, actor = uow.session, uow.context, uow.staff
    context.happened_on("held_on", request.held_on)
    organisation = request.partner_organisation or actor.organisation
    if not actor.may_see(organisation):
        raise PermissionError(f"a caseworker of {actor.organisation} cannot record sessions of {organisation}")
    if request.registered_attendees:
        found = set(
            session.exec(
                select(Beneficiary.beneficiary_id).where(
                    col(Beneficiary.beneficiary_id).in_(request.registered_attendees),
                    Beneficiary.status == RecordStatus.ACTIVE,
                )
            )
        )
        unknown = [str(a) for a in request.registered_attendees if a not in found]
        if unknown:
            raise Refused("registered_attendees", f"not registered (or no longer active): {', '.join(unknown)}")
    outreach = OutreachSession(
        campaign=request.campaign.strip(),
        held_on=request.held_on,
        region=request.region,
        city=request.city.strip(),
        topic=request.topic,
        partner_organisation=organisation,
        people_reached=request.people_reached,
        registered_attendees=[str(a) for a in request.registered_attendees],
        recorded_by=actor.subject,
        recorded_at=now(),
    )
    session.add(outreach)
    session.flush()
    audit.record(session, actor, "outreach", request.registered_attendees)
    uow.publish(event_mapping.outreach_session_held(outreach, **uow.provenance))
    uow.commit()
    session.refresh(outreach)
    return outreach


def outreach_sessions(
    session: Session,
    *,
    region: str | None,
    campaign: str | None,
    held_from: Any,
    held_to: Any,
    partner_organisation: str | None,
    limit: int,
    offset: int,
) -> tuple[list[OutreachSession], int]:
    query = select(OutreachSession)
    if region:
        query = query.where(OutreachSession.region == region)
    if campaign:
        query = query.where(OutreachSession.campaign == campaign)
    if held_from:
        query = query.where(OutreachSession.held_on >= held_from)
    if held_to:
        query = query.where(OutreachSession.held_on <= held_to)
    if partner_organisation:
        query = query.where(OutreachSession.partner_organisation == partner_organisation)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(
        query.order_by(col(OutreachSession.held_on).desc(), col(OutreachSession.id).desc()).offset(offset).limit(limit)
    )
    return list(items), int(total)
