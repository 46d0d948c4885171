"""Employment's screens through the web application, over a real intake and a real employment in
the same process (one in-memory broker between them): an offer filled from the ranked candidates,
the ranking's reasons in French, a hire, the 3-month retention call recorded from the call list,
and a job fair with its figures."""

import asyncio
import html
import re
from datetime import timedelta

import pytest

from ..conftest import TODAY, Clock, person_form, web_over_services


@pytest.fixture
async def web(tmp_path):
    clock = Clock(TODAY)
    async with web_over_services(tmp_path, with_employment=True, clock=clock) as (browser, apps):
        yield browser, apps, clock


async def job_seeker(browser, given_name: str = "Aminata", region: str = "rabat_sale_kenitra") -> str:
    registered = await browser.post("/people", person_form(given_name=given_name, region=region))
    assert registered.status_code == 303, registered.text
    person_url = registered.headers["location"].split("?")[0]
    assessed = await browser.post(
        person_url + "/assessment",
        {"aspirations": ["job"], "digital_skills": "basic", "occupation_0": "5120", "occupation_0_years": "3"},
    )
    assert assessed.status_code == 303, assessed.text
    await browser.post(person_url + "/consents", {"purpose": "referral", "organisation": "employment"})
    sent = await browser.post(person_url + "/referral", {"target": "employment", "reason": "job_placement"})
    assert sent.status_code == 303, sent.text
    return person_url.rsplit("/", 1)[1]


async def shows(browser, url: str, text: str) -> str:
    for _ in range(150):
        page = html.unescape((await browser.get(url)).text)
        if text in page:
            return page
        await asyncio.sleep(0.02)
    raise AssertionError(f"{text!r} never showed on {url}")


