"""Training's screens as a trainer uses them, in a real headless Chromium over intake, training and
the web app as processes on the real broker: a referral accepted becomes an enrolment, roll-calls,
a completion with its certificate; a roll-call taken offline is sent once; every training screen
in French and Arabic checked by axe-core and kept as a screenshot."""

import json
import re
from datetime import date, timedelta

import pytest

from .conftest import check_accessibility, choose_language, dev_sign_in
from .test_staff_app import registered_and_referred, unique

pytestmark = pytest.mark.e2e

TODAY = date.today()
SESSION_DAYS = [TODAY - timedelta(days=d) for d in (20, 19, 18, 17)]


def open_cohort(page, base: str, title: str) -> str:
    """A course added to the catalogue and a cohort of it opened, through the screens; its path."""
    page.goto(f"{base}/training/courses")
    page.click("details summary")
    page.fill("#title", title)
    page.select_option("#kind", "vocational")
    page.fill("#provider", "OFPPT Oujda")
    page.select_option("#sector", "textiles_and_clothing")
    page.fill("#hours", "120")
    page.check("#certifying")
    page.fill("#min_attendance_percent", "75")
    page.click("form[action='/training/courses'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/training/courses/[0-9a-f-]{36}$"))
    page.click("details summary")
    page.fill("#label", f"{title} Oujda")
    page.fill("#starts_on", SESSION_DAYS[0].isoformat())
    page.fill("#ends_on", (TODAY + timedelta(days=14)).isoformat())
    page.select_option("#region", "oriental")
    page.fill("#place", "Centre OFPPT, Oujda")
    page.fill("#capacity", "12")
    page.fill("#trainer", "Mme Alaoui")
    page.fill("#session_days", " ".join(d.isoformat() for d in SESSION_DAYS))
    page.click("form[action$='/cohorts'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/training/cohorts/[0-9a-f-]{36}$"))
    return page.url.split(base)[1]


def wait_for_text(page, url: str, text: str, tries: int = 60) -> None:
    """Reload `url` until `text` shows (a referral or an answer travels through the broker)."""
    for _ in range(tries):
        page.goto(url)
        if text in page.inner_text("main"):
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{text!r} never showed on {url}")


def trained_so_far(context, base: str) -> int:
    """Indicator 1.4 (people trained) programme to date, as a programme manager sees it on the M&E
    screen, in a browser profile of its own."""
    manager = context.browser.new_context(locale="fr-FR")
    try:
        page = manager.new_page()
        dev_sign_in(page, base, role="programme_manager", name="Nadia")
        page.goto(f"{base}/indicators?period=programme")
        return int(page.get_attribute("tr[data-code='1.4'] td[data-total]", "data-total"))
    finally:
        manager.close()


