"""HTTP routes of business plans, co-financing grants, milestones and disbursements. Amounts are
exact decimal strings in MAD, with their EUR equivalent at the grant's rate."""

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel
from sqlmodel import Session

from work4life.contracts.enterprise import Money
from work4life.contracts.intake import Region
from work4life.runtime.api import Reader, SessionDep, Staff

from ..adapters.orm import BusinessPlanRecord, Disbursement, Grant, Venture
from ..domain.model import BusinessPlan, DisbursementRequest, GrantRequest, MilestoneMet, eur, mad, rate_e4, rate_of
from ..service_layer import grants, ventures
from . import ContextDep, WorkDep

Tranche = Annotated[int, PathParam(ge=1, le=12, description="The tranche's number, from 1")]


class PlanPublic(BaseModel):
    investment_need_mad: Money
    own_contribution_mad: Money
    grant_requested_mad: Money
    other_financing_mad: Money
    own_contribution_percent: Decimal
    expected_jobs: int
    expected_monthly_revenue_mad: Money
    summary: str | None
    updated_by: str


class TranchePublic(BaseModel):
    number: int
    amount_mad: Money
    amount_eur: Money
    milestone: str
    milestone_met_on: date | None
    milestone_evidence: str | None
    disbursed_mad: Money
    left_mad: Money


class GrantPublic(BaseModel):
    grant_id: UUID
    venture_id: UUID
    approved_on: date
    approved_mad: Money
    approved_eur: Money
    eur_rate: Decimal
    cofinancing_mad: Money
    disbursed_mad: Money
    disbursed_eur: Money
    left_mad: Money
    tranches: list[TranchePublic]


class DisbursementPublic(BaseModel):
    disbursement_id: UUID
    grant_id: UUID
    tranche: int
    amount_mad: Money
    amount_eur: Money
    disbursed_on: date
    reference: str | None


class GrantTotals(BaseModel):
    grants: int
    approved_mad: Money
    approved_eur: Money
    disbursed_mad: Money
    disbursed_eur: Money
    eur_rate: Decimal


def plan_out(plan: BusinessPlanRecord) -> PlanPublic:
    return PlanPublic(
        investment_need_mad=mad(plan.investment_need),
        own_contribution_mad=mad(plan.own_contribution),
        grant_requested_mad=mad(plan.grant_requested),
        other_financing_mad=mad(plan.other_financing),
        own_contribution_percent=(Decimal(plan.own_contribution * 100) / plan.investment_need).quantize(Decimal("0.1")),
        expected_jobs=plan.expected_jobs,
        expected_monthly_revenue_mad=mad(plan.expected_monthly_revenue),
        summary=plan.summary,
        updated_by=plan.updated_by,
    )


def grant_out(db: Session, grant: Grant, venture: Venture) -> GrantPublic:
    tranches = []
    disbursed = 0
    for t in grants.tranches_of(db, grant):
        paid = grants.paid(db, t)
        disbursed += paid
        tranches.append(
            TranchePublic(
                number=t.number,
                amount_mad=mad(t.amount),
                amount_eur=eur(t.amount, grant.eur_rate_e4),
                milestone=t.milestone,
                milestone_met_on=t.milestone_met_on,
                milestone_evidence=t.milestone_evidence,
                disbursed_mad=mad(paid),
                left_mad=mad(t.amount - paid),
            )
        )
    return GrantPublic(
        grant_id=grant.grant_id,
        venture_id=venture.venture_id,
        approved_on=grant.approved_on,
        approved_mad=mad(grant.approved),
        approved_eur=eur(grant.approved, grant.eur_rate_e4),
        eur_rate=rate_of(grant.eur_rate_e4),
        cofinancing_mad=mad(grant.cofinancing),
        disbursed_mad=mad(disbursed),
        disbursed_eur=eur(disbursed, grant.eur_rate_e4),
        left_mad=mad(grant.approved - disbursed),
        tranches=tranches,
    )


def disbursement_out(d: Disbursement, grant: Grant, tranche: int) -> DisbursementPublic:
    return DisbursementPublic(
        disbursement_id=d.disbursement_id,
        grant_id=grant.grant_id,
        tranche=tranche,
        amount_mad=mad(d.amount),
        amount_eur=eur(d.amount, grant.eur_rate_e4),
        disbursed_on=d.disbursed_on,
        reference=d.reference,
    )


router = APIRouter(prefix="/v1")