def flashes(page: str) -> list[str]:
    return [html.unescape(f) for f in re.findall(r'class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S)]


async def employer_with_offer(browser) -> tuple[str, str]:
    made = await browser.post(
        "/employment/employers",
        {
            "name": "Hôtel Atlas",
            "type": "sme",
            "ownership": "moroccan",
            "sector": "hospitality_and_tourism",
            "region": "rabat_sale_kenitra",
            "city": "Rabat",
            "contact_name": "M. Idrissi",
            "contact_phone": "0537 12 34 56",
        },
    )
    assert made.status_code == 303, made.text
    employer = made.headers["location"]
    offer = await browser.post(
        f"{employer}/offers",
        {
            "title": "Commis de cuisine",
            "kind": "job",
            "positions": "1",
            "contract_type": "fixed_term",
            "wage_band": "3000_to_4500",
            "hours_per_week": "44",
            "isco08": "5120",
            "opens_on": TODAY.isoformat(),
            "closes_on": (TODAY + timedelta(days=30)).isoformat(),
            "skills": "hygiène, cuisson",
            "languages": "fr",
        },
    )
    assert offer.status_code == 303, offer.text
    return employer, offer.headers["location"]


async def test_an_offer_is_filled_from_the_ranking_and_the_3_month_call_recorded(web):
    browser, _apps, clock = web
    await browser.sign_in()
    near = await job_seeker(browser)
    far = await job_seeker(browser, given_name="Fatou", region="oriental")
    await shows(browser, "/employment/candidates", "Fatou Traoré</a>")
    _employer, offer = await employer_with_offer(browser)

    page = await shows(browser, offer, "Aminata Traoré</a>")
    ranked = page[page.index('id="ranked"') : page.index('id="applications"')]
    assert ranked.index("Aminata Traoré") < ranked.index("Fatou Traoré"), "the one living in the job's region first"
    assert "vit dans Oriental, l’emploi est dans Rabat-Salé-Kénitra" in ranked, "the reason, in French, with labels"
    assert "3 ans comme CITP 5120 (offre : 5120)" in ranked
    assert " / 100" in ranked

    shortlisted = await browser.post(f"{offer}/applications", {"beneficiary_id": near})
    assert shortlisted.status_code == 303
    page = html.unescape((await browser.get(shortlisted.headers["location"])).text)
    assert "Présélectionné" in page
    application = re.search(r"/employment/applications/([0-9a-f-]+)/step", page).group(1)
    offer_id = offer.rsplit("/", 1)[1]
    early = await browser.post(
        f"/employment/applications/{application}/hire",
        {"offer_id": offer_id, "contract_type": "fixed_term", "starts_on": TODAY.isoformat(),
         "hours_per_week": "44", "wage_band": "3000_to_4500"},
    )  # fmt: skip
    page = html.unescape((await browser.get(early.headers["location"])).text)
    assert any(f.startswith("Non embauché") for f in flashes(page)), "an interview comes first"
    await browser.post(f"/employment/applications/{application}/step", {"offer_id": offer_id, "to": "interviewed"})
    hired = await browser.post(
        f"/employment/applications/{application}/hire",
        {"offer_id": offer_id, "contract_type": "fixed_term", "starts_on": TODAY.isoformat(),
         "hours_per_week": "44", "wage_band": "3000_to_4500"},
    )  # fmt: skip
    page = html.unescape((await browser.get(hired.headers["location"])).text)
    assert "Embauché" in page and "1 sur 1 pourvus" in page
    placements = html.unescape((await browser.get("/employment/placements")).text)
    assert "Commis de cuisine" in placements and "Aminata Traoré" in placements

    assert "Aucun appel à passer cette semaine." in html.unescape((await browser.get("/employment/calls")).text)
    clock.value = TODAY + timedelta(days=88)
    calls = html.unescape((await browser.get("/employment/calls")).text)
    assert "Aminata Traoré" in calls and "3 mois après le début" in calls
    placement = re.search(r"/employment/placements/([0-9a-f-]+)/retention/3", calls).group(1)
    called = await browser.post(
        f"/employment/placements/{placement}/retention/3",
        {"checked_on": clock.value.isoformat(), "outcome": "still_employed", "left_reason": "resigned"},
    )
    assert called.status_code == 303
    page = html.unescape((await browser.get(called.headers["location"])).text)
    assert "L’appel de suivi est enregistré." in flashes(page), flashes(page)
    placements = html.unescape((await browser.get("/employment/placements")).text)
    assert "3 mois : Toujours en poste" in placements
    assert far


async def test_a_job_fair_counts_employers_attendees_and_the_hires_met_there(web):
    browser, _apps, _clock = web
    await browser.sign_in()
    person = await job_seeker(browser)
    await shows(browser, "/employment/candidates", "Aminata Traoré</a>")
    employer, offer = await employer_with_offer(browser)
    planned = await browser.post(
        "/employment/fairs",
        {"name": "Forum emploi Rabat", "held_on": TODAY.isoformat(), "region": "rabat_sale_kenitra", "city": "Rabat"},
    )
    fair = planned.headers["location"]
    assert re.fullmatch(r"/employment/fairs/[0-9a-f-]{36}", fair)
    fair_id = fair.rsplit("/", 1)[1]
    came = await browser.post(
        f"{fair}/attendance",
        {"employers": employer.rsplit("/", 1)[1], "attendees": person, "other_attendees": "40"},
    )
    assert came.status_code == 303
    page = html.unescape((await browser.get(offer)).text)
    assert f'<option value="{fair_id}">Forum emploi Rabat' in page, "an open fair is offered when shortlisting"
    await browser.post(f"{offer}/applications", {"beneficiary_id": person, "job_fair_id": fair_id})
    page = html.unescape((await browser.get(offer)).text)
    application = re.search(r"/employment/applications/([0-9a-f-]+)/step", page).group(1)
    offer_id = offer.rsplit("/", 1)[1]
    await browser.post(f"/employment/applications/{application}/step", {"offer_id": offer_id, "to": "interviewed"})
    await browser.post(
        f"/employment/applications/{application}/hire",
        {"offer_id": offer_id, "contract_type": "fixed_term", "starts_on": TODAY.isoformat(),
         "hours_per_week": "44", "wage_band": "3000_to_4500"},
    )  # fmt: skip
    closed = await browser.post(f"{fair}/close", {})
    page = html.unescape((await browser.get(closed.headers["location"])).text)
    assert "1 inscrits dans le programme, 40 autres" in page
    assert re.search(r"Entretiens issus du forum</dt><dd>1<", page) and re.search(
        r"Embauches issues du forum</dt><dd>1<", page
    )
    assert "clôturé le" in page
    listing = html.unescape((await browser.get("/employment/fairs")).text)
    assert "Forum emploi Rabat" in listing and "<td>41</td>" in listing


async def test_every_employment_screen_renders_in_french_and_arabic(web):
    browser, _apps, _clock = web
    await browser.sign_in()
    await job_seeker(browser)
    await shows(browser, "/employment/candidates", "Aminata Traoré</a>")
    employer, offer = await employer_with_offer(browser)
    planned = await browser.post(
        "/employment/fairs",
        {"name": "Forum", "held_on": TODAY.isoformat(), "region": "rabat_sale_kenitra", "city": "Rabat"},
    )
    screens = ["/employment", "/employment/employers", employer, offer, "/employment/candidates",
               "/employment/placements", "/employment/calls", "/employment/fairs", planned.headers["location"]]  # fmt: skip
    for language in ("fr", "ar"):
        await browser.set_language(language)
        for url in screens:
            page = await browser.get(url)
            assert page.status_code == 200, (url, page.text[:300])
            assert f'lang="{language}"' in page.text
    await browser.set_language("fr")
    waiting = (await browser.get("/employment/candidates")).text
    assert 'action="/employment/candidates/' in waiting and "/enterprise/" not in waiting
    refused = await browser.post("/employment/employers", {"name": "X", "contact_phone": "12"})
    assert refused.status_code == 422 and 'id="contact_phone-error"' in refused.text