def test_a_referral_accepted_in_training_becomes_an_enrolment_and_a_completion(stack, context):
    trained_before = trained_so_far(context, stack.url)
    page = context.new_page()
    dev_sign_in(page, stack.url)
    family = unique("Trainee")
    person = registered_and_referred(page, stack.url, family, "training", "vocational_training")
    cohort = open_cohort(page, stack.url, unique("Couture"))

    wait_for_text(page, f"{stack.url}/training/candidates", family)
    row = page.locator("tr", has_text=family)
    row.locator("select[name=cohort_id]").select_option(cohort.rsplit("/", 1)[1])
    row.locator("form[action$='/accept'] button").click()
    page.wait_for_url(f"{stack.url}{cohort}#class")
    assert "Inscrit" in page.inner_text("#class ~ .table-wrap") and family in page.inner_text("main")
    wait_for_text(page, f"{stack.url}{person}", "Acceptée")  # intake heard training's answer

    page.goto(f"{stack.url}{cohort}")
    roll_calls = [a.get_attribute("href") for a in page.locator("a[href$='/roll-call']").all()]
    assert len(roll_calls) == 4
    for link in roll_calls:
        page.goto(stack.url + link)
        page.click("[data-all-present]")
        page.click("form[data-roll-call] button[type=submit]")
        page.wait_for_url(f"{stack.url}{cohort}#schedule")
        assert "L’appel est enregistré" in page.inner_text("main")
    page.fill("input[name=score]", "81")
    page.click("form[action$='/score'] button")
    page.wait_for_url(f"{stack.url}{cohort}#class")
    page.click("form[action$='/complete'] button")
    page.wait_for_url(f"{stack.url}{cohort}#class")
    assert "Terminé" in page.inner_text("main")
    pdf = context.request.get(stack.url + page.get_attribute("a[href$='certificate.pdf']", "href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    number = re.search(r"W4L-\d{4}-[0-9A-Z]{8}-\d\d", page.inner_text("main")).group(0)

    for _ in range(60):  # the completion travels to reporting through the broker
        if trained_so_far(context, stack.url) == trained_before + 1:
            break
        page.wait_for_timeout(500)
    assert trained_so_far(context, stack.url) == trained_before + 1, "the completion shows in the M&E table"
    wait_for_text(page, f"{stack.url}{person}/journey", "A terminé")
    journey = page.inner_text("ol.journey")
    assert journey.index("Orienté·e vers Formation") < journey.index("Inscrit·e en") < journey.index("A terminé")

    employer = context.browser.new_context(locale="fr-FR")  # not signed in
    try:
        check = employer.new_page()
        check.goto(f"{stack.url}/certificates/{number}")
        assert "est valide" in check.inner_text("main") and family not in check.inner_text("main")
    finally:
        employer.close()


def test_a_roll_call_taken_offline_is_sent_once_when_the_connection_returns(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url)
    family = unique("Offroll")
    person = registered_and_referred(page, stack.url, family, "training", "vocational_training")
    cohort = open_cohort(page, stack.url, unique("Cuisine"))
    wait_for_text(page, f"{stack.url}{cohort}", family)
    page.locator("tr", has_text=family).locator("form[action$='/enrolments'] button").click()
    page.wait_for_url(f"{stack.url}{cohort}#class")
    link = page.locator("a[href$='/roll-call']").first.get_attribute("href")

    page.goto(stack.url + link)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps this roll-call for offline use
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.reload()  # the roll-call opens without a connection
    page.click("label.mark.late")
    page.click("form[data-roll-call] button[type=submit]")
    page.wait_for_selector("#waiting[data-roll-count='1']")
    assert "Appels en attente sur cet appareil" in page.inner_text("#waiting")
    # As if the tablet had sent it and lost the answer: the same roll-call waits twice.
    page.evaluate(
        "(() => { const q = JSON.parse(localStorage.getItem('w4l.roll-calls')); q.push(q[0]);"
        " localStorage.setItem('w4l.roll-calls', JSON.stringify(q)); })()"
    )
    kept = page.evaluate("localStorage.getItem('w4l.roll-calls')")
    context.set_offline(False)
    page.wait_for_function("JSON.parse(localStorage.getItem('w4l.roll-calls') || '[]').length === 0", timeout=30_000)

    person_id = person.rsplit("/", 1)[1]
    _, cohort_id, _, session_id, _ = link.strip("/").split("/")[1:]
    url = f"/v1/cohorts/{cohort_id}/sessions/{session_id}/attendance"
    with stack.training_api() as api:
        marks = api.get(url).json()["marks"]
        assert [(m["beneficiary_id"], m["mark"]) for m in marks] == [(person_id, "late")]
        assert api.get(f"{url}/corrections").json() == [], "the second copy entered nothing"
        fixed = api.put(url, json={"entries": [{"beneficiary_id": person_id, "mark": "present"}]})
        assert fixed.status_code == 200
    # The tablet finds the old copy again (a restored backup, a second tab): sent, not re-entered.
    page.evaluate(f"localStorage.setItem('w4l.roll-calls', JSON.stringify([JSON.parse({json.dumps(kept)})[0]]))")
    page.evaluate("window.w4lFlush()")
    page.wait_for_function("JSON.parse(localStorage.getItem('w4l.roll-calls') || '[]').length === 0", timeout=30_000)
    with stack.training_api() as api:
        assert [m["mark"] for m in api.get(url).json()["marks"]] == ["present"], "the correction stands"


def test_every_training_screen_in_french_and_arabic_passes_axe(stack, context):
    page = context.new_page()
    dev_sign_in(page, stack.url, name="Samira")
    family = unique("Axetrain")
    person = registered_and_referred(page, stack.url, family, "training", "vocational_training")
    cohort = open_cohort(page, stack.url, unique("Soudure"))
    wait_for_text(page, f"{stack.url}{cohort}", family)
    page.locator("tr", has_text=family).locator("form[action$='/enrolments'] button").click()
    page.wait_for_url(f"{stack.url}{cohort}#class")
    course = page.locator("dl.facts a[href^='/training/courses/']").get_attribute("href")
    roll_call = page.locator("a[href$='/roll-call']").first.get_attribute("href")
    assert person

    violations: list[str] = []
    for language in ("fr", "ar"):
        page.goto(f"{stack.url}/training")
        choose_language(page, language)
        screens = {
            "training-cohorts": "/training",
            "training-courses": "/training/courses",
            "training-course": course,
            "training-cohort": cohort,
            "training-candidates": "/training/candidates",
            "training-roll-call": roll_call,
            "certificate-check-unknown": "/certificates/W4L-2026-7KQ2M9XD-88",
            "journey": f"{person}/journey",
        }
        for screen, url in screens.items():
            page.goto(stack.url + url)
            violations += check_accessibility(page, screen)
        page.goto(f"{stack.url}/training/courses")
        page.click("details summary")
        page.click("form[action='/training/courses'] button[type=submit]")  # browser-side required fields
        page.fill("#title", "x")
        page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
        page.click("form[action='/training/courses'] button[type=submit]")  # the service's errors, beside fields
        assert page.locator("#provider-error").count() == 1
        violations += check_accessibility(page, "training-course-errors")
    assert violations == [], "\n".join(violations)
