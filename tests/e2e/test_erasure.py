"""Erasure reaches everywhere: a person referred to training, enterprise and employment, assessed
and counted by reporting, is erased in intake; then every table of every service's database and
every record of every topic is searched for their name, phone and document number, and nothing
is found, while reporting's totals stay what they were."""

import time

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, inspect, text

from work4life.contracts.topics import CATALOGUE
from work4life.runtime.testing import bearer

from ..conftest import caught_up, eventually

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "training", "enterprise", "employment", "reporting")
CLERK = bearer("caseworker", "amappe-rabat", "aicha")
MANAGER = bearer("programme_manager", "amappe-rabat", "karim")
# What must not survive: distinctive enough that no other data could contain it by chance.
GIVEN, FAMILY, PHONE, DOCUMENT = "Zainabou", "Quarshie-Ekwueme", "+212 699 123 457", "QX-778812-ZZ"
NEEDLES = (GIVEN.lower(), FAMILY.lower(), "quarshie", "699123457", "699 123 457", DOCUMENT.lower(), "778812")


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def database_dump(url: str) -> str:
    """Every row of every table, as text, lower-cased."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = [
                str(row)
                for table in inspect(connection).get_table_names()
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            ]
    finally:
        engine.dispose()
    return "\n".join(rows).lower()


def topics_dump(bootstrap: str, namespace: str) -> tuple[int, str]:
    """Every record (key, value and headers) of every catalogue and dead-letter topic."""
    names = [f"{namespace}{t.name}" for t in CATALOGUE] + [f"{namespace}{s}.dead_letters" for s in SERVICES]
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    chunks, count = [], 0
    try:
        partitions = [TopicPartition(n, p) for n in names for p in sorted(consumer.partitions_for_topic(n) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        for _ in range(120):
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    count += 1
                    chunks += [(r.key or b"").decode(errors="replace"), (r.value or b"").decode(errors="replace")]
                    chunks += [f"{k}={v.decode(errors='replace')}" for k, v in (r.headers or [])]
            if all(consumer.position(tp) >= ends[tp] for tp in partitions):
                break
    finally:
        consumer.close()
    return count, "\n".join(chunks).lower()


def test_an_erased_person_is_found_in_no_database_and_no_topic_and_the_totals_stay(
    start_services, kafka_bootstrap, topic_namespace
):
    running = start_services(*SERVICES, env={"LAG_REFRESH_INTERVAL_S": "0.5"})
    intake, training, enterprise, employment, reporting = running
    person = {
        "given_name": GIVEN,
        "family_name": FAMILY,
        "sex": "female",
        "date_of_birth": "1994-02-11",
        "nationality": "GHA",
        "legal_status": "asylum_seeker",
        "region": "rabat_sale_kenitra",
        "city": "Rabat",
        "phone": PHONE,
        "document_type": "asylum_seeker_certificate",
        "document_number": DOCUMENT,
        "partner_organisation": "amappe-rabat",
        "consents": [
            {"purpose": "service_delivery"},
            {"purpose": "statistics"},
            *({"purpose": "referral", "organisation": s} for s in ("training", "enterprise", "employment")),
        ],
    }
    with httpx.Client(base_url=intake.url, headers=CLERK, timeout=10) as clerk:
        who = ok(clerk.post("/v1/beneficiaries", json=person), 201)["beneficiary_id"]
        ok(
            clerk.post(
                "/v1/beneficiaries",
                json={**person, "given_name": "Kwame", "family_name": "Mensah", "phone": None, "document_number": None},
            ),
            201,
        )
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
        for service, reason in (
            ("training", "vocational_training"),
            ("enterprise", "enterprise_support"),
            ("employment", "job_placement"),
        ):
            ok(clerk.post(f"/v1/beneficiaries/{who}/referrals", json={"service": service, "reason": reason}), 201)

    staff = bearer("caseworker", "amappe-rabat")
    eventually(lambda: httpx.get(f"{training.url}/v1/candidates", headers=staff).json()["total"], lambda n: n == 1)
    eventually(lambda: httpx.get(f"{enterprise.url}/v1/candidates", headers=staff).json()["total"], lambda n: n == 1)
    eventually(lambda: httpx.get(f"{employment.url}/v1/candidates", headers=staff).json()["total"], lambda n: n == 1)
    summary = lambda: httpx.get(f"{reporting.url}/v1/registrations/summary", headers=MANAGER).json()  # noqa: E731
    before = eventually(summary, lambda s: s["total"] == 2)
    eventually(lambda: caught_up(running), bool)

    # The person's data is there before the erasure (so the search below can find it).
    assert GIVEN.lower() in database_dump(intake.database_url)

    ok(httpx.delete(f"{intake.url}/v1/beneficiaries/{who}", headers=MANAGER, timeout=10))
    time.sleep(1.0)  # the erasure event leaves intake's outbox, then every consumer commits past it
    eventually(lambda: caught_up(running), bool)

    found = {}
    for service in running:
        dump = database_dump(service.database_url)
        found.update({f"{service.name} database: {n}": True for n in NEEDLES if n in dump})
    records, dump = topics_dump(kafka_bootstrap, topic_namespace)
    found.update({f"topics: {n}": True for n in NEEDLES if n in dump})
    assert records >= 8, f"only {records} records read back: the search would prove nothing"
    assert not found, f"personal data survived the erasure: {sorted(found)}"

    assert summary() == before, "reporting's totals changed with the erasure"
