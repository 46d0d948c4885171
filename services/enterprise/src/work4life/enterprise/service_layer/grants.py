"""Business plans and co-financing grants: approval against the plan and the prerequisites,
tranches tied to milestones, and disbursements that never exceed what was approved.

Money is handled as whole centimes (int) inside, as exact decimals at the edges.
"""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.contracts.intake import Region
from work4life.runtime.auth import Principal
from work4life.runtime.db import key

from ..adapters import event_mapping
from ..adapters.orm import BusinessPlanRecord, Disbursement, Grant, GrantTranche, TrainingCompletion, Venture
from ..domain.model import (
    ENDED,
    GRANT_STAGES,
    IN_SUPPORT,
    BusinessPlan,
    Conflict,
    DisbursementRequest,
    GrantRequest,
    MilestoneMet,
    NotFound,
    Refused,
    centimes,
    mad,
    rate_e4,
    shown,
)
from .context import Context, Work, now
from .ventures import lock, members_of

# -- business plan ---------------------------------------------------------------------------


def record_plan(uow: Work, venture: Venture, plan: BusinessPlan) -> BusinessPlanRecord:
    session, actor = uow.session, uow.staff
    lock(session, venture)
    if venture.stage not in IN_SUPPORT:
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}: its business plan is settled",
            code="plan_settled",
            values={"stage": venture.stage},
        )
    values = {
        "investment_need": centimes(plan.investment_need_mad),
        "own_contribution": centimes(plan.own_contribution_mad),
        "grant_requested": centimes(plan.grant_requested_mad),
        "other_financing": centimes(plan.other_financing_mad),
        "expected_jobs": plan.expected_jobs,
        "expected_monthly_revenue": centimes(plan.expected_monthly_revenue_mad),
        "summary": plan.summary,
        "updated_at": now(),
        "updated_by": actor.subject,
    }
    record = session.get(BusinessPlanRecord, key(venture))
    if record is None:
        record = BusinessPlanRecord.model_validate({"venture_pk": key(venture), **values})
    else:
        record.sqlmodel_update(values)
    session.add(record)
    uow.commit()
    session.refresh(record)
    return record


def plan_of(session: Session, venture: Venture) -> BusinessPlanRecord | None:
    return session.get(BusinessPlanRecord, venture.id)


# -- prerequisites ---------------------------------------------------------------------------


def missing_prerequisites(session: Session, venture: Venture, context: Context) -> dict[str, list[str]]:
    """For each member in the programme, the required kinds of course not completed yet."""
    missing: dict[str, list[str]] = {}
    for member in members_of(session, venture):
        done = set(
            session.exec(
                select(TrainingCompletion.course_kind).where(TrainingCompletion.beneficiary_id == member.beneficiary_id)
            )
        )
        lacking = [k.value for k in context.grant_prerequisites if k not in done]
        if lacking:
            missing[str(member.beneficiary_id)] = lacking
    return missing


# -- grants ----------------------------------------------------------------------------------


def approve(uow: Work, venture: Venture, request: GrantRequest) -> Grant:
    session, context, actor = uow.session, uow.context, uow.staff
    lock(session, venture)
    if venture.stage not in GRANT_STAGES:
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}: a grant is approved in incubation or later",
            code="grant_too_early",
            values={"stage": venture.stage},
        )
    if session.exec(select(Grant).where(Grant.venture_pk == venture.id)).first() is not None:
        raise Conflict(f"venture {venture.venture_id} already has a grant", code="grant_exists")
    plan = plan_of(session, venture)
    if plan is None:
        raise Conflict(
            f"venture {venture.venture_id} has no business plan: record it first (PUT .../business-plan)",
            code="no_business_plan",
        )
    approved = centimes(request.approved_mad)
    if approved > plan.grant_requested:
        raise Refused(
            "approved_mad",
            f"{shown(request.approved_mad)} MAD is more than the {shown(mad(plan.grant_requested))} MAD "
            "the business plan requests",
        )
    missing = missing_prerequisites(session, venture, context)
    if missing:
        raise Conflict(
            "the grant needs its prerequisites first: "
            + "; ".join(f"{who} has not completed {', '.join(kinds)}" for who, kinds in missing.items()),
            code="grant_prerequisites",
            values={"missing": {str(who): list(kinds) for who, kinds in missing.items()}},
        )
    approved_on = context.happened_on("approved_on", request.approved_on, (venture.applied_on, "the application"))
    grant = Grant(
        venture_pk=key(venture),
        approved=approved,
        cofinancing=plan.own_contribution,
        eur_rate_e4=rate_e4(context.eur_rate),
        approved_on=approved_on,
        approved_by=actor.subject,
    )
    session.add(grant)
    session.flush()
    for number, tranche in enumerate(request.tranches, start=1):
        session.add(
            GrantTranche(
                grant_pk=key(grant),
                number=number,
                amount=centimes(tranche.amount_mad),
                milestone=tranche.milestone,
            )
        )
    uow.publish(event_mapping.grant_approved(session, venture, grant, len(request.tranches), **uow.provenance))
    uow.commit()
    session.refresh(grant)
    return grant


