"""Enterprise's screens through the web application, over a real intake and a real enterprise in
the same process (one in-memory broker between them): a referral becomes an application, moves
along the board through the committee, gets its business plan, a grant paid in exact MAD, a
launch and a follow-up visit."""

import asyncio
import html
import re
from datetime import timedelta

import pytest

from ..conftest import TODAY, Clock, person_form, web_over_services


@pytest.fixture
async def web(tmp_path):
    clock = Clock(TODAY)
    settings = {"grant_prerequisites": []}
    async with web_over_services(tmp_path, with_enterprise=True, clock=clock, enterprise_settings=settings) as pair:
        yield *pair, clock


async def referred(browser, given_name="Aminata") -> str:
    registered = await browser.post("/people", person_form(given_name=given_name))
    assert registered.status_code == 303, registered.text
    person_url = registered.headers["location"].split("?")[0]
    await browser.post(person_url + "/consents", {"purpose": "referral", "organisation": "enterprise"})
    sent = await browser.post(person_url + "/referral", {"target": "enterprise", "reason": "enterprise_support"})
    assert sent.status_code == 303, sent.text
    return person_url.rsplit("/", 1)[1]


async def shows(browser, url: str, text: str) -> str:
    for _ in range(150):
        page = await browser.get(url)
        if text in html.unescape(page.text):
            return html.unescape(page.text)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{text!r} never showed on {url}")


async def apply(browser, person: str, name: str = "Couture Bladi") -> str:
    form = await browser.get(f"/enterprise/ventures/new?member={person}")
    assert re.search(rf'value="{person}" checked', form.text), "the candidate chosen comes ticked"
    made = await browser.post(
        "/enterprise/ventures",
        {
            "name": name,
            "kind": "micro_enterprise",
            "sector": "textiles_and_clothing",
            "region": "rabat_sale_kenitra",
            "city": "Rabat",
            "members": person,
            "other_members": "1",
        },
    )
    assert made.status_code == 303, made.text
    return made.headers["location"]


