"""The donor's results files for a period: an IATI 2.03 activity file (results, indicators, baselines,
targets and actuals, disaggregated by sex and age band where the standard's `dimension` allows) and
the EUTF results template as a workbook (one row per indicator, with its counting rule).

Both are publications: whoever asks, the figures are those an M&E viewer sees (totals from 1 to 4
as "<5" and left out of IATI's numeric values, small cells hidden with their cover), and an
approved period's figures are the approved ones. For M&E staff, programme managers and admins."""

import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from work4life.runtime.api import SessionDep
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.spreadsheets import append_row
from work4life.runtime.strict import Day

from ..domain.disclosure import HIDDEN
from ..domain.indicators import Unit
from ..service_layer.context import Context
from . import ContextDep
from .indicators_http import IndicatorOut, IndicatorTable, table

router = APIRouter(prefix="/v1/results", tags=["donor results"])
Publisher = Annotated[Principal, Depends(require(Role.ME_VIEWER, Role.PROGRAMME_MANAGER, Role.ADMIN))]
PUBLIC = Principal(subject="publication", role=Role.ME_VIEWER, organisation="")
"""Whom a results file is made for: the public, who see what an M&E viewer sees."""

DISAGGREGATED = ("sex", "age_band")
OUTCOMES = {"retention_3m", "retention_6m", "retention_12m", "survival_6m", "survival_12m"}
MEASURE = {Unit.PERSONS: "1", Unit.UNITS: "1", Unit.MAD: "1", Unit.PERCENT: "2"}  # IATI IndicatorMeasure


def publication(
    context: Context, db: Any, period: str | None, start: date | None, end: date | None
) -> tuple[IndicatorTable, dict[str, IndicatorTable]]:
    """The table, and each disaggregation of it, as the public may see them."""
    total = table(context, db, PUBLIC, period, start, end, None, None)
    return total, {dim: table(context, db, PUBLIC, period, start, end, dim, None) for dim in DISAGGREGATED}


def _number(value: Any) -> str | None:
    """A figure as IATI's decimal value; None for one that is hidden or has no data."""
    if value is None or isinstance(value, str):
        return None
    return str(Decimal(str(value)).normalize()) if not isinstance(value, int) else str(value)


