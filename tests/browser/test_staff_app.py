"""The staff web application as people use it, in a real headless Chromium: signing in (Keycloak
and the development sign-in), registering with consent, assessing, referring, duplicates, import,
registration offline, organisation scoping, and every intake screen in French and Arabic checked
by axe-core and kept as a screenshot."""

import csv
import io
import re
import uuid

import pytest

from .conftest import ARTEFACTS, check_accessibility, choose_language, dev_sign_in

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    """A family name no other test uses (letters only, as intake's Latin-name rule wants)."""
    letters = "".join(chr(97 + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])
    return f"{prefix}{letters}"


def fill_registration(page, family: str, given: str = "Aminata", dob: str = "1996-04-02", phone: str | None = None):
    page.fill("#given_name", given)
    page.fill("#family_name", family)
    page.select_option("#sex", "female")
    page.fill("#date_of_birth", dob)
    page.fill("#nationality", "CIV")
    page.select_option("#legal_status", "asylum_seeker")
    page.select_option("#region", "oriental")
    page.fill("#city", "Oujda")
    if phone:
        page.fill("#phone", phone)
    page.check("#consent_service_delivery")
    page.check("#consent_statistics")


def registered_and_referred(page, base: str, family: str, target: str, reason: str) -> str:
    """A person registered, consenting and referred to `target` through intake's screens (the
    referral form asks for the missing consent, which is recorded from there); their path."""
    page.goto(f"{base}/people/new")
    fill_registration(page, family)
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    person = page.url.split("?")[0].split(base)[1]
    page.goto(f"{base}{person}/referral")
    page.select_option("#target", target)
    page.select_option("#reason", reason)
    page.click("form[action$='/referral'] button[type=submit]")
    page.click("form input[name=then] >> xpath=.. >> button")
    page.wait_for_url(re.compile(rf".*/referral\?target={target}"))
    page.select_option("#reason", reason)
    page.click("form[action$='/referral'] button[type=submit]")
    page.wait_for_url(f"{base}{person}#referrals")
    return person


def test_signing_in_through_keycloak_gives_a_session_the_services_accept(stack, context):
    page = context.new_page()
    page.goto(f"{stack.url}/people")
    assert "/sign-in" in page.url
    page.click("a[href^='/sign-in/oidc']")
    page.wait_for_selector("#username")  # Keycloak's own login page
    page.fill("#username", "caseworker-oujda")
    page.fill("#password", "caseworker-oujda")
    page.click("#kc-login")
    page.wait_for_url(f"{stack.url}/people*")
    assert "oujda-solidarite" in page.inner_text("header")
    # The provider's token reaches intake, which checks it against the realm's keys.
    page.goto(f"{stack.url}/people/new")
    family = unique("Keycloak")
    fill_registration(page, family)
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    [person] = stack.people_named(family)
    assert person["partner_organisation"] == "oujda-solidarite"
    page.click("form[data-sign-out] button")
    page.wait_for_selector("[data-signed-out]")
    page.goto(f"{stack.url}/people")
    assert "/sign-in" in page.url
    # Signing out ended the provider's session too: it asks for the password again.
    page.click("a[href^='/sign-in/oidc']")
    page.wait_for_selector("#username")


def test_a_caseworker_registers_assesses_and_refers_a_person(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url)
    page.goto(f"{stack.url}/people/new")
    family = unique("Diallo")
    # errors first: nothing but a name, and no consent
    page.fill("#given_name", "Aminata")
    page.fill("#family_name", family)
    page.uncheck("#consent_service_delivery")
    page.click("#registration button[type=submit]")
    assert page.inner_text("#date_of_birth-error")
    assert "consentement" in page.inner_text("#consents-error")
    fill_registration(page, family)
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    assert "est inscrit" in page.inner_text("main")
    person_url = page.url.split("?")[0]

    page.click(f"a[href='{person_url.split(stack.url)[1]}/assessment']")
    page.check("#aspiration_job")
    page.select_option("#digital_skills", "basic")
    page.fill("#occupation_0", "7531")
    page.fill("#occupation_0_years", "4")
    page.click("main button[type=submit]")
    page.wait_for_url(person_url + "#assessments")
    assert "CITP 7531" in page.inner_text("#assessments")

    page.goto(person_url + "/referral")
    page.select_option("#target", "training")
    page.select_option("#reason", "vocational_training")
    page.click("form[action$='/referral'] button[type=submit]")
    warning = page.inner_text("[aria-labelledby=consent-missing-title]")
    assert "n'a pas accepté" in warning
    page.click("form input[name=then] >> xpath=.. >> button")
    page.wait_for_url(re.compile(r".*/referral\?target=training"))
    page.select_option("#reason", "vocational_training")
    page.click("form[action$='/referral'] button[type=submit]")
    page.wait_for_url(person_url + "#referrals")
    assert "Formation professionnelle" in page.inner_text("#referrals")
    assert "En attente" in page.inner_text("#referrals")


