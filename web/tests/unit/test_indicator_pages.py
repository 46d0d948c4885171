"""The M&E screens over a real intake and a real reporting in one process (one in-memory broker):
the indicator table the app shows equals reporting's API cell for cell, for a programme manager
(exact figures) and for a caseworker (small counts hidden), with a breakdown chosen on screen."""

import asyncio
import html
import re
from datetime import timedelta

import httpx
import pytest

from work4life.runtime.testing import bearer

from ..conftest import TODAY, Clock, person_form, web_over_services


@pytest.fixture
async def web(tmp_path):
    async with web_over_services(tmp_path, with_reporting=True) as pair:
        yield pair


def shown_cells(page: str) -> dict[tuple[str, str], str]:
    """(indicator code, cell) → the raw value the app put in the page's data attributes."""
    found: dict[tuple[str, str], str] = {}
    table = page[page.index('id="indicator-table"') :]
    for code, total in re.findall(
        r'<tr data-code="([^"]+)">\s*<th[^>]*>.*?</th>\s*<td data-total="([^"]*)"', table, re.S
    ):
        found[(code, "total")] = html.unescape(total)
    if 'id="breakdown-table"' in page:
        breakdown = page[page.index('id="breakdown-table"') : page.index('id="funnel"')]
        for row in re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', breakdown, re.S):
            for cell, value in re.findall(r'data-cell="([^"]*)" data-value="([^"]*)"', row[1]):
                found[(row[0], html.unescape(cell))] = html.unescape(value)
    return found


def api_cells(table: dict, by: str | None) -> dict[tuple[str, str], str]:
    found = {}
    for ind in table["indicators"]:
        found[(ind["code"], "total")] = str(ind["total"])
        for cell in ind["breakdown"] if by else []:
            found[(ind["code"], str(cell[by]))] = str(cell["value"])
    return found


async def registered(browser, count: int, **overrides) -> None:
    for i in range(count):
        answer = await browser.post("/people", person_form(given_name=f"Awa{chr(97 + i)}", **overrides))
        assert answer.status_code == 303, answer.text


@pytest.mark.parametrize(("role", "by"), [("programme_manager", "sex"), ("caseworker", "region"), ("admin", None)])
async def test_the_indicator_table_equals_the_reporting_api_cell_for_cell(web, role, by):
    browser, apps = web
    await browser.sign_in()
    await registered(browser, 6)
    await registered(browser, 2, sex="male", region="oriental", city="Oujda")
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["reporting"]), base_url="http://reporting")
    params = {"period": "programme", **({"by": by} if by else {})}
    headers = bearer(role, "amappe-rabat")
    for _ in range(150):  # the registrations travel to reporting through the broker
        expected = (await api.get("/v1/indicators", params=params, headers=headers)).json()
        if str(next(i for i in expected["indicators"] if i["code"] == "3.2")["total"]) in ("8", "<5"):
            break
        await asyncio.sleep(0.02)
    await api.aclose()
    await browser.post("/sign-out", {})
    await browser.sign_in(role=role, organisation="amappe-rabat")
    page = await browser.get("/indicators", params=params)
    assert page.status_code == 200, page.text[:300]
    shown = shown_cells(page.text)
    assert shown == api_cells(expected, by), "the page shows exactly what reporting answers"
    assert len(shown) >= 14 + (2 if by else 0)
    if role == "caseworker":
        assert shown[("3.2", "oriental")] == "suppressed", "small counts stay hidden below programme manager"
        assert [v for k, v in shown.items() if k[0] == "3.2"].count("suppressed") == 2, "and the cell that gives it"
        assert "masqué" in html.unescape(page.text)
    if role == "programme_manager":
        assert shown[("3.2", "male")] == "2" and shown[("3.2", "total")] == "8"
        assert "Migrants, réfugiés et demandeurs d’asile protégés et/ou assistés" in html.unescape(page.text)
        assert "80\u00a0%" in html.unescape(page.text) or "80 %" in html.unescape(page.text), "8 of the target of 10"
        trends = page.text[page.text.index('id="trends"') :]
        assert trends.count("<rect") == 36, "three indicators, twelve months each"
        assert "<title>nov. 26: 8</title>" in html.unescape(trends), "the month the eight were registered"


