"""Intake's screens through the web application, over a real intake in the same process."""

import re

from ..conftest import person_form


async def test_signing_in_leads_to_the_people_list(browser):
    assert (await browser.client.get("/people")).status_code == 303
    await browser.sign_in()
    page = await browser.get("/people")
    assert page.status_code == 200
    assert "Aïcha" in page.text


async def test_a_caseworker_registers_assesses_and_refers_a_person(browser):
    await browser.sign_in()
    registered = await browser.post("/people", person_form(registration_key="device-key-0001"))
    assert registered.status_code == 303, registered.text
    person_url = registered.headers["location"].split("?")[0]
    page = await browser.get(person_url)
    assert page.status_code == 200 and "Aminata" in page.text and "Traoré" in page.text
    assessed = await browser.post(
        person_url + "/assessment",
        {
            "aspirations": ["job", "training"],
            "digital_skills": "basic",
            "occupation_0": "7531",
            "occupation_0_years": "4",
        },
    )
    assert assessed.status_code == 303, assessed.text
    refused = await browser.post(person_url + "/referral", {"target": "training", "reason": "vocational_training"})
    assert refused.status_code == 409
    assert 'name="then" value="referral"' in refused.text
    consent = await browser.post(
        person_url + "/consents", {"purpose": "referral", "organisation": "training", "then": "referral"}
    )
    assert consent.status_code == 303 and "/referral?target=training" in consent.headers["location"]
    sent = await browser.post(person_url + "/referral", {"target": "training", "reason": "vocational_training"})
    assert sent.status_code == 303, sent.text
    page = await browser.get(person_url)
    assert "7531" in page.text
    assert re.search(r"Formation professionnelle", page.text)  # the referral's reason, in French


async def test_field_errors_are_named_in_the_persons_language(browser):
    await browser.sign_in()
    answer = await browser.post("/people", person_form(nationality="XX", consent_service_delivery=""))
    assert answer.status_code == 422
    assert 'id="nationality-error"' in answer.text
    assert 'id="consents-error"' in answer.text
    await browser.set_language("ar")
    answer = await browser.post("/people", person_form(nationality="XX"))
    assert 'dir="rtl"' in answer.text and 'lang="ar"' in answer.text


async def test_every_screen_renders(web_and_intake):
    browser, _intake = web_and_intake
    await browser.sign_in(role="admin", organisation="amappe-rabat")
    registered = await browser.post("/people", person_form())
    person = registered.headers["location"].split("?")[0]
    for language in ("fr", "ar", "en"):
        await browser.set_language(language)
        for url in (
            "/people",
            "/people/new",
            person,
            person + "/assessment",
            person + "/referral",
            person + "/erase",
            "/duplicates",
            "/outreach",
            "/imports",
            "/people?name=Ami&region=oriental&page=2",
        ):
            page = await browser.get(url)
            assert page.status_code == 200, (url, language, page.text[-2000:])


async def test_empty_filters_stay_empty(browser):
    await browser.sign_in()
    page = await browser.get("/people")
    assert 'value="None"' not in page.text
