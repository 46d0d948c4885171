"""Enterprise's screens as a business coach uses them, in a real headless Chromium over intake,
enterprise and the web app as processes on the real broker: a referral becomes an application,
moves along the board through the selection committee, gets a business plan, a grant with its
tranches, a milestone and a disbursement in exact MAD, a launch and its first follow-up visit;
every enterprise screen in French and Arabic checked by axe-core and kept as a screenshot."""

import re
from datetime import date

import pytest

from .conftest import check_accessibility, choose_language, dev_sign_in
from .test_staff_app import registered_and_referred, unique

pytestmark = pytest.mark.e2e

TODAY = date.today().isoformat()


def application(page, base: str, family: str, name: str) -> str:
    """The candidate's application, started from the candidates list; the venture's path."""
    for _ in range(60):  # the referral travels through the broker
        page.goto(f"{base}/enterprise/candidates")
        if page.locator("tr", has_text=family).count():
            break
        page.wait_for_timeout(500)
    page.locator("tr", has_text=family).locator("a[href^='/enterprise/ventures/new']").click()
    assert page.locator("input[name=members]:checked").count() == 1, "the candidate comes ticked"
    page.fill("#name", name)
    page.select_option("#kind", "micro_enterprise")
    page.select_option("#sector", "textiles_and_clothing")
    page.select_option("#region", "oriental")
    page.fill("#city", "Oujda")
    page.click("form[action='/enterprise/ventures'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/enterprise/ventures/[0-9a-f-]{36}$"))
    return page.url.split(base)[1]


def move_on_board(page, base: str, name: str, to: str, committee: str | None = None) -> None:
    page.goto(f"{base}/enterprise")
    card = page.locator("li.card", has_text=name)
    card.locator("details.move summary").click()
    card.locator("select[name=to]").select_option(to)
    if committee:
        card.locator("input[name=committee]").fill(committee)
    card.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/enterprise")
    assert "Le projet a avancé" in page.inner_text("main"), page.inner_text("main")[:400]


