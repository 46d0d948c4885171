"""A referral made in intake becomes a candidate in training, then an enrolment, attendance and a
completion with a certificate, through the real broker; intake sees the referral's status change.

Both services run as processes (`python -m work4life.<service>`) with their own databases.
"""

import time
from datetime import date, timedelta

import httpx
import pytest

from work4life.runtime.testing import bearer

pytestmark = pytest.mark.e2e

INTAKE_CASEWORKER = bearer("caseworker", "amappe-rabat", "karima")
TRAINER = bearer("caseworker", "ofppt-rabat", "youssef")

PERSON = {
    "given_name": "Aminata",
    "family_name": "Traoré",
    "sex": "female",
    "date_of_birth": "1996-04-02",
    "nationality": "CIV",
    "legal_status": "asylum_seeker",
    "region": "rabat_sale_kenitra",
    "city": "Rabat",
    "phone": "+212612345678",
    "partner_organisation": "amappe-rabat",
    "registered_on": (date.today() - timedelta(days=20)).isoformat(),  # a paper form entered today
    "consents": [{"purpose": "service_delivery"}, {"purpose": "referral", "organisation": "training"}],
}


def eventually(fetch, accept, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fetch()
        if accept(last):
            return last
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s; last: {last!r}")


def test_a_referral_from_intake_ends_in_a_certificate_and_intake_sees_it_completed(start_services):
    intake, training = start_services("intake", "training")
    with (
        httpx.Client(base_url=intake.url, headers=INTAKE_CASEWORKER, timeout=10) as clerk,
        httpx.Client(base_url=training.url, headers=TRAINER, timeout=10) as trainer,
    ):
        registered = clerk.post("/v1/beneficiaries", json=PERSON)
        assert registered.status_code == 201, registered.text
        who = registered.json()["beneficiary_id"]
        referred = clerk.post(
            f"/v1/beneficiaries/{who}/referrals",
            json={
                "service": "training",
                "reason": "vocational_training",
                "made_on": (date.today() - timedelta(days=15)).isoformat(),
            },
        )
        assert referred.status_code == 201, referred.text
        referral_id = referred.json()["referral_id"]

        started = time.monotonic()
        [candidate] = eventually(lambda: trainer.get("/v1/candidates").json()["items"], lambda items: len(items) == 1)
        print(f"\nreferral became a candidate in training after {1000 * (time.monotonic() - started):.0f} ms")
        assert candidate == {
            **candidate,
            "referral_id": referral_id,
            "beneficiary_id": who,
            "region": "rabat_sale_kenitra",
        }

        course = trainer.post(
            "/v1/courses",
            json={
                "title": "Couture et retouche",
                "kind": "vocational",
                "provider": "OFPPT Rabat",
                "hours": 60,
                "certifying": True,
                "sector": "textiles_and_clothing",
            },
        ).json()
        today = date.today()
        days = [today - timedelta(days=n) for n in range(10, 0, -2)]  # five sessions, all over
        cohort = trainer.post(
            f"/v1/courses/{course['course_id']}/cohorts",
            json={
                "label": "Couture Rabat",
                "starts_on": days[0].isoformat(),
                "ends_on": days[-1].isoformat(),
                "region": "rabat_sale_kenitra",
                "place": "Centre OFPPT, Rabat",
                "capacity": 12,
                "trainer": "Mme Bennani",
                "sessions": [{"held_on": d.isoformat()} for d in days],
            },
        )
        assert cohort.status_code == 201, cohort.text
        cohort_id = cohort.json()["cohort_id"]
        assert [c["referral_id"] for c in trainer.get(f"/v1/cohorts/{cohort_id}/candidates").json()["items"]] == [
            referral_id
        ]

        enrolled_on = (today - timedelta(days=11)).isoformat()  # the day before the first session
        enrolled = trainer.post(
            f"/v1/cohorts/{cohort_id}/enrolments", json={"beneficiary_id": who, "enrolled_on": enrolled_on}
        )
        assert enrolled.status_code == 201, enrolled.text
        enrolment_id = enrolled.json()["enrolment_id"]
        eventually(
            lambda: clerk.get("/v1/referrals", params={"beneficiary_id": who}).json()["items"][0]["status"],
            lambda status: status == "accepted",
        )

        for session in trainer.get(f"/v1/cohorts/{cohort_id}/sessions").json():
            sheet = trainer.put(
                f"/v1/cohorts/{cohort_id}/sessions/{session['session_id']}/attendance",
                json={"entries": [{"beneficiary_id": who, "mark": "present"}]},
            )
            assert sheet.status_code == 200, sheet.text
        too_soon = trainer.post(f"/v1/enrolments/{enrolment_id}/complete")
        assert too_soon.status_code == 409 and too_soon.json()["errors"][0]["field"] == "final_assessment"
        assert trainer.put(f"/v1/enrolments/{enrolment_id}/final-assessment", json={"score": 76}).status_code == 200
        completed = trainer.post(f"/v1/enrolments/{enrolment_id}/complete")
        assert completed.status_code == 200, completed.text
        certificate = completed.json()["certificate_number"]
        assert completed.json()["attendance_rate"] == 1.0 and certificate

        started = time.monotonic()
        eventually(
            lambda: clerk.get("/v1/referrals", params={"beneficiary_id": who}).json()["items"][0]["status"],
            lambda status: status == "completed",
        )
        print(f"completion reached intake's referral after {1000 * (time.monotonic() - started):.0f} ms")
        checked = httpx.get(f"{training.url}/v1/certificates/{certificate}", timeout=5).json()
        assert checked["valid"] is True and checked["course_title"] == "Couture et retouche"
