"""The M&E screens: the indicator table for a period with a breakdown chosen on screen, progress
against the targets, the programme funnel drawn as bars, the CSV and XLSX downloads, and the
publication of a snapshot. Reporting's figures are shown as reporting serves them to the signed-in
person (small counts hidden for everyone below programme manager); this app adds no rule of its
own, and sends no token in an address."""

import asyncio
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..app import field_errors, form_of, render, web_of
from ..i18n import N_
from ..services import ServiceError
from . import forms
from .auth import Staff
from .common import attempt, call, page_number, paging

router = APIRouter()
REPORTING = "reporting"
BREAKDOWNS = (
    "sex",
    "age_band",
    "nationality",
    "legal_status",
    "disability",
    "region",
    "city",
    "partner_organisation",
    "course_kind",
    "venture_kind",
    "employer_type",
    "occupation_group",
)

# Reporting's indicators and funnel stages as people read them (reporting's `INDICATORS` and
# `FUNNEL`; a test checks that each one reporting declares is here).
INDICATOR_NAMES = {
    "Direct jobs created or supported": N_("Direct jobs created or supported"),
    "MSMEs created or supported": N_("MSMEs created or supported"),
    "New businesses created": N_("New businesses created"),
    "Existing businesses strengthened": N_("Existing businesses strengthened"),
    "People assisted to develop income-generating activities": N_(
        "People assisted to develop income-generating activities"
    ),
    "People benefitting from professional trainings (TVET) and/or skills development": N_(
        "People benefitting from professional trainings (TVET) and/or skills development"
    ),
    "People who completed vocational training (TVET)": N_("People who completed vocational training (TVET)"),
    "People who completed financial education": N_("People who completed financial education"),
    "Migrants, refugees and asylum seekers protected and/or assisted": N_(
        "Migrants, refugees and asylum seekers protected and/or assisted"
    ),
    "(Potential) migrants reached by information campaigns": N_(
        "(Potential) migrants reached by information campaigns"
    ),
    "Awareness-raising events on migration": N_("Awareness-raising events on migration"),
    "Job placements facilitated and/or supported": N_("Job placements facilitated and/or supported"),
    "Job placements with small and medium enterprises": N_("Job placements with small and medium enterprises"),
    "Job placements with cooperatives": N_("Job placements with cooperatives"),
    "Job placements through large companies' social-responsibility programmes": N_(
        "Job placements through large companies' social-responsibility programmes"
    ),
    "Job fairs held": N_("Job fairs held"),
    "Employers present at job fairs": N_("Employers present at job fairs"),
    "People attending job fairs": N_("People attending job fairs"),
    "People hired from job fairs": N_("People hired from job fairs"),
    "Financial volume granted to individual recipients": N_("Financial volume granted to individual recipients"),
    "Job retention at 3 months": N_("Job retention at 3 months"),
    "Job retention at 6 months": N_("Job retention at 6 months"),
    "Job retention at 12 months": N_("Job retention at 12 months"),
    "Enterprise survival at 6 months": N_("Enterprise survival at 6 months"),
    "Enterprise survival at 12 months": N_("Enterprise survival at 12 months"),
}
FUNNEL_STAGES = {
    "registered": N_("Registered in the period"),
    "assessed": N_("Assessed"),
    "referred": N_("Referred"),
    "trained": N_("Completed a course"),
    "in_incubation": N_("In a venture being supported"),
    "launched": N_("In a venture launched"),
    "placed": N_("Placed in work"),
    "retained": N_("Still employed at 3 months"),
}


