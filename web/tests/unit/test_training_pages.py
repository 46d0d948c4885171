"""Training's screens through the web application, over a real intake and a real training in the
same process (one in-memory broker between them): a referral made in intake is accepted in
training, the class takes its roll-calls, completes and gets its certificate."""

import asyncio
import html
import re
import uuid

import pytest

from ..conftest import person_form, web_over_services

SESSION_DAYS = "2026-11-02 2026-11-03 2026-11-04 2026-11-05"


@pytest.fixture
async def web(tmp_path):
    async with web_over_services(tmp_path, with_training=True) as (browser, apps):
        yield browser, apps


async def referred_person(browser, given_name="Aminata") -> str:
    """A person registered and referred to training through intake's screens; their id."""
    registered = await browser.post("/people", person_form(given_name=given_name))
    assert registered.status_code == 303, registered.text
    person_url = registered.headers["location"].split("?")[0]
    consent = await browser.post(person_url + "/consents", {"purpose": "referral", "organisation": "training"})
    assert consent.status_code == 303
    sent = await browser.post(person_url + "/referral", {"target": "training", "reason": "vocational_training"})
    assert sent.status_code == 303, sent.text
    return person_url.rsplit("/", 1)[1]


async def arrived(browser, text: str, url: str = "/training/candidates") -> str:
    """The page once `text` shows on it (the referral travels through the broker)."""
    for _ in range(150):
        page = await browser.get(url)
        if text in page.text:
            return page.text
        await asyncio.sleep(0.02)
    raise AssertionError(f"{text!r} never showed on {url}")


async def new_cohort(browser, capacity: int = 2) -> str:
    made = await browser.post(
        "/training/courses",
        {
            "title": "Couture et retouche",
            "kind": "vocational",
            "provider": "OFPPT Rabat",
            "sector": "textiles_and_clothing",
            "hours": "120",
            "certifying": "on",
            "min_attendance_percent": "75",
            "pass_mark": "50",
            "final_assessment_required": "on",
        },
    )
    assert made.status_code == 303, made.text
    course_url = made.headers["location"]
    opened = await browser.post(
        course_url + "/cohorts",
        {
            "label": "Couture Rabat novembre",
            "starts_on": "2026-11-02",
            "ends_on": "2026-12-18",
            "region": "rabat_sale_kenitra",
            "place": "Centre OFPPT, Hay Riad",
            "capacity": str(capacity),
            "trainer": "Mme Bennani",
            "session_days": SESSION_DAYS,
        },
    )
    assert opened.status_code == 303, opened.text
    return opened.headers["location"].rsplit("/", 1)[1]


def roll_call_links(page: str) -> list[str]:
    return re.findall(r'href="(/training/cohorts/[^"]+/roll-call)"', page)


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"no {name} on the page"
    return found.group(1)


