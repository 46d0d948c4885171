"""A person assessed in intake and certified in training is matched to an offer in employment,
hired, and passes the 3-month retention check; through the real broker, with every service a
process of its own. Intake sees both referrals completed.
"""

import json
import time
from datetime import date, timedelta

import httpx
import pytest

from work4life.runtime.testing import bearer, read_topic

pytestmark = pytest.mark.e2e

CLERK = bearer("caseworker", "amappe-tanger", "karima")
TRAINER = bearer("caseworker", "ofppt-tanger", "youssef")
ADVISER = bearer("caseworker", "ajr-tanger", "hind")

PERSON = {
    "given_name": "Fatou",
    "family_name": "Ndiaye",
    "sex": "female",
    "date_of_birth": "1997-02-14",
    "nationality": "SEN",
    "legal_status": "regular_migrant",
    "region": "tanger_tetouan_al_hoceima",
    "city": "Tanger",
    "phone": "+212662345678",
    "partner_organisation": "amappe-tanger",
    "registered_on": (date.today() - timedelta(days=240)).isoformat(),  # a paper form entered today
    "consents": [
        {"purpose": "service_delivery"},
        {"purpose": "referral", "organisation": "training"},
        {"purpose": "referral", "organisation": "employment"},
    ],
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


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def certify(trainer: httpx.Client, who: str) -> str:
    eventually(lambda: trainer.get("/v1/candidates").json()["total"], lambda n: n == 1)
    course = ok(
        trainer.post(
            "/v1/courses",
            json={
                "title": "Cuisine professionnelle",
                "kind": "vocational",
                "provider": "OFPPT Tanger",
                "hours": 300,
                "certifying": True,
                "sector": "hospitality_and_tourism",
            },
        ),
        201,
    )
    days = [date.today() - timedelta(days=n) for n in (220, 219, 218, 217)]
    cohort = ok(
        trainer.post(
            f"/v1/courses/{course['course_id']}/cohorts",
            json={
                "label": "Cuisine Tanger",
                "starts_on": days[0].isoformat(),
                "ends_on": days[-1].isoformat(),
                "region": "tanger_tetouan_al_hoceima",
                "place": "Tanger",
                "capacity": 15,
                "trainer": "Chef Amrani",
                "sessions": [{"held_on": d.isoformat()} for d in days],
            },
        ),
        201,
    )
    enrolment = {"beneficiary_id": who, "enrolled_on": (days[0] - timedelta(days=5)).isoformat()}
    place = ok(trainer.post(f"/v1/cohorts/{cohort['cohort_id']}/enrolments", json=enrolment), 201)
    for session in ok(trainer.get(f"/v1/cohorts/{cohort['cohort_id']}/sessions")):
        sheet = {"entries": [{"beneficiary_id": who, "mark": "present"}]}
        ok(trainer.put(f"/v1/cohorts/{cohort['cohort_id']}/sessions/{session['session_id']}/attendance", json=sheet))
    ok(trainer.put(f"/v1/enrolments/{place['enrolment_id']}/final-assessment", json={"score": 88}))
    return ok(trainer.post(f"/v1/enrolments/{place['enrolment_id']}/complete"))["certificate_number"]


def test_an_assessed_and_certified_person_is_matched_hired_and_retained_at_3_months(
    start_services, kafka_bootstrap, topic_namespace
):
    intake, training, employment = start_services("intake", "training", "employment")
    ago = lambda days: (date.today() - timedelta(days=days)).isoformat()  # noqa: E731
    with (
        httpx.Client(base_url=intake.url, headers=CLERK, timeout=10) as clerk,
        httpx.Client(base_url=training.url, headers=TRAINER, timeout=10) as trainer,
        httpx.Client(base_url=employment.url, headers=ADVISER, timeout=10) as adviser,
    ):
        who = ok(clerk.post("/v1/beneficiaries", json=PERSON), 201)["beneficiary_id"]
        ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/assessments",
                json={
                    "languages": [{"code": "fr", "level": "fluent"}, {"code": "wo", "level": "native"}],
                    "education_level": "lower_secondary",
                    "occupations": [{"isco08": "5120", "years": 2}],
                    "skills": ["cooking", "food safety"],
                    "digital_skills": "basic",
                    "aspirations": ["job", "training"],
                },
            ),
            201,
        )
        for service, reason in (("training", "vocational_training"), ("employment", "job_placement")):
            ok(
                clerk.post(
                    f"/v1/beneficiaries/{who}/referrals",
                    json={"service": service, "reason": reason, "made_on": ago(235)},
                ),
                201,
            )
        certificate = certify(trainer, who)

        employer = ok(
            adviser.post(
                "/v1/employers",
                json={
                    "name": "Riad Tanja",
                    "type": "sme",
                    "ownership": "moroccan",
                    "sector": "hospitality_and_tourism",
                    "region": "tanger_tetouan_al_hoceima",
                    "city": "Tanger",
                    "csr_commitment": True,
                    "contact_name": "M. Tazi",
                },
            ),
            201,
        )
        offer = ok(
            adviser.post(
                f"/v1/employers/{employer['employer_id']}/offers",
                json={
                    "title": "Cuisinière",
                    "kind": "job",
                    "positions": 1,
                    "isco08": "5120",
                    "skills": ["cooking", "food safety"],
                    "languages": [{"code": "fr", "level": "intermediate"}],
                    "contract_type": "fixed_term",
                    "wage_band": "3000_to_4500",
                    "opens_on": ago(200),
                    "closes_on": ago(-60),
                },
            ),
            201,
        )
        # The certificate travels training -> Kafka -> employment; the match says so when it has arrived.
        best = eventually(
            lambda: adviser.get(f"/v1/offers/{offer['offer_id']}/matches").json()["items"],
            lambda items: items and "certified" in {p["factor"]: p for p in items[0]["explanation"]}["training"]["why"],
        )[0]
        assert best["beneficiary_id"] == who and best["score"] == 100.0

        application = ok(
            adviser.post(
                f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": who, "shortlisted_on": ago(130)}
            ),
            201,
        )
        steps = f"/v1/applications/{application['application_id']}"
        ok(adviser.post(f"{steps}/steps", json={"to": "interviewed", "on": ago(125)}))
        placement = ok(
            adviser.post(
                f"{steps}/hire",
                json={
                    "contract_type": "fixed_term",
                    "starts_on": ago(110),
                    "hours_per_week": 44,
                    "wage_band": "3000_to_4500",
                },
            ),
            201,
        )
        assert [c["months_after_start"] for c in placement["retention_checks"]] == [3, 6, 12]
        due = ok(adviser.get("/v1/retention-checks/due"))["items"]
        assert [(d["placement_id"], d["months_after_start"]) for d in due] == [(placement["placement_id"], 3)]
        checked = ok(
            adviser.put(
                f"/v1/placements/{placement['placement_id']}/retention/3",
                json={"checked_on": ago(15), "outcome": "still_employed"},
            )
        )
        assert checked["retention_checks"][0]["status"] == "recorded"
        assert ok(adviser.get("/v1/retention-checks/due"))["total"] == 0

        statuses = eventually(
            lambda: {
                r["service"]: r["status"]
                for r in clerk.get("/v1/referrals", params={"beneficiary_id": who}).json()["items"]
            },
            lambda s: s == {"training": "completed", "employment": "completed"},
        )
        assert statuses["employment"] == "completed"

    records = read_topic(kafka_bootstrap, f"{topic_namespace}employment.placements", expected=2, timeout_s=30)
    events = [json.loads(r.value) for r in records]
    assert [e["event_type"] for e in events] == ["employment.placed", "employment.retention_checked"]
    assert events[0]["data"]["beneficiary_id"] == who and events[0]["data"]["employer_csr"] is True
    assert (events[1]["data"]["months_after_start"], events[1]["data"]["outcome"]) == (3, "still_employed")
    assert certificate.startswith("W4L-")
