"""HTTP routes of the indicators: JSON, CSV and a donor-ready XLSX workbook, and the funnel.

Programme managers and admins see exact figures; everyone else sees totals from 1 to 4 as "<5" and
the small cells of a breakdown, with the cells that would give them back, as "suppressed"
(`domain.disclosure`). Caseworkers see their own organisation's people only.
"""

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from work4life.contracts.reporting import SnapshotTrigger
from work4life.runtime.api import SessionDep
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.http import OrganisationQuery, refused
from work4life.runtime.spreadsheets import append_row, csv_text
from work4life.runtime.strict import Day

from ..domain import disclosure
from ..domain.disclosure import HIDDEN
from ..domain.indicators import FACT_DIMENSIONS, PERSON_DIMENSIONS, UNIT_DIMENSIONS, Unit, suppressed
from ..service_layer import approvals, snapshots, targets
from ..service_layer import indicators as engine
from ..service_layer.context import Context
from . import ContextDep, WorkDep

EXACT = (Role.PROGRAMME_MANAGER, Role.ADMIN)


class AdjustmentOut(BaseModel):
    period: str = Field(description="The approved period that moved")
    approved: int | float | Decimal | str | None
    current: int | float | Decimal | str | None
    change: int | float | Decimal | str | None = Field(description="current - approved; hidden with either figure")
    reasons: dict[str, int] = Field(
        description="late entry, merge, erasure (facts concerned), profile change (people concerned)"
    )


class IndicatorOut(BaseModel):
    code: str
    name: str
    unit: Unit
    rule: str
    period_from: date | None
    period_to: date
    organisation: str | None
    total: int | float | Decimal | str | None = Field(
        description='The figure; "<5" for a small count below programme manager; null for a rate with '
        "nothing to measure (no data: no check or visit in the period), never 0 %."
    )
    total_eur: Decimal | None = None
    numerator: int | str | None = None
    denominator: int | str | None = None
    target: float | None = Field(
        description="The target for the period (`GET /v1/targets`: a month or quarter against its year's)"
    )
    baseline: float | None = None
    progress_percent: float | None = Field(
        description="How far from the baseline to the target; null without a target, or when the figure is hidden"
    )
    breakdown: list[dict[str, Any]] = Field(
        description="One cell per combination of the dimensions; by region or organisation, each cell "
        "that is shown carries its own target, baseline and progress when one is set"
    )
    suppressed: bool
    approved: bool = Field(default=False, description="The figure is the approved one (see the table's approval)")
    adjustments: list[AdjustmentOut] = Field(
        default_factory=list,
        description="On an open month or quarter: how much this indicator has moved, since their approval, in "
        "the approved periods just before it, and why",
    )


class ApprovalShown(BaseModel):
    """The approval an answer's figures come from."""

    id: int
    period: str
    approved_at: datetime
    approved_by: str
    note: str | None


class IndicatorTable(BaseModel):
    period_from: date | None
    period_to: date
    organisation: str | None
    by: list[str]
    approval: ApprovalShown | None = Field(
        default=None,
        description="Set when the period lies inside an approved one: the figures are those approved, "
        "unchanged by later events",
    )
    indicators: list[IndicatorOut]


class SnapshotOut(BaseModel):
    snapshot_id: UUID
    period: str
    period_from: date | None
    period_to: date


class FunnelStage(BaseModel):
    stage: str
    description: str
    people: int | str


class FunnelOut(BaseModel):
    period_from: date | None
    period_to: date
    organisation: str | None
    stages: list[FunnelStage]


class DefinitionOut(BaseModel):
    code: str
    name: str
    unit: Unit
    rule: str = Field(description="How it is counted, as the README and the exports say it")
    dimensions: list[str] = Field(description="What it breaks down by (`by`)")


class Definitions(BaseModel):
    items: list[DefinitionOut]


router = APIRouter(prefix="/v1", tags=["indicators"])
Anyone = Annotated[Principal, Depends(require(*Role))]


@router.get(
    "/indicator-definitions",
    response_model=Definitions,
    summary="Every indicator: its code, name, unit, counting rule and the dimensions it breaks down by",
    description="No figures: what a consumer needs to ask for them, or a form to choose an indicator.",
)
def definitions(who: Anyone) -> Definitions:
    return Definitions(
        items=[
            DefinitionOut(code=i.code, name=i.name, unit=i.unit, rule=i.rule, dimensions=list(engine.dimensions_of(i)))
            for i in engine.INDICATORS
        ]
    )


