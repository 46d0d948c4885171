"""Applications (shortlist, interview, hire or rejection), placements and their retention checks.

A hire takes the offer's lock first, so two hires at once never fill more positions than the offer
has. Each use case commits once, with its events staged in the outbox.
"""

from datetime import date, timedelta
from functools import partial
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life import referrals
from work4life.contracts.employment import ContractType, OfferKind, RetentionOutcome
from work4life.runtime.auth import Principal
from work4life.runtime.days import DayRefused
from work4life.runtime.db import key

from ..adapters import event_mapping
from ..adapters.orm import (
    Employer,
    EmploymentCandidate,
    JobApplication,
    JobFair,
    JobOffer,
    Placement,
    RetentionCheck,
)
from ..domain import matching as scoring
from ..domain.model import (
    EARLY_CHECK_DAYS,
    IN_PROGRESS,
    ApplicationRequest,
    ApplicationStatus,
    CandidateStatus,
    CheckStatus,
    Conflict,
    HireRequest,
    NotFound,
    OfferStatus,
    Refused,
    RetentionRequest,
    StepRequest,
    check_step,
    months_after,
)
from . import matching
from .context import Work
from .employers import lock_offer, page
from .fairs import fair_by_id

answer = partial(referrals.answer, answered=event_mapping.referral_answered)
"""Give a candidate its new status and tell intake (`work4life.referrals.answer`)."""


def _standing_referral(session: Session, who: UUID) -> EmploymentCandidate | None:
    query = select(EmploymentCandidate).where(
        EmploymentCandidate.beneficiary_id == who, col(EmploymentCandidate.status).in_(matching.STANDING)
    )
    return session.exec(query.order_by(col(EmploymentCandidate.referred_on).desc())).first()


def hires_on(session: Session, offer: JobOffer) -> int:
    return session.exec(select(func.count()).where(Placement.offer_pk == offer.id)).one()


def application_by_id(
    session: Session, application_id: UUID, actor: Principal
) -> tuple[JobApplication, JobOffer, Employer]:
    row = session.exec(
        select(JobApplication, JobOffer, Employer)
        .join(JobOffer, col(JobOffer.id) == JobApplication.offer_pk)
        .join(Employer, col(Employer.id) == JobOffer.employer_pk)
        .where(JobApplication.application_id == application_id)
    ).first()
    if row is None or not actor.may_see(row[2].organisation):
        raise NotFound(f"no application {application_id}")
    return row


