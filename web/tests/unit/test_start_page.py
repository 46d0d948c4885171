"""The start page: what arrived for the signed-in person (new referrals in each partner service,
visits and calls due this week, duplicates for managers), over the real services in one process."""

import asyncio
import html
import re

import pytest

from ..conftest import person_form, web_over_services


@pytest.fixture
async def web(tmp_path):
    async with web_over_services(tmp_path, with_training=True, with_enterprise=True, with_employment=True) as pair:
        yield pair


def box(page: str, key: str) -> str:
    found = re.search(rf'data-notice="{key}">(.*?)</li>\s*(?=<li class="panel|</ul>\s*<h2)', page, re.S)
    assert found, f"no {key} box"
    return html.unescape(found.group(1))


async def test_new_referrals_show_on_the_start_page_of_each_partner(web):
    browser, _apps = web
    await browser.sign_in()
    registered = await browser.post("/people", person_form(consent_referral=["training", "enterprise", "employment"]))
    person = registered.headers["location"].split("?")[0]
    for target, reason in (("training", "vocational_training"), ("enterprise", "enterprise_support"),
                           ("employment", "job_placement")):  # fmt: skip
        sent = await browser.post(f"{person}/referral", {"target": target, "reason": reason})
        assert sent.status_code == 303, sent.text
    for _ in range(150):
        page = (await browser.get("/")).text
        if page.count('data-count="1"') >= 3:
            break
        await asyncio.sleep(0.02)
    assert page.count('class="count-badge" data-count="1"') == 3, "a referral waits in each service"
    training = box(page, "training_referrals")
    assert "Aminata Traoré" in training and "Formation professionnelle" in training
    assert "Aminata Traoré" in box(page, "employment_referrals")
    assert "Rien n’attend." in box(page, "calls_due") and "Rien n’attend." in box(page, "visits_due")
    assert 'data-notice="duplicates"' not in page, "the duplicates are for managers"

    await browser.post("/sign-out", {})
    await browser.sign_in(organisation="ofppt-rabat", name="Karim")
    page = (await browser.get("/")).text
    assert "Aminata" not in page and "Personne " in html.unescape(page), "another organisation: no name"

    await browser.post("/sign-out", {})
    await browser.sign_in(role="programme_manager", name="Nadia")
    page = (await browser.get("/")).text
    assert 'data-notice="duplicates"' in page

    await browser.post("/sign-out", {})
    await browser.sign_in(role="me_viewer", name="Omar")
    page = (await browser.get("/")).text
    assert "data-notice" not in page and 'href="/training"' in page, "nothing to act on, the sections remain"


async def test_a_service_that_does_not_answer_is_named_not_an_error(tmp_path):
    async with web_over_services(tmp_path, training_url="http://127.0.0.1:9") as (browser, _apps):
        await browser.sign_in()
        page = await browser.get("/")
        assert page.status_code == 200
        assert "Le service ne répond pas pour le moment." in box(page.text, "training_referrals")