async def test_a_referral_is_accepted_enrolled_attends_completes_and_gets_a_certificate(web):
    browser, _ = web
    await browser.sign_in()
    person = await referred_person(browser)
    cohort = await new_cohort(browser)
    candidates = await arrived(browser, "Aminata Traoré</a>")
    referral = re.search(r"/training/candidates/([0-9a-f-]+)/accept", candidates).group(1)
    accepted = await browser.post(
        f"/training/candidates/{referral}/accept", {"cohort_id": cohort, "beneficiary_id": person}
    )
    assert accepted.status_code == 303 and accepted.headers["location"].endswith(f"/training/cohorts/{cohort}#class")
    page = (await browser.get(f"/training/cohorts/{cohort}")).text
    assert "<td>Inscrit</td>" in page and "Aminata Traoré</a>" in page, "the class list, in French, with the name"
    await arrived(browser, "<td>Acceptée (", f"/people/{person}")  # intake heard the answer to its referral

    links = roll_call_links(page)
    assert len(links) == 4, "a roll-call for each session held"
    for link in links:
        roll = (await browser.get(link)).text
        assert f'name="mark_{person}"' in roll and "Présent" in roll
        saved = await browser.post(link, {"sheet_key": field(roll, "sheet_key"), f"mark_{person}": "present"})
        assert saved.status_code == 303, saved.text
    scored = await browser.post(
        f"/training/enrolments/{enrolment_of(page, person)}/score", {"score": "72", "cohort_id": cohort}
    )
    assert scored.status_code == 303
    done = await browser.post(f"/training/enrolments/{enrolment_of(page, person)}/complete", {"cohort_id": cohort})
    assert done.status_code == 303
    page = (await browser.get(f"/training/cohorts/{cohort}")).text
    assert "Terminé" in page and "100" in page
    number = re.search(r"Certificat ([A-Z0-9-]+) \(PDF\)", page).group(1)

    pdf = await browser.client.get(f"/training/enrolments/{enrolment_of(page, person)}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 2000

    await browser.post("/sign-out", {})
    check = await browser.client.get(f"/certificates/{number}")
    assert check.status_code == 200, "anyone may check a certificate, signed in or not"
    assert "est valide" in check.text and "Couture et retouche" in check.text
    assert "Aminata" not in check.text, "the check shows the course, never the person"
    mistyped = await browser.client.get(f"/certificates/{number[:-2]}00")
    assert mistyped.status_code == 404 and "chiffres de contrôle" in html.unescape(mistyped.text)


def enrolment_of(page: str, person: str) -> str:
    """The enrolment id of `person`'s row in the class list."""
    row = page[page.index(f"/people/{person}") :]
    return re.search(r"/training/enrolments/([0-9a-f-]+)/", row).group(1)


async def test_an_offline_roll_call_sent_twice_is_entered_once(web):
    browser, _ = web
    await browser.sign_in()
    first, second = await referred_person(browser), await referred_person(browser, given_name="Fatou")
    cohort = await new_cohort(browser)
    for person in (first, second):
        enrolled = await browser.post(f"/training/cohorts/{cohort}/enrolments", {"beneficiary_id": person})
        assert enrolled.status_code == 303
    page = await arrived(browser, "Fatou Traoré</a>", f"/training/cohorts/{cohort}")
    assert "Fatou Traoré" in page and page.count("/training/enrolments/") >= 2, page
    link = roll_call_links(page)[0]
    _, _, cohort_id, _, session_id, _ = link.strip("/").split("/")
    token = (await browser.client.get("/offline/csrf", headers={"accept": "application/json"})).json()["csrf"]
    waiting = {
        "key": str(uuid.uuid4()),
        "cohort_id": cohort_id,
        "session_id": session_id,
        "fields": {f"mark_{first}": "present", f"mark_{second}": "late"},
    }
    sent = await browser.client.post("/offline/attendance", json=waiting, headers={"x-csrf-token": token})
    assert sent.status_code == 200 and sent.json()["recorded"] == 2
    roll = (await browser.get(link)).text
    corrected = await browser.post(
        link, {"sheet_key": field(roll, "sheet_key"), f"mark_{second}": "absent", "correction_reason": "left at 9"}
    )
    assert corrected.status_code == 303
    again = await browser.client.post("/offline/attendance", json=waiting, headers={"x-csrf-token": token})
    assert again.status_code == 200, "the tablet's resend is answered as sent"
    roll = (await browser.get(link)).text
    assert re.search(rf'id="mark-{second}-absent"[^>]*checked', roll), "the resend did not undo the correction"
    assert re.search(rf'id="mark-{first}-present"[^>]*checked', roll)

    expired = await browser.client.post("/offline/attendance", json=waiting, headers={"x-csrf-token": "stale"})
    assert expired.status_code == 403 and expired.json()["status"] == "expired"
    broken = await browser.client.post("/offline/attendance", json={"fields": {}}, headers={"x-csrf-token": token})
    assert broken.status_code == 400
    stranger = {**waiting, "key": str(uuid.uuid4()), "fields": {f"mark_{uuid.uuid4()}": "present"}}
    refused = await browser.client.post("/offline/attendance", json=stranger, headers={"x-csrf-token": token})
    assert refused.status_code == 422 and refused.json()["status"] == "refused"


async def test_a_partner_organisation_sees_its_candidates_without_their_names(web):
    browser, _ = web
    await browser.sign_in()
    person = await referred_person(browser)
    await arrived(browser, "Aminata Traoré</a>")
    await browser.post("/sign-out", {})
    await browser.sign_in(organisation="ofppt-rabat", name="Karim")
    page = await browser.get("/training/candidates")
    assert page.status_code == 200
    assert "Aminata" not in page.text, "intake keeps the name from another organisation"
    assert f"Personne {person[:8]}" in page.text, "the candidate is there under a short pseudonymous reference"
    assert "Votre organisation n’a aucune session ouverte où inscrire." in html.unescape(page.text)


async def test_a_course_with_mistakes_is_refused_beside_its_fields_in_arabic(web):
    browser, _ = web
    await browser.sign_in()
    await browser.set_language("ar")
    answer = await browser.post("/training/courses", {"title": "Couture", "kind": "vocational", "hours": "0"})
    assert answer.status_code == 422
    assert 'dir="rtl"' in answer.text
    assert 'id="hours-error"' in answer.text and 'id="provider-error"' in answer.text


async def test_every_training_screen_renders_in_french_and_arabic(web):
    browser, _ = web
    await browser.sign_in()
    person = await referred_person(browser)
    cohort = await new_cohort(browser)
    await arrived(browser, "Aminata Traoré</a>")
    await browser.post(f"/training/cohorts/{cohort}/enrolments", {"beneficiary_id": person})
    cohort_page = (await browser.get(f"/training/cohorts/{cohort}")).text
    course = re.search(r'href="(/training/courses/[0-9a-f-]+)"', cohort_page).group(1)
    screens = ["/training", "/training/courses", course, f"/training/cohorts/{cohort}", "/training/candidates"]
    screens.append(roll_call_links(cohort_page)[0])
    for language in ("fr", "ar"):
        await browser.set_language(language)
        for url in screens:
            page = await browser.get(url)
            assert page.status_code == 200, (url, page.text[:300])
            assert f'lang="{language}"' in page.text
    filtered = await browser.get("/training?status=nonsense")
    assert filtered.status_code == 200 and 'id="status-error"' in filtered.text


async def test_a_declined_referral_is_answered_in_intake(web):
    browser, _ = web
    await browser.sign_in()
    person = await referred_person(browser)
    candidates = await arrived(browser, "Aminata Traoré</a>")
    found = re.search(r"/training/candidates/([0-9a-f-]+)/decline", candidates)
    assert found, candidates[candidates.index("<main") :]
    referral = found.group(1)
    declined = await browser.post(
        f"/training/candidates/{referral}/decline", {"note": "no course in Oujda", "then": "https://evil.example/"}
    )
    assert declined.status_code == 303 and declined.headers["location"] == "/training/candidates"
    await arrived(browser, "<td>Refusée (", f"/people/{person}")
    assert "Aminata" not in (await browser.get("/training/candidates")).text, "no longer pending"


async def test_a_persons_journey_shows_the_path_in_time_order_and_only_what_the_role_may_see(web):
    browser, _ = web
    await browser.sign_in()
    person = await referred_person(browser)
    cohort = await new_cohort(browser)
    await arrived(browser, "Aminata Traoré</a>")
    await browser.post(f"/training/cohorts/{cohort}/enrolments", {"beneficiary_id": person})
    page = (await browser.get(f"/training/cohorts/{cohort}")).text
    await browser.post(f"/training/enrolments/{enrolment_of(page, person)}/score", {"score": "90", "cohort_id": cohort})
    for link in roll_call_links(page):
        roll = (await browser.get(link)).text
        await browser.post(link, {"sheet_key": field(roll, "sheet_key"), f"mark_{person}": "present"})
    await browser.post(f"/training/enrolments/{enrolment_of(page, person)}/complete", {"cohort_id": cohort})
    journey = html.unescape(await arrived(browser, "Orientation vers Formation : ", f"/people/{person}/journey"))
    assert "Parcours de Aminata Traoré" in journey
    order = [
        "Inscrit·e par amappe-rabat",
        "Orienté·e vers Formation pour Formation professionnelle",
        "Inscrit·e en Couture et retouche",
        "A terminé Couture et retouche, certificat W4L-",
    ]
    positions = [journey.index(text) for text in order]
    assert positions == sorted(positions), "in time order (registration, referral, enrolment, completion)"

    await browser.post("/sign-out", {})
    await browser.sign_in(organisation="ofppt-rabat", name="Karim")
    other = html.unescape((await browser.get(f"/people/{person}/journey")).text)
    assert other.count("Aminata") == 0 and f"Parcours de la personne {person[:8]}" in other
    assert "Rien du parcours de cette personne ne vous est visible." in other, "absent, never an error"