def _narrative(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    ET.SubElement(element, "narrative").text = text
    return element


def iati_activity(context: Context, results: IndicatorTable, parts: dict[str, IndicatorTable], today: date) -> bytes:
    settings = context.iati
    root = ET.Element(
        "iati-activities", version="2.03", attrib={"generated-datetime": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"}
    )
    activity = ET.SubElement(
        root,
        "iati-activity",
        attrib={"last-updated-datetime": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}", "default-currency": "EUR"},
    )
    ET.SubElement(activity, "iati-identifier").text = settings["activity_id"]
    reporter = ET.SubElement(
        activity, "reporting-org", ref=settings["reporting_org_ref"], type=settings["reporting_org_type"]
    )
    ET.SubElement(reporter, "narrative").text = settings["reporting_org_name"]
    _narrative(activity, "title", settings["title"])
    _narrative(activity, "description", settings["description"]).set("type", "1")
    funder = ET.SubElement(activity, "participating-org", ref=settings["funder_ref"], role="1", type="40")
    ET.SubElement(funder, "narrative").text = settings["funder_name"]
    implementer = ET.SubElement(activity, "participating-org", ref=settings["reporting_org_ref"], role="4")
    implementer.set("type", settings["reporting_org_type"])
    ET.SubElement(implementer, "narrative").text = settings["reporting_org_name"]
    ET.SubElement(activity, "activity-status", code="2")  # implementation
    ET.SubElement(activity, "activity-date", type="2", attrib={"iso-date": settings["start_date"]})  # actual start
    ET.SubElement(activity, "recipient-country", code="MA", percentage="100")
    start = results.period_from or date.fromisoformat(settings["start_date"])
    by_dim = {dim: {i.code: i for i in part.indicators} for dim, part in parts.items()}
    for indicator in results.indicators:
        result = ET.SubElement(activity, "result", type="2" if indicator.code in OUTCOMES else "1")
        result.set("aggregation-status", "1")
        _narrative(result, "title", indicator.name)
        shown = ET.SubElement(result, "indicator", measure=MEASURE[indicator.unit], ascending="1")
        _narrative(shown, "title", indicator.name)
        _narrative(shown, "description", indicator.rule)
        ET.SubElement(shown, "reference", vocabulary="99", code=indicator.code)
        if indicator.baseline is not None:
            ET.SubElement(shown, "baseline", year=str(start.year), value=_number(indicator.baseline) or "0")
        period = ET.SubElement(shown, "period")
        ET.SubElement(period, "period-start", attrib={"iso-date": start.isoformat()})
        ET.SubElement(period, "period-end", attrib={"iso-date": results.period_to.isoformat()})
        if indicator.target is not None:
            ET.SubElement(period, "target", value=_number(indicator.target) or "0")
        _actual(period, indicator.total, [])
        for dim, found in by_dim.items():
            for cell in found[indicator.code].breakdown:
                _actual(period, cell["value"], [(dim, str(cell[dim]))])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _actual(period: ET.Element, value: Any, dimensions: list[tuple[str, str]]) -> None:
    """An actual value; a hidden figure ("<5", "suppressed", no data) is left out, never written as 0."""
    number = _number(value)
    if number is None:
        return
    actual = ET.SubElement(period, "actual", value=number)
    for name, shown in dimensions:
        ET.SubElement(actual, "dimension", name=name, value=shown)


@router.get(
    "/iati.xml",
    response_class=Response,
    summary="The period's indicator results as an IATI 2.03 activity file (M&E staff, programme managers, admins)",
    description="One activity (the programme, from `W4L_REPORTING_IATI_*` settings) with a result per indicator: "
    "its counting rule, its code (vocabulary 99), the baseline, the target and the actual of the period, and "
    "actuals disaggregated by sex and by age band (`dimension`). Figures are those the public may see: a small or "
    "hidden figure, and a rate with no data, are left out rather than written as 0. Validated against the IATI "
    "2.03 activity schema in the tests.",
)
def iati(
    context: ContextDep,
    db: SessionDep,
    who: Publisher,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
) -> Response:
    results, parts = publication(context, db, period, start, end)
    return Response(
        iati_activity(context, results, parts, context.today()),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="iati-results-{results.period_to}.xml"'},
    )


@router.get(
    "/eutf.xlsx",
    response_class=Response,
    summary="The EUTF results template for the period: one row per indicator, with its counting rule",
)
def eutf(
    context: ContextDep,
    db: SessionDep,
    who: Publisher,
    period: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    results, parts = publication(context, db, period, start, end)
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "EUTF results"
    append_row(sheet, [context.iati["title"], context.iati["activity_id"]])
    append_row(sheet, ["Period", f"{results.period_from or context.iati['start_date']} to {results.period_to}"])
    approval = results.approval
    status = f"approved by {approval.approved_by} on {approval.approved_at:%Y-%m-%d}" if approval else "not approved"
    append_row(sheet, ["Status", status])
    append_row(sheet, [])
    sexes = sorted({str(c["sex"]) for i in parts["sex"].indicators for c in i.breakdown})
    ages = sorted({str(c["age_band"]) for i in parts["age_band"].indicators for c in i.breakdown})
    header = [
        "EUTF code",
        "Indicator",
        "Unit",
        "Value",
        "Value EUR",
        "Baseline",
        "Target",
        "Progress %",
        *(f"Sex: {s}" for s in sexes),
        *(f"Age: {a}" for a in ages),
        "Counting rule",
    ]
    append_row(sheet, header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    by_sex = {i.code: i for i in parts["sex"].indicators}
    by_age = {i.code: i for i in parts["age_band"].indicators}
    for indicator in results.indicators:
        append_row(
            sheet,
            [
                indicator.code,
                indicator.name,
                indicator.unit.value,
                _cell(indicator.total),
                _cell(indicator.total_eur),
                indicator.baseline,
                indicator.target,
                indicator.progress_percent,
                *(_cell_of(by_sex[indicator.code], "sex", s) for s in sexes),
                *(_cell_of(by_age[indicator.code], "age_band", a) for a in ages),
                indicator.rule,
            ],
        )
        sheet.cell(row=sheet.max_row, column=len(header)).alignment = Alignment(wrap_text=True)
    sheet.column_dimensions["B"].width = 50
    sheet.column_dimensions[get_column_letter(len(header))].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="eutf-results-{results.period_to}.xlsx"'},
    )


def _cell(value: Any) -> Any:
    if value is None:
        return "no data"
    return float(value) if isinstance(value, Decimal) else value


def _cell_of(indicator: IndicatorOut, dim: str, value: str) -> Any:
    """A disaggregated cell: its figure, "suppressed", or blank when the indicator has no such cell
    (or does not break down that way)."""
    for cell in indicator.breakdown:
        if str(cell[dim]) == value:
            return HIDDEN if cell["value"] == HIDDEN else _cell(cell["value"])
    return None
