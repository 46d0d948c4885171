"""A person referred in intake completes financial education in training, and their venture goes
from application to launch to a 12-month follow-up in enterprise, with its grant's tranches
disbursed; every step's event reaches Kafka, and intake sees the referral completed.

Intake, training and enterprise run as processes (`python -m work4life.<service>`), each with its
own database, on one real broker.
"""

import json
import time
from datetime import date, timedelta

import httpx
import pytest

from work4life.runtime.testing import bearer, read_topic

pytestmark = pytest.mark.e2e

CLERK = bearer("caseworker", "amappe-oujda", "karima")
TRAINER = bearer("caseworker", "ofppt-oujda", "youssef")
COACH = bearer("caseworker", "incubator-oujda", "samir")

PERSON = {
    "given_name": "Moussa",
    "family_name": "Diallo",
    "sex": "male",
    "date_of_birth": "1994-09-12",
    "nationality": "GIN",
    "legal_status": "refugee",
    "region": "oriental",
    "city": "Oujda",
    "phone": "+212661234567",
    "partner_organisation": "amappe-oujda",
    "registered_on": (date.today() - timedelta(days=520)).isoformat(),  # a paper form entered today
    "consents": [
        {"purpose": "service_delivery"},
        {"purpose": "referral", "organisation": "training"},
        {"purpose": "referral", "organisation": "enterprise"},
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


def complete_financial_education(trainer: httpx.Client, who: str) -> None:
    eventually(lambda: trainer.get("/v1/candidates").json()["total"], lambda n: n == 1)
    course = ok(
        trainer.post(
            "/v1/courses",
            json={
                "title": "Éducation financière",
                "kind": "financial_education",
                "provider": "OFPPT Oujda",
                "hours": 20,
                "certifying": False,
                "sector": "cross_sector",
                "completion_rule": {"min_attendance_percent": 80, "final_assessment_required": False},
            },
        ),
        201,
    )
    today = date.today()
    days = [today - timedelta(days=n) for n in (500, 499, 498)]
    cohort = ok(
        trainer.post(
            f"/v1/courses/{course['course_id']}/cohorts",
            json={
                "label": "Éducation financière Oujda",
                "starts_on": days[0].isoformat(),
                "ends_on": days[-1].isoformat(),
                "region": "oriental",
                "place": "Oujda",
                "capacity": 20,
                "trainer": "M. Berrada",
                "sessions": [{"held_on": d.isoformat()} for d in days],
            },
        ),
        201,
    )
    enrolment = {"beneficiary_id": who, "enrolled_on": (days[0] - timedelta(days=5)).isoformat()}
    place = ok(trainer.post(f"/v1/cohorts/{cohort['cohort_id']}/enrolments", json=enrolment), 201)
    for session in ok(trainer.get(f"/v1/cohorts/{cohort['cohort_id']}/sessions")):
        ok(
            trainer.put(
                f"/v1/cohorts/{cohort['cohort_id']}/sessions/{session['session_id']}/attendance",
                json={"entries": [{"beneficiary_id": who, "mark": "present"}]},
            )
        )
    ok(trainer.post(f"/v1/enrolments/{place['enrolment_id']}/complete"))


def test_a_venture_goes_from_application_to_a_12_month_follow_up_and_every_step_reaches_kafka(
    start_services, kafka_bootstrap, topic_namespace
):
    intake, training, enterprise = start_services("intake", "training", "enterprise")
    today = date.today()
    ago = lambda days: (today - timedelta(days=days)).isoformat()  # noqa: E731
    with (
        httpx.Client(base_url=intake.url, headers=CLERK, timeout=10) as clerk,
        httpx.Client(base_url=training.url, headers=TRAINER, timeout=10) as trainer,
        httpx.Client(base_url=enterprise.url, headers=COACH, timeout=10) as coach,
    ):
        who = ok(clerk.post("/v1/beneficiaries", json=PERSON), 201)["beneficiary_id"]
        ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/referrals",
                json={"service": "training", "reason": "financial_education", "made_on": ago(515)},
            ),
            201,
        )
        referral = ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/referrals",
                json={"service": "enterprise", "reason": "enterprise_support", "made_on": ago(515)},
            ),
            201,
        )["referral_id"]
        complete_financial_education(trainer, who)

        eventually(lambda: coach.get("/v1/candidates").json()["total"], lambda n: n == 1)
        venture = ok(
            coach.post(
                "/v1/ventures",
                json={
                    "name": "Atelier Diallo Menuiserie",
                    "kind": "micro_enterprise",
                    "sector": "crafts",
                    "region": "oriental",
                    "city": "Oujda",
                    "members": [who],
                    "applied_on": ago(430),
                },
            ),
            201,
        )
        url = f"/v1/ventures/{venture['venture_id']}"
        skipped = coach.post(f"{url}/transitions", json={"to": "launched"})
        assert skipped.status_code == 409
        for stage, day in (("pre_incubation", 425), ("incubation", 410)):
            decision = {"decided_on": ago(day), "committee": "Comité Oujda", "score": 71}
            ok(coach.post(f"{url}/transitions", json={"to": stage, "committee": decision}))
        ok(
            coach.put(
                f"{url}/business-plan",
                json={
                    "investment_need_mad": "50000.00",
                    "own_contribution_mad": "10000.00",
                    "grant_requested_mad": "40000.00",
                    "expected_jobs": 2,
                    "expected_monthly_revenue_mad": "9000.00",
                },
            )
        )
        grant = eventually(  # the training completion travels through Kafka
            lambda: coach.post(
                f"{url}/grant",
                json={
                    "approved_mad": "40000.00",
                    "approved_on": ago(405),
                    "tranches": [
                        {"amount_mad": "25000.00", "milestone": "Workshop rented, tools bought"},
                        {"amount_mad": "15000.00", "milestone": "First orders delivered"},
                    ],
                },
            ),
            lambda r: r.status_code == 201,
        ).json()
        tranches = f"/v1/grants/{grant['grant_id']}/tranches"
        too_much = coach.post(f"{tranches}/1/disbursements", json={"amount_mad": "25000.00"})
        assert too_much.status_code == 409 and "milestone is not met yet" in too_much.json()["detail"]
        for number, amount, met, paid in ((1, "25000.00", 400, 399), (2, "15000.00", 390, 389)):
            ok(coach.post(f"{tranches}/{number}/milestone", json={"met_on": ago(met), "evidence": "visit report"}))
            ok(
                coach.post(
                    f"{tranches}/{number}/disbursements", json={"amount_mad": amount, "disbursed_on": ago(paid)}
                ),
                201,
            )
        beyond = coach.post(f"{tranches}/2/disbursements", json={"amount_mad": "0.01"})
        assert beyond.status_code == 409 and "beyond what was approved" in beyond.json()["detail"]

        registered = today - timedelta(days=380)
        ok(
            coach.post(
                f"{url}/launch",
                json={
                    "legal_form": "auto_entrepreneur",
                    "registered_on": registered.isoformat(),
                    "premises": "Hay Al Qods",
                },
            )
        )
        visits = ok(coach.get(f"{url}/follow-ups"))
        assert [v["months_after_launch"] for v in visits] == [6, 12, 24, 36]
        for months, day in ((6, 190), (12, 10)):
            ok(
                coach.put(
                    f"{url}/follow-ups/{months}",
                    json={
                        "visited_on": ago(day),
                        "active": True,
                        "revenue_band": "5000_to_15000",
                        "jobs_owners": 1,
                        "jobs_employees": 2,
                    },
                )
            )
        assert ok(coach.get(url))["stage"] == "followed_up"
        eventually(
            lambda: {
                r["referral_id"]: r["status"]
                for r in clerk.get("/v1/referrals", params={"beneficiary_id": who}).json()["items"]
            }[referral],
            lambda status: status == "completed",
        )

    records = read_topic(kafka_bootstrap, f"{topic_namespace}enterprise.ventures", expected=10, timeout_s=30)
    steps = [(e["event_type"], e["data"].get("stage")) for e in (json.loads(r.value) for r in records)]
    assert steps == [
        ("enterprise.venture_applied", None),
        ("enterprise.venture_stage_changed", "pre_incubation"),
        ("enterprise.venture_stage_changed", "incubation"),
        ("enterprise.grant_approved", None),
        ("enterprise.grant_disbursed", None),
        ("enterprise.grant_disbursed", None),
        ("enterprise.venture_launched", None),
        ("enterprise.venture_stage_changed", "followed_up"),
        ("enterprise.follow_up_recorded", None),
        ("enterprise.follow_up_recorded", None),
    ]
    paid = [
        json.loads(r.value)["data"]
        for r in records
        if json.loads(r.value)["event_type"] == "enterprise.grant_disbursed"
    ]
    assert [(p["amount_mad"], p["amount_eur"]) for p in paid] == [("25000.00", "2314.81"), ("15000.00", "1388.89")]
    assert all(json.loads(r.value)["data"]["members"] == [who] for r in records)