@router.put(
    "/ventures/{venture_id}/business-plan",
    response_model=PlanPublic,
    tags=["grants"],
    summary="Record (or revise) the business plan: investment need and how it is financed, expected jobs and revenue",
)
def record_plan(uow: WorkDep, venture_id: UUID, body: BusinessPlan, db: SessionDep, who: Staff) -> PlanPublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    return plan_out(grants.record_plan(uow, venture, body))


@router.get(
    "/ventures/{venture_id}/business-plan",
    response_model=PlanPublic,
    tags=["grants"],
    summary="A venture's business plan",
)
def get_plan(venture_id: UUID, db: SessionDep, who: Staff) -> PlanPublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    plan = grants.plan_of(db, venture)
    if plan is None:
        raise HTTPException(404, detail=f"venture {venture_id} has no business plan yet")
    return plan_out(plan)


@router.get(
    "/ventures/{venture_id}/grant/prerequisites",
    response_model=dict[str, list[str]],
    tags=["grants"],
    summary="Which members still lack which required course before a grant (empty when none)",
)
def prerequisites(context: ContextDep, venture_id: UUID, db: SessionDep, who: Staff) -> dict[str, list[str]]:
    venture = ventures.venture_by_id(db, venture_id, who)
    return grants.missing_prerequisites(db, venture, context)


@router.post(
    "/ventures/{venture_id}/grant",
    response_model=GrantPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["grants"],
    summary="Approve the co-financing grant with its tranches (in incubation or later; prerequisites met)",
    responses={409: {"description": "Wrong stage, no business plan, a grant already, or prerequisites missing"}},
)
def approve(uow: WorkDep, venture_id: UUID, body: GrantRequest, db: SessionDep, who: Staff) -> GrantPublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    grant = grants.approve(uow, venture, body)
    return grant_out(db, grant, venture)


@router.get("/ventures/{venture_id}/grant", response_model=GrantPublic, tags=["grants"], summary="A venture's grant")
def venture_grant(venture_id: UUID, db: SessionDep, who: Staff) -> GrantPublic:
    venture = ventures.venture_by_id(db, venture_id, who)
    grant = grants.grant_of(db, venture)
    if grant is None:
        raise HTTPException(404, detail=f"venture {venture_id} has no grant")
    return grant_out(db, grant, venture)


@router.get(
    "/grants/totals",
    response_model=GrantTotals,
    tags=["grants"],
    summary="Grants approved and disbursed, in MAD and in EUR at the configured rate (filter by region, organisation)",
)
def grant_totals(
    context: ContextDep,
    db: SessionDep,
    who: Reader,
    region: Region | None = None,
    organisation: Annotated[str | None, Query(max_length=50)] = None,
) -> GrantTotals:
    t = grants.totals(db, who, region, organisation)
    rate = rate_e4(context.eur_rate)
    return GrantTotals(
        grants=t.grants,
        approved_mad=mad(t.approved),
        approved_eur=eur(t.approved, rate),
        disbursed_mad=mad(t.disbursed),
        disbursed_eur=eur(t.disbursed, rate),
        eur_rate=context.eur_rate,
    )


@router.get("/grants/{grant_id}", response_model=GrantPublic, tags=["grants"], summary="One grant")
def get_grant(grant_id: UUID, db: SessionDep, who: Staff) -> GrantPublic:
    grant, venture = grants.grant_by_id(db, grant_id, who)
    return grant_out(db, grant, venture)


@router.post(
    "/grants/{grant_id}/tranches/{tranche}/milestone",
    response_model=GrantPublic,
    tags=["grants"],
    summary="Record that a tranche's milestone is met (with the evidence)",
)
def milestone(
    uow: WorkDep, grant_id: UUID, tranche: Tranche, body: MilestoneMet, db: SessionDep, who: Staff
) -> GrantPublic:
    grant, venture = grants.grant_by_id(db, grant_id, who)
    grants.meet_milestone(uow, grant, venture, tranche, body)
    return grant_out(db, grant, venture)


@router.post(
    "/grants/{grant_id}/tranches/{tranche}/disbursements",
    response_model=DisbursementPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["grants"],
    summary="Pay (part of) a tranche: only after its milestone, never beyond its amount",
    responses={409: {"description": "Milestone not met, or beyond what was approved"}},
)
def disburse(
    uow: WorkDep, grant_id: UUID, tranche: Tranche, body: DisbursementRequest, db: SessionDep, who: Staff
) -> DisbursementPublic:
    grant, venture = grants.grant_by_id(db, grant_id, who)
    paid = grants.disburse(uow, grant, venture, tranche, body)
    return disbursement_out(paid, grant, tranche)