def apply(uow: Work, offer: JobOffer, employer: Employer, request: ApplicationRequest) -> JobApplication:
    """Shortlist a person from the pool for an offer (their referral is accepted)."""
    session, context, actor = uow.session, uow.context, uow.staff
    lock_offer(session, offer)
    if offer.status is not OfferStatus.OPEN or offer.closes_on < context.today():
        state = offer.status.value if offer.status is not OfferStatus.OPEN else f"closed since {offer.closes_on}"
        raise Conflict(
            f"offer {offer.offer_id} is {state}: it takes no applications",
            code="offer_not_open" if offer.status is not OfferStatus.OPEN else "offer_past_closing",
            values={"offer_status": offer.status, "closes_on": offer.closes_on},
        )
    who = request.beneficiary_id
    jobseeker = matching.in_pool(session, who)
    referral = _standing_referral(session, who)
    if jobseeker is None or referral is None:
        raise Conflict(
            f"{who} has no standing referral to employment: refer the person in intake (with consent) first",
            code="no_standing_referral",
            values={"service": "employment"},
        )
    existing = session.exec(
        select(JobApplication).where(
            JobApplication.offer_pk == offer.id,
            JobApplication.beneficiary_id == who,
            col(JobApplication.status).in_([*(s.value for s in IN_PROGRESS), ApplicationStatus.HIRED.value]),
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{who} already has an application ({existing.status.value}) for offer {offer.offer_id}",
            code="application_exists",
            values={"application_status": existing.status},
        )
    fair = fair_by_id(session, request.job_fair_id, actor) if request.job_fair_id else None
    shortlisted_on = context.happened_on(
        "shortlisted_on",
        request.shortlisted_on or (fair.held_on if fair else None),
        (offer.opens_on, "the offer's opening"),
        (referral.referred_on, "the referral"),
    )
    match = scoring.score(matching.profile(session, jobseeker), matching.offer_profile(offer, employer))
    application = JobApplication(
        offer_pk=key(offer),
        beneficiary_id=who,
        referral_id=referral.referral_id,
        status=ApplicationStatus.SHORTLISTED,
        score=match.score,
        job_fair_pk=fair.id if fair else None,
        shortlisted_on=shortlisted_on,
        note=request.note,
        created_by=actor.subject,
    )
    session.add(application)
    if referral.status is CandidateStatus.PENDING:
        answer(uow, referral, CandidateStatus.ACCEPTED)
    uow.commit()
    session.refresh(application)
    return application


def step(uow: Work, application: JobApplication, offer: JobOffer, request: StepRequest) -> JobApplication:
    session, context = uow.session, uow.context
    lock_offer(session, offer)
    session.refresh(application)
    check_step(application.status, request.to)
    on = context.happened_on(
        "on",
        request.on,
        (application.shortlisted_on, "the shortlisting"),
        (application.interviewed_on, "the interview"),
    )
    application.status = request.to
    if request.to is ApplicationStatus.INTERVIEWED:
        application.interviewed_on = on
    else:
        application.decided_on = on
        application.rejection_reason = request.reason
    if request.note:
        application.note = request.note
    session.add(application)
    uow.commit()
    session.refresh(application)
    return application


def hire(
    uow: Work, application: JobApplication, offer: JobOffer, employer: Employer, request: HireRequest
) -> Placement:
    """Hire an interviewed applicant: a placement, its retention checks, and the offer filled when
    its positions are."""
    session, context, actor = uow.session, uow.context, uow.staff
    lock_offer(session, offer)
    session.refresh(application)
    check_step(application.status, ApplicationStatus.HIRED)
    hired = hires_on(session, offer)
    if hired >= offer.positions:
        raise Conflict(
            f"all {offer.positions} positions of offer {offer.offer_id} are filled",
            code="offer_filled",
            values={"positions": offer.positions},
        )
    if (offer.kind is OfferKind.INTERNSHIP) != (request.contract_type is ContractType.INTERNSHIP):
        raise Refused("contract_type", "an internship offer hires on an internship contract, and only it does")
    if matching.in_pool(session, application.beneficiary_id) is None:
        raise Conflict(
            f"{application.beneficiary_id} no longer has a standing referral with consent",
            code="no_standing_referral",
            values={"service": "employment"},
        )
    interviewed = (application.interviewed_on or application.shortlisted_on, "the interview")
    referral = session.get(EmploymentCandidate, application.referral_id) if application.referral_id else None
    referred = (referral.referred_on if referral else None, "the person's referral to employment")
    hired_on = context.happened_on("hired_on", request.hired_on, interviewed)
    context.within_programme("starts_on", request.starts_on)
    for earlier, name in (interviewed, referred):
        if earlier is not None and request.starts_on < earlier:
            raise DayRefused("starts_on", f"is before {name} ({earlier.isoformat()})")
    application.status = ApplicationStatus.HIRED
    application.decided_on = hired_on
    placement = Placement(
        application_pk=key(application),
        offer_pk=key(offer),
        beneficiary_id=application.beneficiary_id,
        contract_type=request.contract_type,
        starts_on=request.starts_on,
        hours_per_week=request.hours_per_week,
        wage_band=request.wage_band,
        job_fair_pk=application.job_fair_pk,
        created_by=actor.subject,
    )
    session.add_all([application, placement])
    session.flush()
    for months in context.retention_months:
        session.add(
            RetentionCheck(
                placement_pk=key(placement),
                months_after_start=months,
                due_on=months_after(request.starts_on, months),
            )
        )
    if hired + 1 >= offer.positions:
        offer.status = OfferStatus.FILLED
        session.add(offer)
    fair = session.get(JobFair, placement.job_fair_pk) if placement.job_fair_pk else None
    uow.publish(event_mapping.placed(placement, offer, employer, fair, **uow.provenance))
    if referral is not None and referral.status in (CandidateStatus.PENDING, CandidateStatus.ACCEPTED):
        if referral.status is CandidateStatus.PENDING:
            answer(uow, referral, CandidateStatus.ACCEPTED)
        answer(uow, referral, CandidateStatus.COMPLETED)
    uow.commit()
    session.refresh(placement)
    return placement


# -- placements and retention ----------------------------------------------------------------


def placement_by_id(session: Session, placement_id: UUID, actor: Principal) -> tuple[Placement, JobOffer, Employer]:
    row = session.exec(
        select(Placement, JobOffer, Employer)
        .join(JobOffer, col(JobOffer.id) == Placement.offer_pk)
        .join(Employer, col(Employer.id) == JobOffer.employer_pk)
        .where(Placement.placement_id == placement_id)
    ).first()
    if row is None or not actor.may_see(row[2].organisation):
        raise NotFound(f"no placement {placement_id}")
    return row


def checks_of(session: Session, placement: Placement) -> list[RetentionCheck]:
    query = select(RetentionCheck).where(RetentionCheck.placement_pk == placement.id)
    return list(session.exec(query.order_by(col(RetentionCheck.months_after_start))))


def record_check(
    uow: Work, placement: Placement, offer: JobOffer, months: int, request: RetentionRequest
) -> RetentionCheck:
    """Record (or correct) the retention check due `months` after the start. A person found gone
    needs no later checks."""
    session, context, actor = uow.session, uow.context, uow.staff
    lock_offer(session, offer)
    checks = checks_of(session, placement)
    check = next((c for c in checks if c.months_after_start == months), None)
    if check is None:
        scheduled = ", ".join(str(c.months_after_start) for c in checks)
        raise NotFound(f"placement {placement.placement_id} has no check at {months} months (scheduled: {scheduled})")
    if check.status is CheckStatus.NOT_NEEDED:
        raise Conflict(
            f"the {months}-month check is not needed: the person had left at an earlier check",
            code="check_not_needed",
            values={"months": months},
        )
    earliest = check.due_on - timedelta(days=EARLY_CHECK_DAYS)
    context.happened_on(
        "checked_on", request.checked_on, (earliest, f"two weeks before the {months}-month check falls due")
    )
    if request.left_on is not None:
        context.happened_on("left_on", request.left_on, (placement.starts_on, "the start"))
    check.status = CheckStatus.RECORDED
    check.checked_on = request.checked_on
    check.outcome = request.outcome
    check.left_reason = request.left_reason
    check.left_on = request.left_on
    check.note = request.note
    check.recorded_by = actor.subject
    session.add(check)
    left = request.outcome is RetentionOutcome.LEFT
    for later in (c for c in checks if c.months_after_start > months):
        if left and later.status is CheckStatus.SCHEDULED:
            later.status = CheckStatus.NOT_NEEDED
        elif not left and later.status is CheckStatus.NOT_NEEDED:
            later.status = CheckStatus.SCHEDULED  # a correction: the person is still there
        session.add(later)
    placement.left_on = request.left_on if left else None
    session.add(placement)
    uow.publish(event_mapping.retention_checked(placement, check, **uow.provenance))
    uow.commit()
    session.refresh(check)
    return check


def due_checks(
    session: Session, actor: Principal, due_before: date, limit: int, offset: int
) -> tuple[list[tuple[RetentionCheck, Placement, JobOffer, Employer]], int]:
    query = (
        select(RetentionCheck, Placement, JobOffer, Employer)
        .join(Placement, col(Placement.id) == RetentionCheck.placement_pk)
        .join(JobOffer, col(JobOffer.id) == Placement.offer_pk)
        .join(Employer, col(Employer.id) == JobOffer.employer_pk)
        .where(RetentionCheck.status == CheckStatus.SCHEDULED, RetentionCheck.due_on < due_before)
    )
    if not actor.sees_every_organisation:
        query = query.where(Employer.organisation == actor.organisation)
    return page(session, query.order_by(col(RetentionCheck.due_on), col(RetentionCheck.id)), limit, offset)


def applications_of_offer(
    session: Session, offer: JobOffer, status: ApplicationStatus | None, limit: int, offset: int
) -> tuple[list[JobApplication], int]:
    query = select(JobApplication).where(JobApplication.offer_pk == offer.id)
    if status:
        query = query.where(JobApplication.status == status)
    return page(session, query.order_by(col(JobApplication.score).desc(), col(JobApplication.id)), limit, offset)


def placements(
    session: Session, actor: Principal, beneficiary_id: UUID | None, employer_id: UUID | None, limit: int, offset: int
) -> tuple[list[tuple[Placement, JobOffer, Employer]], int]:
    query = (
        select(Placement, JobOffer, Employer)
        .join(JobOffer, col(JobOffer.id) == Placement.offer_pk)
        .join(Employer, col(Employer.id) == JobOffer.employer_pk)
    )
    if not actor.sees_every_organisation:
        query = query.where(Employer.organisation == actor.organisation)
    if beneficiary_id:
        query = query.where(Placement.beneficiary_id == beneficiary_id)
    if employer_id:
        query = query.where(Employer.employer_id == employer_id)
    return page(session, query.order_by(col(Placement.starts_on).desc(), col(Placement.id)), limit, offset)