def periods(today: date) -> list[tuple[str, str, dict[str, Any]]]:
    """The periods offered: (value, text to translate, its values), newest first."""
    offered: list[tuple[str, str, dict[str, Any]]] = [("programme", N_("Programme to date"), {})]
    for year in (today.year, today.year - 1):
        offered.append((f"year:{year}", N_("Year %(year)s"), {"year": year}))
        for quarter in range(4, 0, -1):
            if (year, quarter) <= (today.year, (today.month - 1) // 3 + 1):
                offered.append((f"quarter:{year}-Q{quarter}", N_("Quarter %(quarter)s of %(year)s"),
                                {"quarter": quarter, "year": year}))  # fmt: skip
    month, year = today.month, today.year
    for _ in range(12):
        offered.append((f"month:{year}-{month:02d}", N_("Month %(month)s"), {"month": f"{year}-{month:02d}"}))
        month, year = (month - 1, year) if month > 1 else (12, year - 1)
    return offered


def choices(request: Request) -> dict[str, Any]:
    q = request.query_params
    chosen = {
        "period": q.get("period") or ("" if q.get("from") or q.get("to") else "programme"),
        "from": q.get("from") or None,
        "to": q.get("to") or None,
        "by": q.get("by") if q.get("by") in BREAKDOWNS else None,
        "organisation": q.get("organisation") or None,
    }
    return chosen


def asked(chosen: dict[str, Any], with_by: bool = True) -> dict[str, Any]:
    return {k: v for k, v in chosen.items() if v and (with_by or k != "by")}


@router.get("/indicators", include_in_schema=False)
async def indicators(request: Request, me: Staff) -> Response:
    chosen = choices(request)
    errors: dict[str, str] = {}
    table: dict[str, Any] = {"indicators": [], "by": []}
    funnel: dict[str, Any] = {"stages": []}
    try:
        table = await call(request, me, REPORTING, "GET", "/v1/indicators", params=asked(chosen))
        funnel = await call(request, me, REPORTING, "GET", "/v1/funnel", params=asked(chosen, with_by=False))
    except ServiceError as exc:
        if exc.status != 422:
            raise
        errors = field_errors(request, exc)
    by = chosen["by"]
    columns: list[Any] = []
    if by:
        for indicator in table["indicators"]:
            for cell in indicator["breakdown"]:
                if cell.get(by) not in columns:
                    columns.append(cell.get(by))
    numbers = [s["people"] for s in funnel["stages"] if isinstance(s["people"], int)]
    trends = await monthly(request, me, chosen, date.fromisoformat(table["period_to"])) if not errors else {}
    return render(
        request,
        "reporting/indicators.html",
        {
            "table": table,
            "funnel": funnel["stages"],
            "funnel_top": max(numbers, default=0) or 1,
            "chosen": chosen,
            "errors": errors,
            "periods": periods(date.today()),
            "breakdowns": BREAKDOWNS,
            "columns": columns,
            "names": INDICATOR_NAMES,
            "stages": FUNNEL_STAGES,
            "query": asked(chosen),
            "trends": trends,
            "trend_names": TRENDS,
            "reasons": ADJUSTMENT_REASONS,
            "approvable": (chosen["period"] or "").startswith(("month:", "quarter:")),
        },
    )


ADJUSTMENT_REASONS = {
    "late entry": N_("late entry"),
    "merge": N_("merge"),
    "erasure": N_("erasure"),
    "profile change": N_("profile change"),
}

TRENDS = {
    "3.2": N_("People assisted per month"),
    "1.4": N_("People trained per month"),
    "placements": N_("People placed per month"),
}


async def monthly(request: Request, me, chosen: dict[str, Any], end: date) -> dict[str, list[tuple[date, Any]]]:
    """Each trend indicator month by month, the twelve months up to the period's end (one call a
    month and indicator, made together)."""
    months: list[date] = []
    year, month = end.year, end.month
    for _ in range(12):
        months.insert(0, date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    scope = {"organisation": chosen["organisation"]} if chosen["organisation"] else {}
    asks = [(code, m) for code in TRENDS for m in months]
    answers = await asyncio.gather(
        *(
            call(
                request, me, REPORTING, "GET", f"/v1/indicators/{code}", params={"period": f"month:{m:%Y-%m}", **scope}
            )
            for code, m in asks
        )
    )
    trends: dict[str, list[tuple[date, Any]]] = {code: [] for code in TRENDS}
    for (code, m), answer in zip(asks, answers, strict=True):
        trends[code].append((m, answer["total"]))
    return trends


@router.get("/indicators.{kind}", include_in_schema=False)
async def download(request: Request, kind: str, me: Staff) -> Response:
    """The CSV or the XLSX workbook as reporting makes it, passed through with the person's token."""
    if kind not in ("csv", "xlsx"):
        return Response(status_code=404)
    answer = await call(request, me, REPORTING, "GET", f"/v1/indicators.{kind}", params=asked(choices(request)),
                        raw=True)  # fmt: skip
    headers = {k: v for k, v in answer.headers.items() if k.lower() in ("content-disposition",)}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


@router.get("/results/{name}", include_in_schema=False)
async def results_file(request: Request, name: str, me: Staff) -> Response:
    """The donor's results files (IATI 2.03 XML, the EUTF workbook) as reporting makes them."""
    if name not in ("iati.xml", "eutf.xlsx"):
        return Response(status_code=404)
    params = asked(choices(request), with_by=False)
    answer = await call(request, me, REPORTING, "GET", f"/v1/results/{name}", params=params, raw=True)
    headers = {k: v for k, v in answer.headers.items() if k.lower() in ("content-disposition",)}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


@router.post("/indicators/snapshots", include_in_schema=False)
async def snapshot(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    params = {k: forms.text(form, k) for k in ("period", "from", "to") if forms.text(form, k)}
    await attempt(
        request,
        me,
        REPORTING,
        N_("The snapshot is published for the donor's systems."),
        N_("The snapshot was not published: %(reason)s"),
        "POST",
        "/v1/snapshots",
        params=params,
    )
    return RedirectResponse(f"/indicators?{urlencode(params)}", status_code=303)


@router.post("/indicators/approvals", include_in_schema=False)
async def approve(request: Request, me: Staff) -> Response:
    """A programme manager approves the month or quarter shown: reporting then serves it as approved."""
    form = await form_of(request)
    period = forms.text(form, "period") or ""
    await attempt(
        request,
        me,
        REPORTING,
        N_("The period is approved: its figures stay as they are now."),
        N_("The period was not approved: %(reason)s"),
        "POST",
        "/v1/approvals",
        json={"period": period, "note": forms.text(form, "note")},
    )
    return RedirectResponse(f"/indicators?{urlencode({'period': period})}", status_code=303)


@router.post("/indicators/approvals/{approval_id}/withdraw", include_in_schema=False)
async def withdraw(request: Request, approval_id: int, me: Staff) -> Response:
    form = await form_of(request)
    period = forms.text(form, "period") or ""
    await attempt(
        request,
        me,
        REPORTING,
        N_("The approval is withdrawn: the period's figures follow the events again."),
        N_("The approval was not withdrawn: %(reason)s"),
        "POST",
        f"/v1/approvals/{approval_id}/withdraw",
        json={"reason": forms.text(form, "reason") or ""},
    )
    return RedirectResponse(f"/indicators?{urlencode({'period': period})}", status_code=303)


# -- targets and baselines ------------------------------------------------------------------------

TARGET_EDITORS = ("me_viewer", "programme_manager", "admin")
"""Who keeps the targets (reporting enforces it; the app only hides the form from the others)."""


@router.get("/indicators/targets", include_in_schema=False)
async def targets(request: Request, me: Staff) -> Response:
    return await targets_page(request, me, {"year": str(date.today().year)}, {}, 200)


async def targets_page(request: Request, me, values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
    """The targets and baselines, filtered by year and indicator, with the form to set one and the
    latest changes (who changed what, from what to what)."""
    q = request.query_params
    filters = {k: q.get(k) for k in ("year", "code") if q.get(k)}
    page = page_number(request)
    size = web_of(request).settings.page_size
    filter_errors: dict[str, str] = {}
    listed: dict[str, Any] = {"items": [], "total": 0}
    try:
        listed = await call(
            request, me, REPORTING, "GET", "/v1/targets", params={**filters, "limit": size, "offset": (page - 1) * size}
        )
    except ServiceError as exc:
        if exc.status != 422:
            raise
        filter_errors = field_errors(request, exc)
    changes = await call(request, me, REPORTING, "GET", "/v1/targets/changes", params={"limit": 20})
    definitions = (await call(request, me, REPORTING, "GET", "/v1/indicator-definitions"))["items"]
    return render(
        request,
        "reporting/targets.html",
        {
            "targets": listed["items"],
            "paging": paging(request, listed["total"], page),
            "changes": changes["items"],
            "filters": filters,
            "filter_errors": filter_errors,
            "values": values,
            "errors": errors,
            "indicators": {d["code"]: d for d in definitions},
            "names": INDICATOR_NAMES,
            "editor": me.role in TARGET_EDITORS,
        },
        status,
    )


@router.post("/indicators/targets", include_in_schema=False)
async def set_target(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    body = {name: forms.text(form, name) for name in ("code", "region", "organisation", "target", "baseline", "note")}
    body["year"] = forms.number(form, "year")
    try:
        await call(request, me, REPORTING, "PUT", "/v1/targets", json=body)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        return await targets_page(request, me, form, field_errors(request, exc), 422)
    me.flash("success", N_("The target is saved; progress is measured against it now."))
    return RedirectResponse(f"/indicators/targets?{urlencode({'year': body['year'] or ''})}", status_code=303)


@router.post("/indicators/targets/{target_id}/delete", include_in_schema=False)
async def delete_target(request: Request, target_id: int, me: Staff) -> Response:
    await form_of(request)  # checks the form's CSRF token
    await attempt(
        request,
        me,
        REPORTING,
        N_("The target is removed."),
        N_("The target was not removed: %(reason)s"),
        "DELETE",
        f"/v1/targets/{target_id}",
    )
    return RedirectResponse("/indicators/targets", status_code=303)
