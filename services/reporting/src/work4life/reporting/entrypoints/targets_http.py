"""HTTP routes of the targets and baselines (`service_layer/targets.py`): entered by M&E staff,
programme managers and admins, read by everyone who reads the indicators, every change audited."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from work4life.contracts.intake import Region
from work4life.runtime.api import Limit, Offset, Page, SessionDep
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.http import ORGANISATION_CODE, OrganisationQuery, refused
from work4life.runtime.strict import Whole

from ..adapters.orm import Target, TargetChange
from ..service_layer import targets
from ..service_layer.indicators import BadQuery
from . import RowId, WorkDep

EDITORS = (Role.ME_VIEWER, Role.PROGRAMME_MANAGER, Role.ADMIN)
"""Who keeps the targets: M&E staff (the reporting role), programme managers and admins."""

router = APIRouter(prefix="/v1", tags=["targets"])
Anyone = Annotated[Principal, Depends(require(*Role))]
Editor = Annotated[Principal, Depends(require(*EDITORS))]

Year = Annotated[Whole, Field(ge=2000, le=2100, description="The calendar year the target is for")]
Figure = Annotated[Decimal, Field(ge=0, le=Decimal("99999999999999"), max_digits=16, decimal_places=2)]


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, description="The indicator's code, e.g. 1.4 or placements")
    year: Year
    region: Region | None = Field(default=None, description="A region, or null for every region")
    organisation: str | None = Field(
        default=None, pattern=ORGANISATION_CODE, description="A partner organisation, or null for every one"
    )
    target: Figure = Field(description="People, units or MAD as the indicator counts; a percent for a rate")
    baseline: Figure | None = Field(default=None, description="Where the indicator stood before; progress starts there")
    note: str | None = Field(default=None, max_length=500, description="Where the figure comes from")


class TargetOut(BaseModel):
    id: int
    code: str
    year: int
    region: str | None
    organisation: str | None
    target: Decimal
    baseline: Decimal | None
    note: str | None
    changed_at: datetime
    changed_by: str


class TargetChangeOut(BaseModel):
    at: datetime
    by: str
    role: str
    action: str = Field(description="set or removed")
    code: str
    year: int
    region: str | None
    organisation: str | None
    before: dict[str, Any] | None = Field(description="target, baseline and note before; null when it was new")
    after: dict[str, Any] | None = Field(description="target, baseline and note after; null when removed")


def shown(row: Target) -> TargetOut:
    figures = targets.figures(row)
    return TargetOut(
        id=row.id or 0,
        code=row.code,
        year=row.year,
        region=row.region or None,
        organisation=row.organisation or None,
        target=Decimal(figures["target"]),
        baseline=None if figures["baseline"] is None else Decimal(figures["baseline"]),
        note=row.note,
        changed_at=row.changed_at,
        changed_by=row.changed_by,
    )


def change_shown(row: TargetChange) -> TargetChangeOut:
    return TargetChangeOut(
        **row.model_dump(include={"at", "by", "role", "action", "code", "year", "before", "after"}),
        region=row.region or None,
        organisation=row.organisation or None,
    )


@router.get("/targets", response_model=Page[TargetOut], summary="The targets and baselines, filtered")
def list_targets(
    db: SessionDep,
    who: Anyone,
    limit: Limit = 100,
    offset: Offset = 0,
    code: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    region: Region | None = None,
    organisation: OrganisationQuery = None,
) -> Page[TargetOut]:
    rows, total = targets.listed(
        db,
        code=code,
        year=year,
        region=region.value if region else None,
        organisation=organisation,
        limit=limit,
        offset=offset,
    )
    return Page(items=[shown(r) for r in rows], total=total, limit=limit, offset=offset)


@router.put(
    "/targets",
    response_model=TargetOut,
    summary="Enter or change the target of an indicator for a year (M&E staff, programme managers, admins)",
    description="One target per indicator, year, region (or all) and organisation (or all): a second PUT "
    "for the same changes it (200); a new one answers 201. The indicator table measures progress from "
    "the baseline to the target; a month or a quarter against its year's target, a period over several "
    "years against the sum of their targets (the last year's for a rate); a scope with no target of its "
    "own against the sum of its regions' (or organisations') targets. The configured "
    "`W4L_REPORTING_TARGETS` stays the default where nothing is entered. Every change is audited "
    "(`GET /v1/targets/changes`).",
    responses={201: {"model": TargetOut, "description": "A new target"}},
)
def put_target(body: TargetIn, uow: WorkDep, who: Editor, response: Response) -> TargetOut:
    try:
        row, created = targets.set_target(
            uow,
            code=body.code,
            year=body.year,
            region=body.region.value if body.region else None,
            organisation=body.organisation,
            target=body.target,
            baseline=body.baseline,
            note=body.note,
        )
    except BadQuery as bad:
        raise refused(bad.field, bad.reason) from bad
    response.status_code = 201 if created else 200
    return shown(row)


@router.delete(
    "/targets/{target_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a target (M&E staff, programme managers, admins); audited",
)
def delete_target(target_id: RowId, uow: WorkDep, who: Editor) -> Response:
    targets.remove_target(uow, target_id)
    return Response(status_code=204)


@router.get(
    "/targets/changes",
    response_model=Page[TargetChangeOut],
    summary="Every change to the targets, newest first: who, when, the figures before and after",
)
def list_changes(
    db: SessionDep,
    who: Anyone,
    limit: Limit = 100,
    offset: Offset = 0,
    code: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[TargetChangeOut]:
    rows, total = targets.changes(db, code=code, limit=limit, offset=offset)
    return Page(items=[change_shown(r) for r in rows], total=total, limit=limit, offset=offset)