def scope(who: Principal, organisation: str | None) -> str | None:
    if who.role in (Role.CASEWORKER,) and organisation not in (None, who.organisation):
        raise HTTPException(403, detail="caseworkers see only their organisation's figures")
    return who.organisation if who.role is Role.CASEWORKER else organisation


def table(
    context: Context,
    db: Session,
    who: Principal,
    period: str | None,
    start: date | None,
    end: date | None,
    by: str | None,
    organisation: str | None,
    codes: list[str] | None = None,
) -> IndicatorTable:
    try:
        span = engine.parse_period(period, start, end, context.today())
        dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
        known = [*PERSON_DIMENSIONS, *(d for d in UNIT_DIMENSIONS if d not in PERSON_DIMENSIONS), *FACT_DIMENSIONS]
        for name in dims:
            if name not in known:
                raise engine.BadQuery("by", f"no dimension {name}; the indicators break down by {', '.join(known)}")
        organisation = scope(who, organisation)
        approval = approvals.covering(db, span)
        source = approvals.source_of(approval.id or 0) if approval else engine.LIVE
        wanted = [i.code for i in engine.INDICATORS if codes is None or i.code in codes]
        with engine.counting_together():  # the roll-ups read once for every indicator
            results = [
                engine.compute(db, code, span, dims if code in _breaks_down(dims) else [], organisation, source)
                for code in wanted
            ]
    except engine.BadQuery as bad:
        raise refused(bad.field, bad.reason) from bad
    exact = who.role in EXACT
    goals = targets.Goals(db, context.targets)
    moved = approvals.adjustments(db, span, organisation, wanted)
    shown = [out(r, exact, goals, organisation, dims if r.breakdown else []) for r in results]
    for indicator in shown:
        indicator.approved = approval is not None
        indicator.adjustments = [adjustment_shown(a, exact) for a in moved.get(indicator.code, [])]
    return IndicatorTable(
        period_from=span.start,
        period_to=span.end,
        organisation=organisation,
        by=dims,
        approval=None if approval is None else ApprovalShown.model_validate(approval, from_attributes=True),
        indicators=shown,
    )


def _breaks_down(dims: list[str]) -> set[str]:
    return {i.code for i in engine.INDICATORS if all(d in engine.dimensions_of(i) for d in dims)}


@router.get(
    "/indicators",
    response_model=IndicatorTable,
    summary="Every indicator for a period, with progress against its target and an optional breakdown",
    description="Period: `period=month:2026-03 | quarter:2026-Q1 | year:2026 | programme`, or `from`/`to`; "
    "programme-to-date when neither is given. `by` is a comma-separated list of dimensions (sex, age_band, "
    "nationality, legal_status, disability, region, city, partner_organisation for indicators about people; region, "
    "organisation for the others; and, for the indicators whose facts carry them, course_kind, venture_kind, "
    "employer_type and occupation_group, the ISCO-08 major group: a person with facts of two kinds in the period "
    "counts once, under their first); an indicator that cannot break down that way comes without a breakdown, "
    "and an unknown dimension is a 422 that lists the known ones.",
)
def list_indicators(
    context: ContextDep,
    db: SessionDep,
    who: Anyone,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
    by: Annotated[str | None, Query(max_length=200)] = None,
    organisation: OrganisationQuery = None,
) -> IndicatorTable:
    return table(context, db, who, period, start, end, by, organisation)


@router.get(
    "/indicators/{code}",
    response_model=IndicatorOut,
    summary="One indicator for a period, broken down by any combination of its dimensions",
)
def one_indicator(
    context: ContextDep,
    code: str,
    db: SessionDep,
    who: Anyone,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
    by: Annotated[str | None, Query(max_length=200)] = None,
    organisation: OrganisationQuery = None,
) -> IndicatorOut:
    if code not in {i.code for i in engine.INDICATORS}:
        raise HTTPException(404, detail=f"no indicator {code}; known: {', '.join(i.code for i in engine.INDICATORS)}")
    if by:
        try:  # this indicator's own dimensions, named in the refusal
            engine.check_dimensions(engine.BY_CODE[code], [d.strip() for d in by.split(",") if d.strip()])
        except engine.BadQuery as bad:
            raise refused(bad.field, bad.reason) from bad
    return table(context, db, who, period, start, end, by, organisation, [code]).indicators[0]