def test_a_duplicate_is_flagged_then_merged_by_a_programme_manager(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url)
    family = unique("Kone")
    for given in ("Mariam", "Mariame"):
        page.goto(f"{stack.url}/people/new")
        fill_registration(page, family, given=given, phone="+212612000111")
        page.click("#registration button[type=submit]")
        page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    flagged = page.inner_text("[aria-labelledby=dup-title]")
    assert "même téléphone" in flagged and "Mariam " not in flagged  # the reasons, not the other person's name
    page.click("form[data-sign-out] button")

    manager = context.new_page()
    dev_sign_in(manager, stack.url, role="programme_manager", name="Karim")
    manager.goto(f"{stack.url}/duplicates")
    manager.click("a[href^='/duplicates/review']")
    compare = manager.inner_text("table.compare")
    assert "Mariam" in compare and "Mariame" in compare
    manager.click("form[action$='/merge'] button:has-text('plus ancienne')")
    manager.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}$"))
    assert len(stack.people_named(family)) == 1
    assert len(stack.people_named(family, status="merged")) == 1


def test_an_import_shows_its_progress_and_its_error_report(stack, context):
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(
        [
            "prénom",
            "nom",
            "sexe",
            "date de naissance",
            "nationalité",
            "statut",
            "région",
            "ville",
            "consent_service_delivery",
        ]
    )
    family = unique("Import")
    for i in range(400):
        born = "2090-01-01" if i % 100 == 7 else f"19{70 + i % 25}-0{1 + i % 9}-1{i % 9}"
        writer.writerow(
            [
                f"Awa{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}",
                family,
                "F",
                born,
                "SEN",
                "refugee",
                "oriental",
                "Oujda",
                "oui",
            ]
        )
    page = context.new_page()
    dev_sign_in(page, stack.url)
    page.goto(f"{stack.url}/imports")
    page.set_input_files(
        "#file", files=[{"name": "inscriptions.csv", "mimeType": "text/csv", "buffer": rows.getvalue().encode()}]
    )
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/imports/[0-9a-f]+$"))
    assert page.locator("progress").count() == 1
    page.wait_for_selector("[data-rows-with-errors]", timeout=120_000)
    assert page.inner_text("[data-rows-with-errors]") == "4"
    assert page.inner_text("[data-imported]").replace("\u202f", "").replace("\xa0", "") == "396"
    report = page.inner_text("main table")
    assert "Date de naissance" in report and "109" in report and "est dans le futur" in report
    with page.expect_download() as download:
        page.click("a[href$='errors.csv']")
    content = download.value.path().read_text(encoding="utf-8")
    assert content.count("\n") >= 5 and "date_of_birth" in content


def test_a_registration_made_offline_is_sent_once_when_the_connection_returns(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url)
    page.goto(f"{stack.url}/people/new")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps the page for offline use
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.reload()  # the registration page opens without a connection
    family = unique("Offline")
    fill_registration(page, family, given="Fanta")
    page.click("#registration button[type=submit]")
    page.wait_for_selector("#waiting[data-count='1']")
    assert "1 inscription attend" in page.inner_text("#waiting")
    assert stack.people_named(family) == []
    # As if the device had sent it and lost the answer: the same registration waits twice.
    page.evaluate(
        "(() => { const q = JSON.parse(localStorage.getItem('w4l.waiting')); q.push(q[0]);"
        " localStorage.setItem('w4l.waiting', JSON.stringify(q)); })()"
    )
    context.set_offline(False)
    page.wait_for_function("JSON.parse(localStorage.getItem('w4l.waiting') || '[]').length === 0", timeout=30_000)
    assert "Fanta" in page.inner_text("#waiting")
    people = stack.people_named(family)
    assert len(people) == 1, people