def test_a_venture_moves_through_the_board_to_a_disbursed_grant_and_a_follow_up(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, name="Karima")
    family = unique("Venture")
    name = unique("Atelier")
    registered_and_referred(page, stack.url, family, "enterprise", "enterprise_support")
    venture = application(page, stack.url, family, name)

    move_on_board(page, stack.url, name, "pre_incubation", committee="Comité Oujda")
    move_on_board(page, stack.url, name, "incubation", committee="Comité Oujda")
    column = page.locator("section.column", has=page.locator("#col-incubation"))
    assert name in column.inner_text(), "the card sits in the incubation column"

    page.goto(stack.url + venture)
    page.click("#plan ~ details summary")
    page.fill("#investment_need_mad", "60 000")
    page.fill("#own_contribution_mad", "12 000")
    page.fill("#grant_requested_mad", "48 000")
    page.fill("#expected_jobs", "3")
    page.fill("#expected_monthly_revenue_mad", "7 500")
    page.click("form[action$='/business-plan'] button[type=submit]")
    page.wait_for_url(f"{stack.url}{venture}#plan")
    assert "Le plan d’affaires est enregistré." in page.inner_text("main")

    page.click("#grant ~ details summary")
    page.fill("#approved_mad", "48000")
    page.fill("#tranche_1_amount", "30 000")
    page.fill("#tranche_1_milestone", "Machines achetées")
    page.fill("#tranche_2_amount", "18 000")
    page.fill("#tranche_2_milestone", "Local loué")
    page.click("form[action$='/grant'] button[type=submit]")
    page.wait_for_url(f"{stack.url}{venture}#grant")
    assert "La subvention est approuvée." in page.inner_text("main")
    row = page.locator("#grant ~ .table-wrap tbody tr").first
    row.locator("details summary", has_text="Jalon atteint").click()
    row.locator("input[name=met_on]").fill(TODAY)
    row.locator("input[name=evidence]").fill("Facture 2026-114")
    row.locator("form[action$='/milestone'] button").click()
    # The page is at #grant already: wait for the answer itself, which says why if it failed.
    page.locator("main").get_by_text(re.compile("Le jalon (est|n’a pas été) enregistré")).wait_for()
    assert "Le jalon est enregistré." in page.inner_text("main")
    row = page.locator("#grant ~ .table-wrap tbody tr").first
    row.locator("details summary", has_text="Décaisser").click()
    row.locator("input[name=amount_mad]").fill("30 000,00")
    row.locator("input[name=reference]").fill("VIR-2026-88")
    row.locator("form[action$='/disbursements'] button").click()
    page.locator("main").get_by_text(re.compile("Le décaissement (est|n’a pas été) enregistré")).wait_for()
    assert "Le décaissement est enregistré." in page.inner_text("main")
    summary = page.inner_text("#grant + .panel")
    assert "décaissé 30\u202f000,00 MAD" in summary and "EUR" in summary, summary

    page.fill("#registered_on", TODAY)
    page.select_option("#legal_form", "auto_entrepreneur")
    page.fill("#premises", "Boulevard Mohammed V, Oujda")
    page.click("form[action$='/launch'] button[type=submit]")
    page.wait_for_url(f"{stack.url}{venture}#visits")

    # Karima follows the venture: her list of visits due holds its 6-month visit.
    page.locator("details summary", has_text="Désigner le coach").click()
    assert page.input_value("#venture_coach") == "Karima", "the signed-in coach is offered"
    page.click("form[action$='/coach'] button[type=submit]")
    page.wait_for_url(f"{stack.url}{venture}")
    assert "Karima" in page.inner_text(".facts")
    page.goto(f"{stack.url}/enterprise/visits?within_days=200")
    page.click("text=Mes visites")
    page.wait_for_url("**coach=Karima**")
    row = page.locator("tbody tr", has_text=name)
    assert "6 mois après le lancement" in row.inner_text() and "Karima" in row.inner_text()
    page.goto(f"{stack.url}/enterprise/visits?within_days=200&coach=Nobody")
    assert page.locator("tbody tr", has_text=name).count() == 0

    page.goto(f"{stack.url}{venture}#visits")
    first = page.locator("#visits ~ .table-wrap tbody tr").first
    assert "6 mois après le lancement" in first.inner_text()
    first.locator("details summary").click()
    first.locator("input[name=visited_on]").fill(TODAY)
    first.locator("input[name=jobs_owners]").fill("1")
    first.locator("input[name=jobs_employees]").fill("2")
    first.locator("select[name=revenue_band]").select_option("5000_to_15000")
    first.locator("form button[type=submit]").click()
    page.wait_for_url(f"{stack.url}{venture}#visits")
    assert "1 propriétaires, 2 salariés" in page.inner_text("#visits ~ .table-wrap")
    assert "Suivi" in page.inner_text(".heading .tag")


def test_every_enterprise_screen_in_french_and_arabic_passes_axe(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, name="Omar")
    family = unique("Axeventure")
    name = unique("Cooperative")
    registered_and_referred(page, stack.url, family, "enterprise", "enterprise_support")
    venture = application(page, stack.url, family, name)
    violations: list[str] = []
    for language in ("fr", "ar"):
        page.goto(f"{stack.url}/enterprise")
        choose_language(page, language)
        screens = {
            "enterprise-board": "/enterprise",
            "enterprise-candidates": "/enterprise/candidates",
            "enterprise-visits": "/enterprise/visits?coach=Omar",
            "enterprise-apply": "/enterprise/ventures/new",
            "enterprise-venture": venture,
        }
        for screen, url in screens.items():
            page.goto(stack.url + url)
            violations += check_accessibility(page, screen)
        page.goto(stack.url + "/enterprise")
        page.locator("li.card", has_text=name).locator("details.move summary").click()
        violations += check_accessibility(page, "enterprise-board-move")
    assert violations == [], "\n".join(violations)
