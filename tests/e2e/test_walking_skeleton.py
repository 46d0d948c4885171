"""A person registered in intake shows up in reporting's count, through a real Kafka broker,
and reporting's count stays exact when its process is killed during a burst."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text

from work4life.runtime.testing import bearer, letters_for

pytestmark = pytest.mark.e2e

CASEWORKER = bearer("caseworker", "work4life")
VIEWER = bearer("me_viewer", "work4life")
MANAGER = bearer("programme_manager", "work4life")  # sees exact figures; the viewer sees small ones hidden

PERSON = {
    "given_name": "Yao",
    "family_name": "Kouassi",
    "sex": "male",
    "date_of_birth": "1993-07-21",
    "nationality": "CIV",
    "legal_status": "regular_migrant",
    "region": "tanger_tetouan_al_hoceima",
    "city": "Tanger",
    "phone": "+212600000000",
    "consents": [{"purpose": "service_delivery"}, {"purpose": "statistics"}],
}


def reporting_total(reporting) -> int:
    return httpx.get(f"{reporting.url}/v1/registrations/summary", headers=MANAGER, timeout=5).json()["total"]


def wait_for_total(reporting, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        try:
            total = reporting_total(reporting)
        except httpx.HTTPError:
            total = -1
        if total >= expected:
            return total
        time.sleep(0.05)
    return total


def test_a_registration_made_over_http_is_in_reporting_count(services):
    intake, reporting = services
    started = time.monotonic()
    response = httpx.post(f"{intake.url}/v1/beneficiaries", json=PERSON, headers=CASEWORKER, timeout=10)
    assert response.status_code == 201, response.text
    assert wait_for_total(reporting, 1, timeout=30) == 1
    print(f"\nregistration visible in reporting after {1000 * (time.monotonic() - started):.0f} ms")
    summary = httpx.get(f"{reporting.url}/v1/registrations/summary", headers=MANAGER).json()
    assert summary == {"total": 1, "by_sex": {"male": 1}, "by_region": {"tanger_tetouan_al_hoceima": 1}}
    hidden = httpx.get(f"{reporting.url}/v1/registrations/summary", headers=VIEWER).json()
    assert hidden == {
        "total": "<5",
        "by_sex": {"male": "suppressed"},
        "by_region": {"tanger_tetouan_al_hoceima": "suppressed"},
    }, "one person is a small cell for anyone below programme manager"


def test_reporting_killed_with_sigkill_during_a_burst_of_1000_registrations_counts_exactly_1000(services):
    intake, reporting = services
    total_registrations = 1000
    sent = 0
    sent_lock = threading.Lock()
    failures: list[str] = []
    thresholds = (250, 650)
    # Registrations well past a kill wait until reporting is back: on a loaded machine the restart
    # can take longer than the rest of the burst, and the second kill would land after the end.
    restarted = [threading.Event() for _ in thresholds]

    def register(i: int) -> None:
        nonlocal sent
        for threshold, back in zip(thresholds, restarted, strict=True):
            if i >= threshold + 100:
                back.wait(timeout=120)
        # 1,000 different people (different birth dates and names): a burst of one person registered
        # 1,000 times would measure duplicate flagging, not delivery.
        born = date(1970, 1, 1) + timedelta(days=11 * i)
        body = {
            **PERSON,
            "given_name": f"Person {letters_for(i)}",
            "family_name": f"Family {letters_for(i % 97)} {letters_for(i // 97)}",
            "date_of_birth": born.isoformat(),
            "phone": f"+2126{i:08d}",
            "sex": "female" if i % 2 else "male",
        }
        with httpx.Client(timeout=30, headers=CASEWORKER) as client:
            response = client.post(f"{intake.url}/v1/beneficiaries", json=body)
        if response.status_code != 201:
            failures.append(f"{i}: {response.status_code} {response.text}")
        with sent_lock:
            sent += 1

    kills = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(register, i) for i in range(total_registrations)]
        for threshold, back in zip(thresholds, restarted, strict=True):
            while sent < threshold:
                time.sleep(0.01)
            seen_before_kill = reporting_total(reporting)
            reporting.kill()
            kills.append((sent, seen_before_kill))
            reporting.start()
            back.set()
        for future in futures:
            future.result()
    assert failures == []

    final = wait_for_total(reporting, total_registrations, timeout=120)
    time.sleep(2.0)  # anything still in flight (a redelivered record) would land now
    final = reporting_total(reporting)
    print(f"\nkills (registrations sent, count seen just before SIGKILL): {kills}; final count: {final}")
    assert final == total_registrations
    assert all(0 < seen < total_registrations for _, seen in kills), "a kill must land mid-burst"

    engine = create_engine(reporting.database_url)
    with engine.connect() as connection:
        people = connection.execute(text("SELECT count(*) FROM person")).scalar_one()
        inbox = dict(connection.execute(text("SELECT event_type, count(*) FROM inbox GROUP BY event_type")).all())
    engine.dispose()
    assert people == total_registrations
    # Each registration is one event, and each of its two consents (service delivery, statistics) another,
    # which reporting reads for the research extract: every one recorded once, none lost, none twice.
    assert inbox == {
        "intake.beneficiary_registered": total_registrations,
        "intake.consent_given": 2 * total_registrations,
    }