@router.get("/funnel", response_model=FunnelOut, summary="The programme funnel: unique people at each stage")
def get_funnel(
    context: ContextDep,
    db: SessionDep,
    who: Anyone,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
    organisation: OrganisationQuery = None,
) -> FunnelOut:
    try:
        span = engine.parse_period(period, start, end, context.today())
    except engine.BadQuery as bad:
        raise refused(bad.field, bad.reason) from bad
    organisation = scope(who, organisation)
    exact = who.role in EXACT
    approval = approvals.covering(db, span)
    source = approvals.source_of(approval.id or 0) if approval else engine.LIVE
    stages = [
        FunnelStage(stage=name, description=text, people=n if exact else suppressed(n))
        for name, text, n in engine.funnel(db, span, organisation, source)
    ]
    return FunnelOut(period_from=span.start, period_to=span.end, organisation=organisation, stages=stages)


@router.get(
    "/indicators.csv",
    response_class=Response,
    summary="The indicator table as CSV: one row per indicator and breakdown cell",
)
def as_csv(
    context: ContextDep,
    db: SessionDep,
    who: Anyone,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
    by: Annotated[str | None, Query(max_length=200)] = None,
    organisation: OrganisationQuery = None,
) -> Response:
    result = table(context, db, who, period, start, end, by, organisation)
    rows: list[list[Any]] = [
        [
            "code",
            "indicator",
            "unit",
            "period_from",
            "period_to",
            *result.by,
            "value",
            "value_eur",
            "numerator",
            "denominator",
            "target",
            "baseline",
            "progress_percent",
            "approved",
        ]
    ]
    for i in result.indicators:
        rows.append(
            [
                i.code,
                i.name,
                i.unit.value,
                i.period_from or "",
                i.period_to,
                *[""] * len(result.by),
                _shown(i.total),
                _blank(i.total_eur),
                _blank(i.numerator),
                _blank(i.denominator),
                _blank(i.target),
                _blank(i.baseline),
                _blank(i.progress_percent),
                "yes" if i.approved else "no",
            ]
        )
        for cell in i.breakdown:
            rows.append(
                [
                    i.code,
                    i.name,
                    i.unit.value,
                    i.period_from or "",
                    i.period_to,
                    *[cell.get(d, "") for d in result.by],
                    _shown(cell["value"]),
                    "",
                    _blank(cell.get("numerator")),
                    _blank(cell.get("denominator")),
                    _blank(cell.get("target")),
                    _blank(cell.get("baseline")),
                    _blank(cell.get("progress_percent")),
                    "yes" if i.approved else "no",
                ]
            )
    return Response(
        csv_text(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="indicators-{result.period_to}.csv"'},
    )


@router.get(
    "/indicators.xlsx",
    response_class=Response,
    summary="A donor-ready workbook: a summary sheet, one sheet per indicator with its breakdowns, the "
    "counting rules and the period",
)
def as_xlsx(
    context: ContextDep,
    db: SessionDep,
    who: Anyone,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
    organisation: OrganisationQuery = None,
) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    summary = table(context, db, who, period, start, end, None, organisation)
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook opens on its one worksheet
    sheet.title = "Summary"
    append_row(sheet, ["Work4Life indicators", f"{summary.period_from or 'programme start'} to {summary.period_to}"])
    append_row(sheet, ["Organisation", summary.organisation or "all"])
    approval = summary.approval
    append_row(
        sheet,
        [
            "Status",
            f"approved by {approval.approved_by} on {approval.approved_at:%Y-%m-%d} ({approval.period})"
            if approval
            else "open: the figures move as events arrive",
        ],
    )
    append_row(
        sheet,
        [
            "Small cells",
            "exact"
            if who.role in EXACT
            else 'totals from 1 to 4 shown as "<5"; small cells of a breakdown, and the cells that would give '
            'them back, "suppressed"',
        ],
    )
    append_row(sheet, [])
    append_row(
        sheet,
        [
            "Code",
            "Indicator",
            "Unit",
            "Value",
            "Value EUR",
            "Numerator",
            "Denominator",
            "Target",
            "Baseline",
            "Progress %",
            "Counting rule",
        ],
    )
    for cell in sheet[6]:
        cell.font = Font(bold=True)
    for i in summary.indicators:
        append_row(
            sheet,
            [
                i.code,
                i.name,
                i.unit.value,
                _cell(i.total),
                _cell(i.total_eur),
                i.numerator,
                i.denominator,
                i.target,
                i.baseline,
                i.progress_percent,
                i.rule,
            ],
        )
    moved = [(i, a) for i in summary.indicators for a in i.adjustments]
    if moved:
        ws = workbook.create_sheet("Adjustments")
        append_row(ws, ["Approved periods that moved since their approval; shown on this open period"])
        append_row(ws, ["Code", "Indicator", "Approved period", "Approved", "Now", "Change", "Reasons"])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for indicator, adjustment in moved:
            reasons = ", ".join(f"{reason}: {n}" for reason, n in adjustment.reasons.items())
            row = [adjustment.approved, adjustment.current, adjustment.change]
            append_row(ws, [indicator.code, indicator.name, adjustment.period, *map(_cell, row), reasons])
    for indicator in summary.indicators:
        dims = list(engine.dimensions_of(engine.BY_CODE[indicator.code]))
        ws = workbook.create_sheet(indicator.code.replace(".", "_")[:31])
        append_row(ws, [indicator.code, indicator.name])
        append_row(ws, ["Period", f"{summary.period_from or 'programme start'} to {summary.period_to}"])
        append_row(ws, ["Counting rule", indicator.rule])
        append_row(ws, ["Total", _cell(indicator.total), indicator.unit.value])
        if indicator.total_eur is not None:
            append_row(ws, ["Total EUR", _cell(indicator.total_eur), "EUR"])
        if indicator.denominator is not None:
            append_row(ws, ["Numerator", indicator.numerator, "Denominator", indicator.denominator])
        for dimension in dims:
            detail = table(context, db, who, period, start, end, dimension, organisation, [indicator.code]).indicators[
                0
            ]
            append_row(ws, [])
            rate = indicator.unit is Unit.PERCENT
            goals = any("target" in found for found in detail.breakdown)
            append_row(
                ws,
                [
                    f"By {dimension.replace('_', ' ')}",
                    "Value",
                    *(["Numerator", "Denominator"] if rate else []),
                    *(["Target", "Baseline", "Progress %"] if goals else []),
                ],
            )
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
            for found in detail.breakdown:
                extra = [found.get("numerator"), found.get("denominator")] if rate else []
                if goals:
                    extra += [found.get("target"), found.get("baseline"), found.get("progress_percent")]
                append_row(ws, [found[dimension], _cell(found["value"]), *extra])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="indicators-{summary.period_to}.xlsx"'},
    )


