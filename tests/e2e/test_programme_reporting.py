"""A small generated programme run through all five services on the real broker: twenty people
registered, informed, assessed and referred in intake; trained in training; two ventures in
enterprise (one launched with a grant and followed up, one rejected); hires and retention checks
in employment. Reporting's indicators and exports must then say exactly what the driver did (the
M&E screen that shows them is driven in Chromium by tests/browser).
"""

import csv
import io
import os
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from work4life.runtime.testing import bearer

pytestmark = pytest.mark.e2e

CLERK = bearer("caseworker", "amappe-rabat", "karima")
TRAINER = bearer("caseworker", "ofppt-rabat", "youssef")
COACH = bearer("caseworker", "incubator-rabat", "samir")
ADVISER = bearer("caseworker", "ajr-rabat", "hind")
MANAGER = bearer("programme_manager", "lead-ngo", "leila")
ARTEFACTS = Path(os.environ.get("W4L_TEST_ARTEFACTS", Path(__file__).resolve().parents[2] / ".state" / "artefacts"))


def ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def eventually(fetch, accept, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fetch()
        if accept(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout}s; last: {last!r}")


def person(i: int) -> dict:
    return {
        "given_name": f"Personne{chr(65 + i)}",
        "family_name": "Test",
        "sex": "female" if i % 2 else "male",
        "date_of_birth": f"{1985 + i}-05-0{1 + i % 9}",
        "nationality": ["CIV", "GIN", "SEN", "CMR"][i % 4],
        "legal_status": ["refugee", "asylum_seeker", "regular_migrant"][i % 3],
        "region": "rabat_sale_kenitra" if i % 3 else "oriental",
        "registered_on": ago(220),  # entered today from the paper forms of the programme's first month
        "city": "Rabat",
        "partner_organisation": "amappe-rabat",
        "consents": [
            {"purpose": "service_delivery"},
            {"purpose": "statistics"},
            *({"purpose": "referral", "organisation": s} for s in ("training", "enterprise", "employment")),
        ],
    }


SERVICES = ("intake", "training", "enterprise", "employment", "reporting")


def test_a_generated_programme_through_all_five_services_is_reported_exactly(start_services):
    play(start_services(*SERVICES))


def test_the_same_programme_on_a_broker_with_tls_passwords_and_acls(start_secure_services):
    """Every kind of write and read the services do, each with its own principal and nothing more
    than `w4l-kafka-acls` grants: topics checked (retention), outboxes published, every consumer
    group reading, lag measured, a dead letter written and counted from its topic, a snapshot
    published by reporting (the grant that was missing)."""
    from kafka import KafkaConsumer, KafkaProducer

    from work4life.runtime.status import probe

    services = start_secure_services(*SERVICES)
    play(services)
    broker, namespace = start_secure_services.broker, start_secure_services.namespace
    by_name = dict(zip(SERVICES, services, strict=True))
    for service in services:
        seen = probe(service.name, service.url)
        assert seen.ready and seen.checks == {"database": "ok", "kafka": "ok"}, (service.name, seen)
        assert seen.outbox_pending in (None, 0), f"{service.name} could not publish everything"

    # A snapshot: reporting writes reporting.snapshots with its own principal.
    manager = httpx.Client(base_url=by_name["reporting"].url, headers=MANAGER, timeout=30)
    snapshot = ok(manager.post("/v1/snapshots"), 202)
    admin = {
        "bootstrap_servers": broker.bootstrap,
        "security_protocol": "SASL_SSL",
        "ssl_cafile": broker.ca_file,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "admin",
        "sasl_plain_password": broker.admin_password,
    }
    # Metadata asked for every second: a subscription without a group is assigned from the first
    # metadata that lists the topic's partitions, and would otherwise wait five minutes for another.
    reader = KafkaConsumer(
        f"{namespace}reporting.snapshots",
        group_id=None,
        auto_offset_reset="earliest",
        metadata_max_age_ms=1000,
        **admin,
    )
    try:
        found = []
        for _ in range(60):
            found += [r for batch in reader.poll(timeout_ms=500).values() for r in batch]
            if any(snapshot["snapshot_id"] in r.value.decode() for r in found):
                break
        assert any(snapshot["snapshot_id"] in r.value.decode() for r in found), "no snapshot on the topic"
    finally:
        reader.close()

    # A malformed record on intake's topic: training writes it to its dead-letter topic and counts
    # it there as waiting (a read of its own dead letters).
    options = {
        **admin,
        "sasl_plain_username": "w4l-intake",
        "sasl_plain_password": start_secure_services.passwords["intake"],
    }
    producer = KafkaProducer(acks="all", **options)
    try:
        producer.send(f"{namespace}intake.beneficiaries", key=b"x", value=b"{not json").get(timeout=15)
    finally:
        producer.close()

    def training_waiting() -> float:
        lines = httpx.get(f"{by_name['training'].url}/metrics").text.splitlines()
        return sum(float(x.rsplit(" ", 1)[1]) for x in lines if x.startswith("w4l_dead_letters_waiting{"))

    assert eventually(training_waiting, lambda n: n == 1) == 1
    manager.close()


def play(services) -> None:
    """Drive the generated programme through the five services and check what reporting says."""
    intake, training, enterprise, employment, reporting = services
    clerk = httpx.Client(base_url=intake.url, headers=CLERK, timeout=10)
    trainer = httpx.Client(base_url=training.url, headers=TRAINER, timeout=10)
    coach = httpx.Client(base_url=enterprise.url, headers=COACH, timeout=10)
    adviser = httpx.Client(base_url=employment.url, headers=ADVISER, timeout=10)
    manager = httpx.Client(base_url=reporting.url, headers=MANAGER, timeout=30)

    # -- intake: registration, outreach, assessment, referrals -------------------------------
    people = [ok(clerk.post("/v1/beneficiaries", json=person(i)), 201)["beneficiary_id"] for i in range(20)]
    for reached, attendees in ((40, people[:2]), (25, people[2:3])):
        ok(
            clerk.post(
                "/v1/outreach-sessions",
                json={
                    "campaign": "Droits et services",
                    "held_on": ago(210),
                    "region": "rabat_sale_kenitra",
                    "city": "Rabat",
                    "topic": "rights",
                    "people_reached": reached,
                    "registered_attendees": attendees,
                },
            ),
            201,
        )
    for who in people:
        ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/assessments",
                json={
                    "languages": [{"code": "fr", "level": "fluent"}],
                    "education_level": "lower_secondary",
                    "occupations": [{"isco08": "5120", "years": 2}],
                    "skills": ["cooking"],
                    "digital_skills": "basic",
                    "aspirations": ["job"],
                },
            ),
            201,
        )
        ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/referrals",
                json={"service": "training", "reason": "financial_education", "made_on": ago(218)},
            ),
            201,
        )
    for who in people[:6]:
        ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/referrals",
                json={"service": "enterprise", "reason": "enterprise_support", "made_on": ago(218)},
            ),
            201,
        )
    for who in people[6:12]:
        ok(
            clerk.post(
                f"/v1/beneficiaries/{who}/referrals",
                json={"service": "employment", "reason": "job_placement", "made_on": ago(218)},
            ),
            201,
        )

    # -- training: 16 of 20 complete financial education -------------------------------------
    eventually(lambda: trainer.get("/v1/candidates").json()["total"], lambda n: n == 20)
    course = ok(
        trainer.post(
            "/v1/courses",
            json={
                "title": "Éducation financière",
                "kind": "financial_education",
                "provider": "OFPPT",
                "hours": 30,
                "certifying": True,
                "sector": "cross_sector",
                "completion_rule": {"min_attendance_percent": 80, "final_assessment_required": False},
            },
        ),
        201,
    )
    days = [ago(205), ago(204), ago(203)]
    cohort = ok(
        trainer.post(
            f"/v1/courses/{course['course_id']}/cohorts",
            json={
                "label": "EF Rabat",
                "starts_on": days[0],
                "ends_on": days[-1],
                "region": "rabat_sale_kenitra",
                "place": "Rabat",
                "capacity": 20,
                "trainer": "M. Berrada",
                "sessions": [{"held_on": d} for d in days],
            },
        ),
        201,
    )
    url = f"/v1/cohorts/{cohort['cohort_id']}"
    for who in people:
        ok(trainer.post(f"{url}/enrolments", json={"beneficiary_id": who, "enrolled_on": ago(206)}), 201)
    for session in ok(trainer.get(f"{url}/sessions")):
        marks = [{"beneficiary_id": w, "mark": "present" if i < 16 else "absent"} for i, w in enumerate(people)]
        ok(trainer.put(f"{url}/sessions/{session['session_id']}/attendance", json={"entries": marks}))
    closing = ok(trainer.post(f"{url}/close"))
    assert (closing["completed"], closing["not_completed"]) == (16, 4)

    # -- enterprise: venture A launched with a grant and followed up; venture B (an existing
    # business) rejected: neither created nor strengthened ------------------------------------
    eventually(lambda: coach.get("/v1/candidates").json()["total"], lambda n: n == 6)
    venture = {"kind": "micro_enterprise", "sector": "agrifood", "region": "rabat_sale_kenitra", "city": "Rabat"}
    a = ok(
        coach.post("/v1/ventures", json={**venture, "name": "A", "members": people[:3], "applied_on": ago(200)}), 201
    )
    b = ok(
        coach.post(
            "/v1/ventures",
            json={**venture, "name": "B", "members": people[3:5], "applied_on": ago(200), "already_running": True},
        ),
        201,
    )
    committee = {"decided_on": ago(195), "committee": "Comité Rabat"}
    ok(
        coach.post(
            f"/v1/ventures/{b['venture_id']}/transitions",
            json={"to": "rejected", "reason": "not_viable", "committee": committee},
        )
    )
    for stage in ("pre_incubation", "incubation"):
        ok(coach.post(f"/v1/ventures/{a['venture_id']}/transitions", json={"to": stage, "committee": committee}))
    va = f"/v1/ventures/{a['venture_id']}"
    ok(
        coach.put(
            f"{va}/business-plan",
            json={
                "investment_need_mad": "40000.00",
                "own_contribution_mad": "10000.00",
                "grant_requested_mad": "30000.00",
                "expected_jobs": 4,
                "expected_monthly_revenue_mad": "8000.00",
            },
        )
    )
    grant = eventually(
        lambda: coach.post(
            f"{va}/grant",
            json={
                "approved_mad": "30000.00",
                "approved_on": ago(185),
                "tranches": [{"amount_mad": "30000.00", "milestone": "Tools bought"}],
            },
        ),
        lambda r: r.status_code == 201,
    ).json()
    tranche = f"/v1/grants/{grant['grant_id']}/tranches/1"
    ok(coach.post(f"{tranche}/milestone", json={"met_on": ago(184), "evidence": "invoice"}))
    ok(coach.post(f"{tranche}/disbursements", json={"amount_mad": "30000.00", "disbursed_on": ago(183)}), 201)
    ok(
        coach.post(
            f"{va}/launch", json={"legal_form": "auto_entrepreneur", "registered_on": ago(182), "premises": "Rabat"}
        )
    )
    visit = {
        "visited_on": ago(1),
        "active": True,
        "revenue_band": "5000_to_15000",
        "jobs_owners": 3,
        "jobs_employees": 1,
    }
    ok(coach.put(f"{va}/follow-ups/6", json=visit))

    # -- employment: two hires, one rejection, retention at 3 months ---------------------------
    employer = ok(
        adviser.post(
            "/v1/employers",
            json={
                "name": "Restaurant Al Bahia",
                "type": "sme",
                "ownership": "moroccan",
                "sector": "hospitality_and_tourism",
                "region": "rabat_sale_kenitra",
                "city": "Rabat",
                "contact_name": "M. Idrissi",
            },
        ),
        201,
    )
    offer = ok(
        adviser.post(
            f"/v1/employers/{employer['employer_id']}/offers",
            json={
                "title": "Commis",
                "kind": "job",
                "positions": 2,
                "isco08": "5120",
                "contract_type": "fixed_term",
                "wage_band": "3000_to_4500",
                "opens_on": ago(200),
                "closes_on": ago(-30),
            },
        ),
        201,
    )
    eventually(lambda: adviser.get(f"/v1/offers/{offer['offer_id']}/matches").json()["total"], lambda n: n == 6)
    applications = []
    for who in people[6:9]:
        app = ok(
            adviser.post(
                f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": who, "shortlisted_on": ago(150)}
            ),
            201,
        )
        applications.append(f"/v1/applications/{app['application_id']}")
        ok(adviser.post(f"{applications[-1]}/steps", json={"to": "interviewed", "on": ago(148)}))
    hire = {"contract_type": "fixed_term", "starts_on": ago(140), "hours_per_week": 44, "wage_band": "3000_to_4500"}
    placements = [ok(adviser.post(f"{steps}/hire", json=hire), 201) for steps in applications[:2]]
    ok(adviser.post(f"{applications[2]}/steps", json={"to": "rejected", "reason": "position_filled"}))
    ok(
        adviser.put(
            f"/v1/placements/{placements[0]['placement_id']}/retention/3",
            json={"checked_on": ago(45), "outcome": "still_employed"},
        )
    )
    left = {"checked_on": ago(45), "outcome": "left", "left_reason": "resigned", "left_on": ago(60)}
    ok(adviser.put(f"/v1/placements/{placements[1]['placement_id']}/retention/3", json=left))

    # -- reporting: exactly what the driver did --------------------------------------------------
    want = {
        "1.1": 2 + 3 + 1,
        "1.2": 1,
        "businesses_created": 1,
        "businesses_strengthened": 0,
        "1.3": 3,
        "1.4": 16,
        "3.2": 20,
        "3.3": 65,
        "3.11": 2,
        "placements": 2,
        "financial_volume": "30000.00",
        "retention_3m": 50.0,
        "survival_6m": 100.0,
    }

    def totals() -> dict:
        table = manager.get("/v1/indicators").json()
        return {i["code"]: i["total"] for i in table["indicators"]}

    got = eventually(totals, lambda t: all(str(t.get(k)) == str(v) for k, v in want.items()))
    assert got["retention_6m"] is None and got["survival_12m"] is None, "nothing to measure yet: no data, not 0 %"
    funnel = {s["stage"]: s["people"] for s in manager.get("/v1/funnel").json()["stages"]}
    assert funnel == {
        "registered": 20,
        "assessed": 20,
        "referred": 20,
        "trained": 16,
        "in_incubation": 3,
        "launched": 3,
        "placed": 2,
        "retained": 1,
    }
    by_sex = manager.get("/v1/indicators/1.4", params={"by": "sex"}).json()["breakdown"]
    assert sum(c["value"] for c in by_sex) == 16 and {c["sex"] for c in by_sex} == {"female", "male"}
    rows = list(csv.DictReader(io.StringIO(manager.get("/v1/indicators.csv").text)))
    assert {r["code"]: r["value"] for r in rows}["1.4"] == "16"
    workbook = manager.get("/v1/indicators.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"

    for client in (clerk, trainer, coach, adviser, manager):
        client.close()