def flashes(page: str) -> list[str]:
    return [html.unescape(f) for f in re.findall(r'class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S)]


async def move(browser, venture: str, to: str, **extra) -> str:
    moved = await browser.post(f"{venture}/move", {"to": to, "on": TODAY.isoformat(), **extra})
    assert moved.status_code == 303
    return "\n".join(flashes((await browser.get(moved.headers["location"])).text))


async def test_a_venture_goes_from_the_board_to_a_disbursed_grant_and_a_follow_up(web):
    browser, _apps, clock = web
    await browser.sign_in()
    person = await referred(browser)
    await shows(browser, "/enterprise/candidates", "Aminata Traoré</a>")
    venture = await apply(browser, person)
    board = await shows(browser, "/enterprise", "Couture Bladi")
    column = board[board.index('id="col-application"') : board.index('id="col-pre_incubation"')]
    assert "Couture Bladi" in column, "the new venture sits in the application column"

    refused = await move(browser, venture, "pre_incubation")
    assert "comité" in refused, "a selection needs the committee's decision, said in French"
    assert "Le projet a avancé" in await move(browser, venture, "pre_incubation", committee="Comité Rabat", score="71")
    assert "Le projet a avancé" in await move(browser, venture, "incubation", committee="Comité Rabat")
    page = html.unescape((await browser.get(venture)).text)
    assert "Incubation" in page and "Comité Rabat" in page and "Aminata Traoré</a>" in page

    plan = await browser.post(
        f"{venture}/business-plan",
        {
            "investment_need_mad": "50 000",
            "own_contribution_mad": "10000",
            "grant_requested_mad": "40000,00",
            "expected_jobs": "3",
            "expected_monthly_revenue_mad": "6000",
        },
    )
    assert plan.status_code == 303
    wrong = await browser.post(
        f"{venture}/grant",
        {"approved_mad": "40000", "tranche_1_amount": "25000", "tranche_1_milestone": "Machines achetées"},
    )
    page = html.unescape((await browser.get(wrong.headers["location"])).text)
    assert any("les tranches font 25000.00 MAD, pas les 40000.00 MAD approuvés" in f for f in flashes(page)), flashes(
        page
    )
    approved = await browser.post(
        f"{venture}/grant",
        {
            "approved_mad": "40000",
            "tranche_1_amount": "25000",
            "tranche_1_milestone": "Machines achetées",
            "tranche_2_amount": "15000",
            "tranche_2_milestone": "Local loué",
        },
    )
    page = html.unescape((await browser.get(approved.headers["location"])).text)
    grant = re.search(r"/enterprise/grants/([0-9a-f-]+)/tranches/1/milestone", page).group(1)
    venture_id = venture.rsplit("/", 1)[1]
    early = await browser.post(
        f"/enterprise/grants/{grant}/tranches/1/disbursements", {"venture_id": venture_id, "amount_mad": "25000"}
    )
    assert "/disbursements" not in html.unescape((await browser.get(early.headers["location"])).text)
    await browser.post(
        f"/enterprise/grants/{grant}/tranches/1/milestone",
        {"venture_id": venture_id, "met_on": TODAY.isoformat(), "evidence": "Facture 2026-114"},
    )
    paid = await browser.post(
        f"/enterprise/grants/{grant}/tranches/1/disbursements",
        {"venture_id": venture_id, "amount_mad": "25 000,50", "reference": "VIR-88"},
    )
    page = html.unescape((await browser.get(paid.headers["location"])).text)
    assert any("n’a pas été enregistré" in f for f in flashes(page)), "never beyond the tranche"
    paid = await browser.post(
        f"/enterprise/grants/{grant}/tranches/1/disbursements",
        {"venture_id": venture_id, "amount_mad": "25 000,00", "reference": "VIR-88"},
    )
    page = html.unescape((await browser.get(paid.headers["location"])).text)
    assert "décaissé 25\u202f000,00 MAD" in page, "exact MAD, written the French way"
    assert "EUR" in page and "10,8 MAD pour 1 EUR" in page

    launched = await browser.post(
        f"{venture}/launch",
        {"legal_form": "auto_entrepreneur", "registered_on": TODAY.isoformat(), "premises": "Hay Riad"},
    )
    assert launched.status_code == 303
    clock.value = TODAY + timedelta(days=200)
    due = await browser.get("/enterprise/visits")
    assert "Couture Bladi" in due.text and "6 mois après le lancement" in html.unescape(due.text)
    assert "pas encore désigné" in html.unescape(due.text), "no coach named yet"
    named = await browser.post(f"{venture}/coach", {"coach": "Samira  El Idrissi"})
    page = html.unescape((await browser.get(named.headers["location"])).text)
    assert "Le coach est enregistré." in flashes(page) and "Samira El Idrissi" in page
    mine = html.unescape((await browser.get("/enterprise/visits?coach=samira+el+idrissi")).text)
    assert "Couture Bladi" in mine and "Visites à faire : 1" in mine
    theirs = html.unescape((await browser.get("/enterprise/visits?coach=Youssef+Benali")).text)
    assert "Couture Bladi" not in theirs and "Visites à faire : 0" in theirs
    visited = await browser.post(
        f"{venture}/follow-ups/6",
        {
            "visited_on": clock.value.isoformat(),
            "active": "yes",
            "revenue_band": "2000_to_5000",
            "jobs_owners": "1",
            "jobs_employees": "2",
        },
    )
    page = html.unescape((await browser.get(visited.headers["location"])).text)
    assert "en activité" in page and "1 propriétaires, 2 salariés" in page
    assert "Suivi" in page, "the first visit moves the venture to followed up"


async def test_a_grant_waits_for_the_required_courses(tmp_path):
    async with web_over_services(tmp_path, with_enterprise=True) as (browser, _apps):
        await browser.sign_in()
        person = await referred(browser)
        await shows(browser, "/enterprise/candidates", "Aminata Traoré</a>")
        venture = await apply(browser, person)
        await move(browser, venture, "pre_incubation", committee="Comité")
        await move(browser, venture, "incubation", committee="Comité")
        page = html.unescape((await browser.get(venture)).text)
        assert "Avant une subvention, ces membres doivent encore suivre une formation" in page
        assert "Éducation financière" in page


async def test_every_enterprise_screen_renders_in_french_and_arabic(web):
    browser, _apps, _clock = web
    await browser.sign_in()
    person = await referred(browser)
    await shows(browser, "/enterprise/candidates", "Aminata Traoré</a>")
    venture = await apply(browser, person)
    for language in ("fr", "ar"):
        await browser.set_language(language)
        for url in ("/enterprise", "/enterprise/candidates", "/enterprise/visits", "/enterprise/ventures/new", venture):
            page = await browser.get(url)
            assert page.status_code == 200, (url, page.text[:300])
            assert f'lang="{language}"' in page.text
    # A move the pipeline refuses is said in the person's language, stages by their names.
    await browser.set_language("fr")
    refused = await move(browser, venture, "acceleration")
    assert refused.startswith("Le projet n’a pas avancé : Un projet ne peut pas passer de"), refused
    assert "application" not in refused and "« Candidature » à « Accélération »" in refused, refused
    await browser.set_language("ar")
    refused = await move(browser, venture, "acceleration")
    assert "لا يمكن للمشروع الانتقال" in refused and "acceleration" not in refused, refused
    await browser.set_language("fr")
    waiting = (await browser.get("/enterprise/candidates")).text
    assert 'action="/enterprise/candidates/' in waiting and "/enterprise/ventures/new?member=" in waiting
    bad = await browser.get("/enterprise?kind=nonsense")
    assert bad.status_code == 200 and 'id="kind-error"' in bad.text
    nobody = await browser.post("/enterprise/ventures", {"name": "X", "kind": "cooperative"})
    assert nobody.status_code == 422 and 'id="members-error"' in nobody.text
