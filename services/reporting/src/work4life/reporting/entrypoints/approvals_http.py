"""HTTP routes of period approval (`service_layer/approvals.py`): programme managers and admins
approve a month or a quarter that is over, or withdraw an approval with a reason; everyone who
reads the indicators sees which periods are approved."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from work4life.contracts.reporting import SnapshotTrigger
from work4life.runtime.api import MANAGERS, Limit, Offset, Page, SessionDep
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.http import refused

from ..adapters.orm import Approval
from ..service_layer import approvals, snapshots
from ..service_layer.indicators import BadQuery, Period
from . import RowId, WorkDep

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
Anyone = Annotated[Principal, Depends(require(*Role))]
Manager = Annotated[Principal, Depends(require(*MANAGERS))]


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=20, description="month:YYYY-MM or quarter:YYYY-QN, over")
    note: str | None = Field(default=None, max_length=500, description="e.g. checked against the partners' lists")


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description="Why the period is open again")


class ApprovalOut(BaseModel):
    id: int
    period: str
    period_from: date
    period_to: date
    approved_at: datetime
    approved_by: str
    note: str | None
    facts: int = Field(description="Facts of the period kept as approved")
    people: int = Field(description="People counted in them, with their attributes as approved")
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawn_reason: str | None


def shown(approval: Approval, facts: int, people: int) -> ApprovalOut:
    return ApprovalOut.model_validate(
        approval.model_dump() | {"id": approval.id or 0, "facts": facts, "people": people}
    )


@router.post(
    "",
    response_model=ApprovalOut,
    status_code=201,
    summary="Approve a month or a quarter (programme managers, admins): its figures are then served as approved",
    description="The period's facts and the people they are about are kept as they stand. The table, its "
    "breakdowns, the funnel, the exports and the snapshot of any period inside it are then counted from that copy; "
    "events that arrive later change the live figures only, and show as adjustments, with their reasons, on the "
    "next open period of the same kind. A snapshot of the period, marked approved, is published. 409 with "
    "`period_not_over` for a period that is not over, `period_approved` for one approved already.",
)
def approve(body: ApproveRequest, uow: WorkDep, who: Manager) -> ApprovalOut:
    try:
        approval = approvals.approve(uow, body.period, body.note)
    except BadQuery as bad:
        raise refused(bad.field, bad.reason) from bad
    span = Period(approval.period_from, approval.period_to)
    snapshots.stage_snapshot(uow, span, approval.period, SnapshotTrigger.APPROVED)
    uow.commit()
    uow.session.refresh(approval)
    return shown(approval, *approvals.sizes(uow.session, approval.id or 0))


@router.get("", response_model=Page[ApprovalOut], summary="The approved periods, newest first")
def list_approvals(
    db: SessionDep,
    who: Anyone,
    limit: Limit = 100,
    offset: Offset = 0,
    withdrawn: Annotated[bool, Query(description="Include withdrawn approvals")] = False,
) -> Page[ApprovalOut]:
    rows, total = approvals.listed(db, withdrawn=withdrawn, limit=limit, offset=offset)
    return Page(
        items=[shown(a, *approvals.sizes(db, a.id or 0)) for a in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/{approval_id}/withdraw",
    response_model=ApprovalOut,
    summary="Withdraw an approval, with a reason (programme managers, admins): the period is served live again",
    responses={404: {"description": "No such approval"}, 409: {"description": "Already withdrawn"}},
)
def withdraw(approval_id: RowId, body: WithdrawRequest, uow: WorkDep, who: Manager) -> ApprovalOut:
    approval = approvals.withdraw(uow, approval_id, body.reason)
    uow.commit()
    uow.session.refresh(approval)
    return shown(approval, 0, 0)