async def test_a_region_shows_its_progress_against_the_target_entered_for_it(web):
    browser, apps = web
    await browser.sign_in(role="programme_manager")
    await registered(browser, 6, region="oriental", city="Oujda")
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["reporting"]), base_url="http://reporting")
    headers = bearer("me_viewer", "lead-ngo", "samira")
    body = {"code": "3.2", "year": TODAY.year, "region": "oriental", "target": 12, "baseline": 0}
    assert (await api.put("/v1/targets", json=body, headers=headers)).status_code == 201
    for _ in range(150):  # the registrations travel to reporting through the broker
        answer = await api.get("/v1/indicators/3.2", params={"by": "region"}, headers=bearer("programme_manager", "x"))
        if answer.json()["total"] == 6:
            break
        await asyncio.sleep(0.02)
    await api.aclose()
    page = html.unescape((await browser.get("/indicators", params={"period": "programme", "by": "region"})).text)
    row = page[page.index('id="breakdown-table"') :]
    row = row[row.index('data-code="3.2"') :]
    cell = row[row.index('data-cell="oriental"') : row.index("</td>", row.index('data-cell="oriental"'))]
    assert re.search(r"50\s%\sde sa cible", cell), cell


async def test_a_manager_approves_a_month_that_then_stays_while_a_late_entry_adjusts_the_next(tmp_path):
    clock = Clock(TODAY)
    async with web_over_services(tmp_path, with_reporting=True, clock=clock) as (browser, apps):
        await browser.sign_in(role="programme_manager")
        await registered(browser, 6)
        month = f"month:{TODAY:%Y-%m}"
        ongoing = await browser.post("/indicators/approvals", {"period": month})
        assert ongoing.status_code == 303
        page = html.unescape((await browser.get("/indicators", params={"period": month})).text)
        assert "La période n’a pas été approuvée" in page and "n’est pas terminé" in page  # refused, in French

        clock.value = TODAY + timedelta(days=10)  # the month is over
        await browser.post("/indicators/approvals", {"period": month, "note": "listes vérifiées"})
        page = html.unescape((await browser.get("/indicators", params={"period": month})).text)
        assert "La période est approuvée" in page and "Approuvé par dev-aïcha le" in page and "listes vérifiées" in page
        assert shown_cells(page)[("3.2", "total")] == "6"

        await registered(browser, 1, family_name="Tardive", registered_on=TODAY.isoformat())  # a paper form, late
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["reporting"]), base_url="http://reporting")
        for _ in range(150):
            later = (await api.get("/v1/indicators/3.2", params={"period": f"year:{TODAY.year}"},
                                   headers=bearer("programme_manager", "x"))).json()  # fmt: skip
            if later["total"] == 7:
                break
            await asyncio.sleep(0.02)
        await api.aclose()
        page = html.unescape((await browser.get("/indicators", params={"period": month})).text)
        assert shown_cells(page)[("3.2", "total")] == "6", "the approved month stays as approved"
        following = TODAY.replace(day=1) + timedelta(days=40)
        page = html.unescape((await browser.get("/indicators", params={"period": f"month:{following:%Y-%m}"})).text)
        row = page[page.index('id="adjustments-table"') :]
        row = row[row.index('data-code="3.2"') : row.index("</tr>", row.index('data-code="3.2"'))]
        assert f'data-period="{month}"' in row and 'data-change="1"' in row
        assert "saisie tardive: 1" in row, row


