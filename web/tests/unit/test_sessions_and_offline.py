"""Sessions, CSRF, the development sign-in's limits, organisation scoping, and registrations sent
from the device's queue (each once)."""

import httpx
import pytest
from sqlmodel import Session, select

from work4life.runtime.testing import TEST_JWT_SECRET, letters_for
from work4life.web.app import create_app
from work4life.web.config import WebSettings

from ..conftest import Browser, person_form


async def test_a_form_without_its_csrf_token_is_refused(browser):
    await browser.sign_in()
    answer = await browser.client.post("/people", data=person_form())
    assert answer.status_code == 400
    assert "expiré" in answer.text  # "Ce formulaire a expiré", in French by default
    forged = await browser.client.post("/people", data={**person_form(), "csrf": "a-guess"})
    assert forged.status_code == 400


async def test_signing_out_ends_the_session_and_clears_the_device(browser):
    await browser.sign_in()
    answer = await browser.post("/sign-out")
    assert answer.status_code == 200
    assert answer.headers["clear-site-data"] == '"cache", "storage"'
    assert (await browser.client.get("/people")).status_code == 303


async def test_the_session_cookie_is_http_only_and_holds_no_token(browser):
    await browser.get("/sign-in")
    answer = await browser.post(
        "/sign-in/development", {"name": "Aïcha", "role": "caseworker", "organisation": "amappe-rabat"}
    )
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "eyJ" not in cookie.split("w4l_session=")[1].split(".")[0][:2]  # no JWT in the cookie's payload
    import base64
    import json

    payload = json.loads(base64.b64decode(cookie.split("w4l_session=")[1].split(".")[0] + "=="))
    assert set(payload) <= {"sid", "csrf", "next", "ended"}


async def test_the_development_sign_in_is_refused_in_production(tmp_path):
    settings = WebSettings(
        environment="production",
        intake_url="http://intake",
        oidc_issuer="http://127.0.0.1:1/realms/work4life",
        session_secret="s" * 40,
        dev_jwt_secret=TEST_JWT_SECRET,
    )
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web") as client:
        browser = Browser(client)
        page = await browser.get("/sign-in")
        assert "/sign-in/development" not in page.text
        answer = await browser.post(
            "/sign-in/development", {"name": "Eve", "role": "admin", "organisation": "amappe-rabat"}
        )
        assert answer.status_code == 403


def test_production_needs_an_identity_provider():
    with pytest.raises(ValueError, match="oidc_issuer"):
        WebSettings(environment="production", intake_url="http://intake", dev_jwt_secret=TEST_JWT_SECRET)


async def test_a_caseworker_of_another_organisation_gets_not_found(web_and_intake):
    browser, _intake = web_and_intake
    await browser.sign_in(organisation="amappe-rabat")
    person = (await browser.post("/people", person_form())).headers["location"].split("?")[0]
    other = Browser(browser.client)
    browser.client.cookies.clear()
    await other.sign_in(organisation="oujda-solidarite", name="Youssef")
    answer = await other.get(person)
    assert answer.status_code == 404
    assert "autre organisation" in answer.text


async def test_a_waiting_registration_sent_twice_makes_one_person(web_and_intake):
    browser, intake = web_and_intake
    await browser.sign_in()
    token = (await browser.client.get("/offline/csrf", headers={"accept": "application/json"})).json()["csrf"]
    fields = person_form(registration_key="3f1c2b9e-offline-0001", consent_referral=["training"])
    headers = {"x-csrf-token": token}
    first = await browser.client.post("/offline/registrations", json=fields, headers=headers)
    again = await browser.client.post("/offline/registrations", json=fields, headers=headers)
    assert first.json()["status"] == "created" and again.json()["status"] == "replayed"
    assert first.json()["beneficiary_id"] == again.json()["beneficiary_id"]
    from work4life.intake.adapters.orm import Beneficiary

    with Session(intake.state.runtime.engine) as db:
        assert len(db.exec(select(Beneficiary)).all()) == 1
    refused = await browser.client.post(
        "/offline/registrations",
        json=person_form(registration_key="3f1c2b9e-offline-0002", date_of_birth="2031-01-01"),
        headers=headers,
    )
    assert refused.status_code == 422 and "date_of_birth" in refused.json()["errors"]
    no_token = await browser.client.post("/offline/registrations", json=fields)
    assert no_token.status_code == 403


async def test_health_ready_and_metrics(browser):
    assert (await browser.client.get("/health")).json() == {"status": "ok"}
    ready = await browser.client.get("/ready")
    assert ready.status_code == 200 and ready.json()["services"] == {"intake": True}
    await browser.get("/sign-in")
    metrics = (await browser.client.get("/metrics")).text
    assert 'w4l_http_requests_total{method="GET",path="/sign-in",service="web",status="200"}' in metrics


async def test_a_section_without_its_service_is_not_shown(tmp_path):
    settings = WebSettings(dev_jwt_secret=TEST_JWT_SECRET, environment="test")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web") as client:
        browser = Browser(client)
        await browser.sign_in()
        home = await browser.get("/")
        assert home.status_code == 200 and 'href="/people"' not in home.text
        assert (await browser.get("/people")).status_code == 404


async def test_people_search_filters_and_pages(web_and_intake):
    browser, _intake = web_and_intake
    await browser.sign_in()
    for i in range(30):
        await browser.post(
            "/people",
            person_form(
                given_name=f"Fatou{chr(97 + i % 26)}{letters_for(i).lower()}",
                phone=None,
                date_of_birth=f"19{60 + i}-01-0{1 + i % 9}",
            ),
        )
    first = await browser.get("/people")
    assert "Personnes trouvées : 30" in first.text and "Page 1 sur 2" in first.text
    second = await browser.get("/people?page=2")
    assert second.text.count("/people/") - second.text.count('href="/people/new"') >= 5
    by_name = await browser.get("/people?name=Fatouaa")
    assert "Personnes trouvées : 1<" in by_name.text
    too_short = await browser.get("/people?name=F")
    assert 'id="name-error"' in too_short.text


async def test_security_headers_are_valid_http_without_an_identity_provider(browser):
    """A trailing space in a header value is refused by uvicorn's HTTP parser (not by the test
    transport): the policy is trimmed."""
    page = await browser.client.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert policy == policy.strip() and "script-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
