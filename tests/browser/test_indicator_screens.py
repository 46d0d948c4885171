"""The M&E screen in a real headless Chromium over the services as processes on the real broker:
the indicator table with a breakdown chosen on screen, the funnel, the downloads, a target set on
the targets screen; in French and Arabic, checked by axe-core and kept as a screenshot."""

import re

import pytest

from .conftest import check_accessibility, choose_language, dev_sign_in
from .test_staff_app import fill_registration, unique

pytestmark = pytest.mark.e2e


def test_the_indicator_table_with_a_breakdown_chosen_on_screen(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, role="caseworker", name="Aicha")
    for _ in range(2):
        page.goto(f"{stack.url}/people/new")
        fill_registration(page, unique("Counted"))
        page.click("#registration button[type=submit]")
        page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    page.click("form[data-sign-out] button")
    page.wait_for_selector("[data-signed-out]")
    dev_sign_in(page, stack.url, role="programme_manager", name="Nadia")
    for _ in range(60):  # the registrations travel to reporting through the broker
        page.goto(f"{stack.url}/indicators")
        if int(page.get_attribute("tr[data-code='3.2'] td[data-total]", "data-total") or 0) >= 2:
            break
        page.wait_for_timeout(500)
    page.select_option("#by", "sex")
    page.click("form[action='/indicators'] button[type=submit]")
    page.wait_for_url(re.compile(r".*by=sex.*"))
    female = page.get_attribute("#breakdown-table tr[data-code='3.2'] td[data-cell='female']", "data-value")
    assert int(female) >= 2, "the breakdown by sex, chosen on screen"
    assert page.locator("svg.funnel rect").count() == 8
    with page.expect_download() as download:
        page.click("a[href^='/indicators.xlsx']")
    assert download.value.path().read_bytes()[:2] == b"PK"

    violations: list[str] = []
    for language in ("fr", "ar"):
        choose_language(page, language)
        violations += check_accessibility(page, "indicators")

    # the targets: one set on screen shows in the indicator table
    page.goto(f"{stack.url}/indicators/targets")
    page.click("details summary")
    page.select_option("#code", "3.2")
    page.fill("#year", "2026")
    page.fill("#target", "500")
    page.fill("#baseline", "50")
    page.click("form[action='/indicators/targets'][method=post] button[type=submit]")
    page.wait_for_selector("#targets tr[data-code='3.2']")
    page.goto(f"{stack.url}/indicators?period=year:2026")
    assert "500" in page.inner_text("#indicator-table tr[data-code='3.2']")
    page.goto(f"{stack.url}/indicators/targets")
    for language in ("fr", "ar"):
        choose_language(page, language)
        violations += check_accessibility(page, "targets")
    assert violations == [], "\n".join(violations)