@router.post(
    "/snapshots",
    response_model=SnapshotOut,
    status_code=202,
    summary="Publish an indicator snapshot of a period on reporting.snapshots (programme managers, admins)",
)
def publish_snapshot(
    uow: WorkDep,
    context: ContextDep,
    who: Annotated[Principal, Depends(require(*EXACT))],
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
) -> SnapshotOut:
    try:
        span = engine.parse_period(period, start, end, context.today())
    except engine.BadQuery as bad:
        raise refused(bad.field, bad.reason) from bad
    label = period or "custom"
    snapshot_id = snapshots.stage_snapshot(uow, span, label, SnapshotTrigger.ON_DEMAND)
    uow.commit()
    return SnapshotOut(snapshot_id=snapshot_id, period=label, period_from=span.start, period_to=span.end)


NO_DATA = "no data"
"""How an export shows a rate with nothing to measure."""


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else NO_DATA if value is None else value


def _shown(value: Any) -> Any:
    return NO_DATA if value is None else value


def _blank(value: Any) -> Any:
    return "" if value is None else value


def out(
    result: engine.Result, exact: bool, goals: targets.Goals, organisation: str | None, by: list[str]
) -> IndicatorOut:
    indicator = result.indicator
    goal = goals.goal(indicator.code, result.period, None, organisation)
    shown = IndicatorOut(
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        rule=indicator.rule,
        period_from=result.period.start,
        period_to=result.period.end,
        organisation=organisation,
        total=result.total,
        total_eur=result.total_eur,
        numerator=result.numerator,
        denominator=result.denominator,
        target=None if goal is None else float(goal.target),
        baseline=None if goal is None or goal.baseline is None else float(goal.baseline),
        progress_percent=None if goal is None else goal.progress(result.total),
        breakdown=result.breakdown,
        suppressed=not exact,
    )
    if not exact:
        hide_small_cells(shown, result, by)
        if isinstance(shown.total, str):
            shown.progress_percent = None  # it would give the hidden figure back
    if by and set(by) <= PLACES:
        shown.breakdown = [
            _with_goal(cell, goals, result.period, indicator.code, organisation) for cell in shown.breakdown
        ]
    return shown