async def test_downloads_pass_through_and_a_bad_period_is_named(web):
    browser, _apps = web
    await browser.sign_in(role="programme_manager")
    csv = await browser.client.get("/indicators.csv", params={"period": "programme"})
    assert csv.status_code == 200 and "text/csv" in csv.headers["content-type"]
    assert "3.2" in csv.text
    for name, kind in (("iati.xml", "application/xml"), ("eutf.xlsx", "spreadsheetml")):
        results = await browser.client.get(f"/results/{name}", params={"period": "programme"})
        assert results.status_code == 200 and kind in results.headers["content-type"], name
    xlsx = await browser.client.get("/indicators.xlsx", params={"period": "programme"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
    bad = await browser.get("/indicators", params={"period": "decade:2020"})
    assert bad.status_code == 200 and 'class="flash error"' in bad.text
    published = await browser.post("/indicators/snapshots", {"period": "programme"})
    page = html.unescape((await browser.get(published.headers["location"])).text)
    assert "L’instantané est publié" in page


async def test_the_indicator_screen_renders_in_french_and_arabic(web):
    browser, _apps = web
    await browser.sign_in(role="me_viewer")
    for language in ("fr", "ar"):
        await browser.set_language(language)
        page = await browser.get("/indicators", params={"by": "legal_status", "period": "programme"})
        assert page.status_code == 200 and f'lang="{language}"' in page.text
    start = await browser.get("/")
    assert 'href="/indicators"' in start.text


def test_every_indicator_funnel_stage_and_breakdown_reporting_declares_has_its_text_here():
    from work4life.reporting.domain.indicators import FACT_DIMENSIONS, FUNNEL, PERSON_DIMENSIONS
    from work4life.reporting.service_layer.indicators import INDICATORS
    from work4life.web.labels import LABELS
    from work4life.web.pages.reporting import BREAKDOWNS, FUNNEL_STAGES, INDICATOR_NAMES

    assert sorted(i.name for i in INDICATORS) == sorted(INDICATOR_NAMES)
    assert [stage for stage, _kind, _text in FUNNEL] == list(FUNNEL_STAGES)
    offered = [*PERSON_DIMENSIONS, *FACT_DIMENSIONS]
    assert list(BREAKDOWNS) == offered, "every breakdown reporting offers can be chosen"
    assert set(BREAKDOWNS) <= set(LABELS["dimension"])
    for name in FACT_DIMENSIONS:  # each value a fact can carry is named on screen
        assert name in LABELS, name
    assert set(LABELS["occupation_group"]) == {str(n) for n in range(10)}


async def test_an_me_officer_sets_a_target_on_screen_and_the_table_measures_progress_against_it(web):
    browser, _apps = web
    await browser.sign_in(role="me_viewer", organisation="lead-ngo", name="Salma")
    page = await browser.get("/indicators/targets")
    assert page.status_code == 200 and 'method="post" action="/indicators/targets"' in page.text
    assert "3.2 · " in html.unescape(page.text), "the indicators to choose from come from reporting"

    refused = await browser.post("/indicators/targets", {"code": "3.2", "year": "2026", "target": "lots"})
    assert refused.status_code == 422
    assert 'id="target" name="target"' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="lots"' in refused.text, "what was typed stays in the form"

    year = str(TODAY.year)
    saved = await browser.post(
        "/indicators/targets",
        {"code": "3.2", "year": year, "target": "400", "baseline": "40", "note": "logframe v2", "region": ""},
    )
    assert saved.status_code == 303, saved.text
    listed = html.unescape((await browser.get("/indicators/targets", params={"year": year})).text)
    row = listed[listed.index('data-code="3.2"') :]
    assert "logframe v2" in row and "<td>400</td>" in row and "<td>40</td>" in row and "dev-salma" in row
    changes = listed[listed.index('id="target-changes"') :]
    assert "dev-salma" in changes and "400" in changes, "the change is audited: who, and the figures after"

    table = (await browser.get("/indicators", params={"period": f"year:{year}"})).text
    [target_cell] = re.findall(r'<tr data-code="3.2">.*?</tr>', table, re.S)
    assert "400" in target_cell and "40" in target_cell, "the table shows the baseline and the target"

    target_id = re.search(r'action="/indicators/targets/(\d+)/delete"', listed).group(1)
    removed = await browser.post(f"/indicators/targets/{target_id}/delete", {})
    assert removed.status_code == 303
    after = html.unescape((await browser.get("/indicators/targets", params={"year": year})).text)
    assert 'data-code="3.2"' not in after[: after.index('id="target-changes"')]

    await browser.post("/sign-out", {})
    await browser.sign_in(role="caseworker", organisation="amappe-rabat")
    read_only = await browser.get("/indicators/targets")
    assert read_only.status_code == 200 and 'method="post" action="/indicators/targets"' not in read_only.text