def grant_by_id(session: Session, grant_id: UUID, actor: Principal) -> tuple[Grant, Venture]:
    row = session.exec(
        select(Grant, Venture).join(Venture, col(Venture.id) == Grant.venture_pk).where(Grant.grant_id == grant_id)
    ).first()
    if row is None or not actor.may_see(row[1].organisation):
        raise NotFound(f"no grant {grant_id}")
    return row


def grant_of(session: Session, venture: Venture) -> Grant | None:
    return session.exec(select(Grant).where(Grant.venture_pk == venture.id)).first()


def tranches_of(session: Session, grant: Grant) -> list[GrantTranche]:
    return list(
        session.exec(select(GrantTranche).where(GrantTranche.grant_pk == grant.id).order_by(col(GrantTranche.number)))
    )


def paid(session: Session, tranche: GrantTranche) -> int:
    return session.exec(
        select(func.coalesce(func.sum(Disbursement.amount), 0)).where(Disbursement.tranche_pk == tranche.id)
    ).one()


def _tranche(session: Session, grant: Grant, number: int) -> GrantTranche:
    tranche = session.exec(
        select(GrantTranche).where(GrantTranche.grant_pk == grant.id, GrantTranche.number == number)
    ).first()
    if tranche is None:
        raise NotFound(f"grant {grant.grant_id} has no tranche {number}")
    return tranche


def meet_milestone(uow: Work, grant: Grant, venture: Venture, number: int, request: MilestoneMet) -> GrantTranche:
    session, context = uow.session, uow.context
    lock(session, venture)
    tranche = _tranche(session, grant, number)
    if tranche.milestone_met_on is not None:
        raise Conflict(
            f"tranche {number}'s milestone was already met on {tranche.milestone_met_on}",
            code="milestone_met",
            values={"tranche": number, "met_on": tranche.milestone_met_on},
        )
    context.happened_on("met_on", request.met_on, (grant.approved_on, "the grant's approval"))
    tranche.milestone_met_on = request.met_on
    tranche.milestone_evidence = request.evidence
    session.add(tranche)
    uow.commit()
    session.refresh(tranche)
    return tranche


def disburse(uow: Work, grant: Grant, venture: Venture, number: int, request: DisbursementRequest) -> Disbursement:
    """Pay (part of) a tranche: only once its milestone is met, never beyond its amount."""
    session, context, actor = uow.session, uow.context, uow.staff
    lock(session, venture)
    if venture.stage in ENDED:
        raise Conflict(
            f"venture {venture.venture_id} is {venture.stage.value}: nothing more is paid",
            code="venture_ended",
            values={"stage": venture.stage},
        )
    tranche = _tranche(session, grant, number)
    if tranche.milestone_met_on is None:
        raise Conflict(
            f"tranche {number}'s milestone is not met yet ({tranche.milestone!r}): nothing can be paid",
            code="milestone_not_met",
            values={"tranche": number, "milestone": tranche.milestone},
        )
    amount = centimes(request.amount_mad)
    left = tranche.amount - paid(session, tranche)
    if amount > left:
        raise Conflict(
            f"{shown(request.amount_mad)} MAD is beyond what was approved: tranche {number} has "
            f"{shown(mad(left))} MAD left of {shown(mad(tranche.amount))} MAD",
            code="beyond_tranche",
            values={
                "amount": f"{request.amount_mad:.2f}",
                "tranche": number,
                "left": f"{mad(left):.2f}",
                "tranche_amount": f"{mad(tranche.amount):.2f}",
            },
        )
    disbursed_on = context.happened_on(
        "disbursed_on", request.disbursed_on, (tranche.milestone_met_on, "the tranche's milestone")
    )
    disbursement = Disbursement(
        tranche_pk=key(tranche),
        amount=amount,
        disbursed_on=disbursed_on,
        reference=request.reference,
        recorded_by=actor.subject,
        recorded_at=now(),
    )
    session.add(disbursement)
    session.flush()
    uow.publish(event_mapping.grant_disbursed(session, venture, grant, tranche, disbursement, **uow.provenance))
    uow.commit()
    session.refresh(disbursement)
    return disbursement


@dataclass(frozen=True)
class Totals:
    grants: int
    approved: int
    disbursed: int


def totals(session: Session, actor: Principal, region: Region | None, organisation: str | None) -> Totals:
    grants = select(Grant.id, Grant.approved).join(Venture, col(Venture.id) == Grant.venture_pk)
    if not actor.sees_every_organisation and actor.role.value != "me_viewer":
        grants = grants.where(Venture.organisation == actor.organisation)
    if organisation:
        grants = grants.where(Venture.organisation == organisation)
    if region:
        grants = grants.where(Venture.region == region)
    rows = session.exec(grants).all()
    ids = [r[0] for r in rows]
    disbursed = session.exec(
        select(func.coalesce(func.sum(Disbursement.amount), 0))
        .join(GrantTranche, col(GrantTranche.id) == Disbursement.tranche_pk)
        .where(col(GrantTranche.grant_pk).in_(ids))
    ).one()
    return Totals(grants=len(rows), approved=sum(r[1] for r in rows), disbursed=disbursed)