PLACES = {"region", "organisation", "partner_organisation"}
"""The dimensions targets are set for: a breakdown by these alone shows each cell's progress."""


def _with_goal(
    cell: dict[str, Any], goals: targets.Goals, period: engine.Period, code: str, organisation: str | None
) -> dict[str, Any]:
    if cell["value"] in (HIDDEN, None) or isinstance(cell["value"], str):
        return cell
    goal = goals.goal(
        code, period, cell.get("region"), cell.get("organisation") or cell.get("partner_organisation") or organisation
    )
    if goal is None:
        return cell
    return cell | {
        "target": float(goal.target),
        "baseline": None if goal.baseline is None else float(goal.baseline),
        "progress_percent": goal.progress(cell["value"]),
    }


def adjustment_shown(adjustment: approvals.Adjustment, exact: bool) -> AdjustmentOut:
    """An adjustment as the caller may see it: below programme manager, a small count or a rate over
    a small count is hidden, and the change with it."""
    approved, current, change = adjustment.approved, adjustment.current, adjustment.change
    if not exact:
        hidden = [_hidden_figure(r) for r in (adjustment.approved_result, adjustment.current_result)]
        approved, current = (h if h is not None else v for h, v in zip(hidden, (approved, current), strict=True))
        if any(h is not None for h in hidden):
            change = HIDDEN
    return AdjustmentOut(
        period=adjustment.period, approved=approved, current=current, change=change, reasons=adjustment.reasons
    )


def _hidden_figure(result: engine.Result | None) -> str | None:
    if result is None or result.indicator.unit is Unit.MAD:
        return None
    if result.indicator.unit is Unit.PERCENT:
        small = disclosure.small_rate((int(result.numerator or 0), int(result.denominator or 0)))
        return HIDDEN if small else None
    shown = suppressed(result.total)
    return shown if isinstance(shown, str) else None


def hide_small_cells(shown: IndicatorOut, result: engine.Result, by: list[str]) -> None:
    """Hide the small counts (and rates) of an answer, and the cells that would give them back by
    subtraction from the total and the other cells of their row or column (`domain.disclosure`).
    Money is not a count and is shown as it is."""
    unit = result.indicator.unit
    if unit is Unit.MAD:
        return
    rate = unit is Unit.PERCENT
    cells: dict[disclosure.Key, disclosure.Measures]
    if rate:
        cells = {tuple(c[d] for d in by): (int(c["numerator"]), int(c["denominator"])) for c in result.breakdown}
        total: tuple[int, ...] = (int(result.numerator or 0), int(result.denominator or 0))
        primary = disclosure.small_rate
    else:
        cells = {tuple(c[d] for d in by): (int(c["value"]),) for c in result.breakdown}
        total = (int(result.total or 0),)
        primary = disclosure.small_count
    if primary(total):
        if rate:
            shown.total = shown.numerator = shown.denominator = HIDDEN
        else:
            shown.total = suppressed(total[0])  # a count from 1 to 4: "<5"
    if not by or not cells:
        return
    hidden = disclosure.protect(cells, len(by), primary).of(tuple(range(len(by))))
    known = {tuple(c[d] for d in by): c for c in result.breakdown}
    shown.breakdown = []
    for key in sorted(hidden | set(known)):
        if key in hidden:
            cell: dict[str, Any] = {**dict(zip(by, key, strict=True)), "value": HIDDEN}
            if rate:
                cell |= {"numerator": HIDDEN, "denominator": HIDDEN}
        else:
            cell = known[key]
        shown.breakdown.append(cell)
