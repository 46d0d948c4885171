"""The dashboard: one web page, drawn on the server (HTML and SVG, no JavaScript), with the
indicators against their targets, the funnel, monthly trends and breakdowns by region, sex and
legal status; a form filters the period and the organisation.

The page accepts the bearer token in the `Authorization` header, or as `access_token` in the
address so that a browser can open it from a link (serve it over TLS only, as every route)."""

from datetime import date
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from work4life.runtime.api import SessionDep
from work4life.runtime.auth import Principal, Role, principal_of
from work4life.runtime.http import OrganisationQuery

from ..domain.indicators import Unit, suppressed
from ..service_layer import indicators as engine
from . import ContextDep, charts

EXACT = (Role.PROGRAMME_MANAGER, Role.ADMIN)
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2b36;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px;color:#1f6f8b}
.muted{color:#6b7b86} .small{font-size:10px} text{font-size:12px;fill:#1d2b36}
table{border-collapse:collapse;background:#fff} td,th{padding:6px 10px;border-bottom:1px solid #e8edf0;text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:24px} .card{background:#fff;padding:12px 16px;border:1px solid #e8edf0}
form{margin:12px 0} input,select,button{font:inherit;padding:3px 6px}
"""


class DashboardViewer:
    """Every signed-in role, with the token in the header or, for a browser, in the address."""

    roles = tuple(Role)

    def __call__(
        self, request: Request, access_token: Annotated[str | None, Query(max_length=4096)] = None
    ) -> Principal:
        if access_token and not request.headers.get("Authorization"):
            principal: Principal = request.app.state.token_verifier.verify(access_token)
            return principal
        return principal_of(request)


viewer = DashboardViewer()


def _months_before(end: date, count: int) -> list[engine.Period]:
    periods = []
    year, month = end.year, end.month
    for _ in range(count):
        periods.append(engine.parse_period(f"month:{year}-{month:02d}", None, None, end))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(periods))


router = APIRouter(tags=["dashboard"])


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    summary="The dashboard (a web page): indicators against targets, funnel, monthly trends, breakdowns",
)
def dashboard(
    context: ContextDep,
    who: Annotated[Principal, Depends(viewer)],
    db: SessionDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
    organisation: OrganisationQuery = None,
    access_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> HTMLResponse:
    if who.role is Role.CASEWORKER:
        if organisation not in (None, "", who.organisation):
            raise HTTPException(403, detail="caseworkers see only their organisation's figures")
        organisation = who.organisation
    organisation = organisation or None
    try:
        span = engine.parse_period(period or None, None, None, context.today())
    except engine.BadQuery as bad:
        raise HTTPException(422, detail=f"invalid request: {bad.field}: {bad.reason}") from bad
    exact = who.role in EXACT
    show = (lambda v: v) if exact else suppressed

    rows = []
    for indicator in engine.INDICATORS:
        result = engine.compute(db, indicator.code, span, [], organisation)
        value = result.total if indicator.unit in (Unit.MAD, Unit.PERCENT) else show(result.total)
        shown = charts._number(float(value) if not isinstance(value, str) else value)
        unit = {"MAD": " MAD", "percent": "%"}.get(indicator.unit.value, "")
        target = context.targets.get(indicator.code)
        bar = charts.progress(float(result.total), target) if indicator.unit is not Unit.PERCENT else ""
        rows.append(
            f"<tr><td><b>{escape(indicator.code)}</b></td><td>{escape(indicator.name)}</td>"
            f"<td>{escape(shown)}{unit}</td><td>{'' if target is None else f'{target:,.0f}'}</td><td>{bar}</td></tr>"
        )
    funnel = [(name.replace("_", " "), show(n)) for name, _, n in engine.funnel(db, span, organisation)]
    trend_periods = _months_before(span.end, 12)
    trends = {
        code: [
            (p.end.strftime("%b %y"), show(engine.compute(db, code, p, [], organisation).total)) for p in trend_periods
        ]
        for code in ("3.2", "1.4", "placements")
    }
    breakdowns = {
        dimension: [
            (str(cell[dimension]), show(cell["value"]))
            for cell in engine.compute(db, "3.2", span, [dimension], organisation).breakdown
        ]
        for dimension in ("region", "sex", "legal_status")
    }
    options = "".join(
        f'<option value="{value}"{" selected" if (period or "programme") == value else ""}>{label}</option>'
        for value, label in _period_choices(context.today())
    )
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Work4Life dashboard</title><style>{STYLE}</style></head><body>
<h1>Work4Life: programme dashboard</h1>
<div class="muted" id="scope">{escape(span.label)} &middot; {escape(organisation or "all organisations")} &middot;
{"exact figures" if exact else "counts from 1 to 4 shown as &lt;5"}</div>
<form method="get" action="dashboard">
<label>Period <select name="period">{options}</select></label>
<label>Organisation <input name="organisation" value="{escape(organisation or "")}" placeholder="all"></label>
{f'<input type="hidden" name="access_token" value="{escape(access_token)}">' if access_token else ""}
<button type="submit">Show</button></form>
<h2>Indicators against targets</h2>
<table id="indicators"><tr><th>Code</th><th>Indicator</th><th>Value</th><th>Target</th><th>Progress</th></tr>
{"".join(rows)}</table>
<div class="grid">
<div class="card" id="funnel"><h2>Funnel: people at each stage</h2>{charts.bars(funnel)}</div>
<div class="card" id="trends"><h2>People assisted per month (3.2)</h2>{charts.columns(trends["3.2"])}
<h2>People trained per month (1.4)</h2>{charts.columns(trends["1.4"])}
<h2>People placed per month</h2>{charts.columns(trends["placements"])}</div>
<div class="card" id="breakdowns"><h2>People assisted by region</h2>{charts.bars(breakdowns["region"])}
<h2>by sex</h2>{charts.bars(breakdowns["sex"])}<h2>by legal status</h2>{charts.bars(breakdowns["legal_status"])}</div>
</div>
<p class="muted">Counting rules: GET /v1/indicators (each indicator carries its rule); exports:
GET /v1/indicators.csv and /v1/indicators.xlsx, with your token in the Authorization header.</p>
</body></html>"""
    return HTMLResponse(html)


def _period_choices(today: date) -> list[tuple[str, str]]:
    choices = [("programme", "Programme to date")]
    for year in (today.year, today.year - 1):
        choices.append((f"year:{year}", str(year)))
        for quarter in (4, 3, 2, 1):
            if date(year, quarter * 3 - 2, 1) <= today:
                choices.append((f"quarter:{year}-Q{quarter}", f"{year} Q{quarter}"))
    choices.append((f"month:{today.year}-{today.month:02d}", today.strftime("%B %Y")))
    return choices
