"""Employment's screens as a job counsellor uses them, in a real headless Chromium over intake,
employment and the web app as processes on the real broker: an offer filled from the ranked
candidates (the ranking's reasons in French), and the 3-month retention call recorded from the
week's call list. The story is entered three months late, from paper forms, as happens in the
field: each form takes the day it happened. Every employment screen in French and Arabic is
checked by axe-core and kept as a screenshot."""

import re
from datetime import date, timedelta

import pytest

from .conftest import check_accessibility, choose_language, dev_sign_in
from .test_staff_app import fill_registration, unique

pytestmark = pytest.mark.e2e


def ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def job_seeker(page, base: str, family: str) -> str:
    """Registered 100 days ago (consenting to be referred to employment), referred the day after."""
    page.goto(f"{base}/people/new")
    fill_registration(page, family)
    page.select_option("#region", "rabat_sale_kenitra")
    page.fill("#registered_on", ago(100))
    page.check("#consent_referral_employment")
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    person = page.url.split("?")[0].split(base)[1]
    page.goto(f"{base}{person}/referral")
    page.select_option("#target", "employment")
    page.select_option("#reason", "job_placement")
    page.fill("#made_on", ago(99))
    page.click("form[action$='/referral'] button[type=submit]")
    page.wait_for_url(f"{base}{person}#referrals")
    return person


def employer_and_offer(page, base: str, name: str) -> str:
    page.goto(f"{base}/employment/employers")
    page.click("details summary")
    page.fill("#name", name)
    page.select_option("#type", "sme")
    page.select_option("#ownership", "moroccan")
    page.select_option("#sector", "hospitality_and_tourism")
    page.select_option("#region", "rabat_sale_kenitra")
    page.fill("#city", "Rabat")
    page.fill("#contact_name", "M. Idrissi")
    page.fill("#contact_phone", "0537 12 34 56")
    page.click("form[action='/employment/employers'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/employment/employers/[0-9a-f-]{36}$"))
    page.click("details summary")
    page.fill("#title", "Commis de cuisine")
    page.select_option("#wage_band", "3000_to_4500")
    page.fill("#isco08", "5120")
    page.fill("#opens_on", ago(100))
    page.fill("#closes_on", (date.today() + timedelta(days=30)).isoformat())
    page.click("form[action$='/offers'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/employment/offers/[0-9a-f-]{36}$"))
    return page.url.split(base)[1]


def test_an_offer_is_filled_from_the_ranking_and_the_3_month_call_recorded(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, name="Hassan")
    family = unique("Seeker")
    job_seeker(page, stack.url, family)
    offer = employer_and_offer(page, stack.url, unique("Hotel"))
    for _ in range(60):  # the referral travels through the broker
        page.goto(stack.url + offer)
        if page.locator("ol.ranked li", has_text=family).count():
            break
        page.wait_for_timeout(500)
    candidate = page.locator("ol.ranked li", has_text=family)
    candidate.locator("details summary").click()
    assert "vit dans Rabat-Salé-Kénitra" in candidate.inner_text(), "the ranking's reasons, in French"
    candidate.locator("input[name=shortlisted_on]").fill(ago(98))
    candidate.locator("form button[type=submit]").click()
    page.wait_for_url(f"{stack.url}{offer}#applications")
    row = page.locator("#applications ~ .table-wrap tbody tr", has_text=family)
    row.locator("input[name=on]").fill(ago(97))
    row.locator("form[action$='/step'] button.secondary").click()
    page.wait_for_url(f"{stack.url}{offer}#applications")
    row = page.locator("#applications ~ .table-wrap tbody tr", has_text=family)
    row.locator("details summary", has_text="Embaucher").click()
    row.locator("input[name=hired_on]").fill(ago(96))
    row.locator("input[name=starts_on]").fill(ago(95))
    row.locator("form[action$='/hire'] button").click()
    page.wait_for_url(f"{stack.url}{offer}#applications")
    assert "Embauché" in page.inner_text("#applications ~ .table-wrap"), page.inner_text("main")[:500]
    assert "1 sur 1 pourvus" in page.inner_text("dl.facts")

    page.goto(f"{stack.url}/employment/calls")
    call = page.locator("ol.call-list li", has_text=family)
    assert "3 mois après le début" in call.inner_text() and "jours de retard" in call.inner_text()
    call.locator("select[name=outcome]").select_option("still_employed")
    call.locator("form button[type=submit]").click()
    page.wait_for_url(f"{stack.url}/employment/calls")
    assert "L’appel de suivi est enregistré." in page.inner_text("main")
    assert page.locator("ol.call-list li", has_text=family).count() == 0, "the call is off the list"
    page.goto(f"{stack.url}/employment/placements")
    assert "3 mois : Toujours en poste" in page.locator("tr", has_text=family).inner_text()


def test_every_employment_screen_in_french_and_arabic_passes_axe(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, name="Leila")
    family = unique("Axeseeker")
    job_seeker(page, stack.url, family)
    offer = employer_and_offer(page, stack.url, unique("Riad"))
    employer = page.locator("dl.facts a[href^='/employment/employers/']").get_attribute("href")
    page.goto(f"{stack.url}/employment/fairs")
    page.click("details summary")
    page.fill("#name", "Forum emploi Rabat")
    page.fill("#held_on", date.today().isoformat())
    page.select_option("#region", "rabat_sale_kenitra")
    page.fill("#city", "Rabat")
    page.click("form[action='/employment/fairs'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/employment/fairs/[0-9a-f-]{36}$"))
    fair = page.url.split(stack.url)[1]
    violations: list[str] = []
    for language in ("fr", "ar"):
        page.goto(f"{stack.url}/employment")
        choose_language(page, language)
        screens = {
            "employment-offers": "/employment",
            "employment-employers": "/employment/employers",
            "employment-employer": employer,
            "employment-offer": offer,
            "employment-candidates": "/employment/candidates",
            "employment-placements": "/employment/placements",
            "employment-calls": "/employment/calls",
            "employment-fairs": "/employment/fairs",
            "employment-fair": fair,
            "start": "/",
        }
        for screen, url in screens.items():
            page.goto(stack.url + url)
            violations += check_accessibility(page, screen)
        page.goto(stack.url + offer)
        page.locator("ol.ranked details summary").first.click()
        violations += check_accessibility(page, "employment-offer-why")
    assert violations == [], "\n".join(violations)