def test_signing_out_removes_what_waits_on_the_device(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url)
    page.goto(f"{stack.url}/people/new")
    page.evaluate(
        "localStorage.setItem('w4l.waiting', JSON.stringify([{key: 'k-1', fields: {given_name: 'X'},"
        " errors: {city: 'est obligatoire'}}]))"
    )
    page.reload()
    assert "à corriger" in page.inner_text("#waiting")
    page.click("form[data-sign-out] button")
    page.wait_for_selector("[data-signed-out]")
    assert page.evaluate("localStorage.getItem('w4l.waiting')") is None


def test_a_caseworker_of_another_organisation_gets_a_not_found_page(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, organisation="amappe-rabat")
    page.goto(f"{stack.url}/people/new")
    fill_registration(page, unique("Scope"))
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    person_url = page.url.split("?")[0]
    page.click("form[data-sign-out] button")
    other = context.new_page()
    dev_sign_in(other, stack.url, organisation="oujda-solidarite", name="Youssef")
    answer = other.goto(person_url)
    assert answer.status == 404
    assert "Introuvable" in other.inner_text("h1")


def test_every_intake_screen_in_french_and_arabic_passes_axe(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, role="admin", name="Nadia")
    page.goto(f"{stack.url}/people/new")
    family = unique("Screens")
    fill_registration(page, family, phone="+212612777888")
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    page.goto(f"{stack.url}/people/new")
    fill_registration(page, family, given="Aminatou", phone="+212612777888")
    page.click("#registration button[type=submit]")
    page.wait_for_url(re.compile(r".*/people/[0-9a-f-]{36}.*"))
    person = page.url.split("?")[0].split(stack.url)[1]
    page.goto(f"{stack.url}/duplicates")
    review = page.get_attribute("a[href^='/duplicates/review']", "href")

    violations: list[str] = []
    for language in ("fr", "ar"):
        page.goto(f"{stack.url}/people")
        choose_language(page, language)
        assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
        screens = {
            "people": "/people",
            "people-filtered": f"/people?name={family}&region=oriental",
            "register": "/people/new",
            "person": person,
            "assessment": f"{person}/assessment",
            "referral": f"{person}/referral",
            "erase": f"{person}/erase",
            "duplicates": "/duplicates",
            "review": review,
            "outreach": "/outreach",
            "import": "/imports",
        }
        for screen, url in screens.items():
            page.goto(stack.url + url)
            violations += check_accessibility(page, screen)
        page.goto(f"{stack.url}/people/new")
        page.click("#registration button[type=submit]")  # an empty form: every error beside its field
        violations += check_accessibility(page, "register-errors")
        page.goto(f"{stack.url}{person}/referral")
        page.select_option("#target", "enterprise")
        page.select_option("#reason", "enterprise_support")
        page.click("form[action$='/referral'] button[type=submit]")
        violations += check_accessibility(page, "referral-consent-missing")
        page.goto(f"{stack.url}/outreach")
        page.click("details summary")
        violations += check_accessibility(page, "outreach-form")
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.goto(f"{stack.url}/people")
        violations += check_accessibility(page, "people-phone")
        page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{stack.url}/duplicates")
    page.click("form[action='/duplicates/scans'] button")
    page.wait_for_url(re.compile(r".*/duplicates/scans/.+"))
    page.wait_for_selector("[data-when-finished]:not([hidden])", timeout=60_000)
    violations += check_accessibility(page, "scan")
    page.click("form[data-sign-out] button")
    page.wait_for_selector("[data-signed-out]")
    violations += check_accessibility(page, "signed-out")
    page.goto(f"{stack.url}/sign-in")
    violations += check_accessibility(page, "sign-in")
    assert violations == [], "\n".join(violations)
    assert len(list(ARTEFACTS.glob("ar-*.png"))) >= 14 and len(list(ARTEFACTS.glob("fr-*.png"))) >= 14
