"""Attendance for the whole class, audited corrections, the completion rule, certificates and
closing a cohort."""

from datetime import timedelta
from uuid import uuid4

import pytest

from ..conftest import START, Clock, course_body, new_cohort, started_training

AFTER = START + timedelta(days=40)  # every session of a ten-session cohort is over


@pytest.fixture
async def training(sqlite_url):
    async with started_training(sqlite_url, clock=Clock(START - timedelta(days=3))) as running:
        yield running


async def class_of(client, intake, size: int, **cohort):
    course, made = await new_cohort(client, capacity=size, **cohort)
    people = []
    for _ in range(size):
        who, _ = await intake.refer()
        response = await client.post(f"/v1/cohorts/{made['cohort_id']}/enrolments", json={"beneficiary_id": str(who)})
        assert response.status_code == 201, response.text
        people.append((who, response.json()["enrolment_id"]))
    sessions = (await client.get(f"/v1/cohorts/{made['cohort_id']}/sessions")).json()
    return course, made, people, sessions


async def register(client, cohort, session, marks: dict, reason: str | None = None):
    body = {"entries": [{"beneficiary_id": str(w), "mark": m} for w, m in marks.items()]}
    if reason:
        body["correction_reason"] = reason
    return await client.put(f"/v1/cohorts/{cohort['cohort_id']}/sessions/{session['session_id']}/attendance", json=body)


async def test_attendance_is_entered_for_the_class_and_corrections_are_audited(training):
    client, intake, _, clock = training
    _, cohort, people, sessions = await class_of(client, intake, 3)
    clock.value = AFTER
    (a, _), (b, _), (c, _) = people
    first = await register(client, cohort, sessions[0], {a: "present", b: "late"})
    assert first.status_code == 200, first.text
    sheet = first.json()
    assert (sheet["recorded"], sheet["corrected"]) == (2, 0)
    assert sheet["not_on_sheet"] == [str(c)], "the register says who is missing from it"

    fixed = await register(client, cohort, sessions[0], {a: "present", b: "absent", c: "excused"}, "b left at 9:10")
    assert (fixed.json()["recorded"], fixed.json()["corrected"]) == (1, 1)
    trail = (
        await client.get(
            f"/v1/cohorts/{cohort['cohort_id']}/sessions/{sessions[0]['session_id']}/attendance/corrections"
        )
    ).json()
    assert [(t["beneficiary_id"], t["previous_mark"], t["new_mark"], t["reason"]) for t in trail] == [
        (str(b), "late", "absent", "b left at 9:10")
    ]
    assert trail[0]["corrected_by"] == "tester"
    marks = (
        await client.get(f"/v1/cohorts/{cohort['cohort_id']}/sessions/{sessions[0]['session_id']}/attendance")
    ).json()
    assert {m["beneficiary_id"]: m["mark"] for m in marks["marks"]} == {
        str(a): "present",
        str(b): "absent",
        str(c): "excused",
    }


async def test_a_register_sent_again_with_its_key_is_entered_once(training):
    """An offline roll-call's answer lost on a bad line: the tablet sends the same register again
    with the key it made. The repeat enters nothing, and does not undo a correction made since."""
    client, intake, _, clock = training
    _, cohort, people, sessions = await class_of(client, intake, 2)
    clock.value = AFTER
    (a, _), (b, _) = people
    url = f"/v1/cohorts/{cohort['cohort_id']}/sessions/{sessions[0]['session_id']}/attendance"
    sheet = {"entries": [{"beneficiary_id": str(a), "mark": "present"}, {"beneficiary_id": str(b), "mark": "late"}]}
    key = {"Idempotency-Key": str(uuid4())}
    first = await client.put(url, json=sheet, headers=key)
    assert first.status_code == 200 and first.json()["recorded"] == 2
    assert "idempotent-replayed" not in first.headers
    fixed = await register(client, cohort, sessions[0], {b: "absent"}, "b left early")
    assert fixed.json()["corrected"] == 1

    again = await client.put(url, json=sheet, headers=key)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert {m["beneficiary_id"]: m["mark"] for m in again.json()["marks"]} == {str(a): "present", str(b): "absent"}
    trail = (await client.get(f"{url}/corrections")).json()
    assert [(t["previous_mark"], t["new_mark"]) for t in trail] == [("late", "absent")], "nothing entered twice"

    elsewhere = f"/v1/cohorts/{cohort['cohort_id']}/sessions/{sessions[1]['session_id']}/attendance"
    reused = await client.put(elsewhere, json=sheet, headers=key)
    assert reused.status_code == 409 and "another session" in reused.json()["detail"]
    bad = await client.put(url, json=sheet, headers={"Idempotency-Key": "short"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "header.idempotency-key"


async def test_attendance_for_a_session_of_another_cohort_is_refused(training):
    client, intake, _, clock = training
    _, cohort, people, _ = await class_of(client, intake, 1)
    _, other = await new_cohort(client, label="Autre")
    foreign = (await client.get(f"/v1/cohorts/{other['cohort_id']}/sessions")).json()[0]
    clock.value = AFTER
    response = await register(client, cohort, foreign, {people[0][0]: "present"})
    assert response.status_code == 404
    assert response.json()["detail"] == f"cohort {cohort['cohort_id']} has no session {foreign['session_id']}"


async def test_attendance_for_someone_without_a_seat_or_a_session_not_held_yet_is_refused(training):
    client, intake, _, clock = training
    _, cohort, people, sessions = await class_of(client, intake, 1)
    too_early = await register(client, cohort, sessions[0], {people[0][0]: "present"})
    assert too_early.status_code == 422
    assert too_early.json()["errors"][0]["field"] == "held_on"

    clock.value = AFTER
    stranger = uuid4()
    response = await register(client, cohort, sessions[0], {people[0][0]: "present", stranger: "present"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "entries.1.beneficiary_id" and str(stranger) in error["reason"]

    twice = await client.put(
        f"/v1/cohorts/{cohort['cohort_id']}/sessions/{sessions[0]['session_id']}/attendance",
        json={"entries": [{"beneficiary_id": str(people[0][0]), "mark": "present"}] * 2},
    )
    assert twice.status_code == 422 and "listed twice" in twice.json()["detail"]


async def test_completion_needs_enough_attendance_and_a_passed_final_assessment(training):
    client, intake, published, clock = training
    _, cohort, [(who, enrolment_id)], sessions = await class_of(client, intake, 1)
    clock.value = AFTER
    for session in sessions[:7]:
        await register(client, cohort, session, {who: "present"})

    refused = await client.post(f"/v1/enrolments/{enrolment_id}/complete")
    assert refused.status_code == 409
    errors = {e["field"]: e["reason"] for e in refused.json()["errors"]}
    assert errors["attendance"] == "attended 7 of 10 sessions (70%), below the 80% the course requires"
    assert errors["final_assessment"] == "no final assessment recorded yet"
    assert refused.json()["code"] == "completion_rule_unmet"
    assert [(e["code"], e["values"]) for e in refused.json()["errors"]] == [
        ("attendance_below_rule", {"attended": 7, "sessions": 10, "percent": 70, "required": 80}),
        ("no_final_assessment", {}),
    ]

    await register(client, cohort, sessions[7], {who: "late"})  # late counts as attended
    failed = await client.put(f"/v1/enrolments/{enrolment_id}/final-assessment", json={"score": 42})
    assert failed.json()["final_passed"] is False
    refused = await client.post(f"/v1/enrolments/{enrolment_id}/complete")
    assert [e["field"] for e in refused.json()["errors"]] == ["final_assessment"]

    await client.put(f"/v1/enrolments/{enrolment_id}/final-assessment", json={"score": 71})
    done = await client.post(f"/v1/enrolments/{enrolment_id}/complete")
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed" and body["attendance_rate"] == 0.8
    assert body["certificate_number"].startswith("W4L-2026-")

    [event] = await published.settle("training.course_completed")
    assert event["data"]["certificate_number"] == body["certificate_number"]
    assert event["data"]["attendance_rate"] == 0.8 and event["data"]["final_assessment_passed"] is True
    answers = await published.settle("training.referral_answered", 2)
    assert [a["data"]["answer"] for a in answers] == ["accepted", "completed"]

    again = await client.post(f"/v1/enrolments/{enrolment_id}/complete")
    assert again.status_code == 409 and "completed, not enrolled" in again.json()["detail"]


async def test_a_course_sets_its_own_completion_rule(training):
    client, intake, _, clock = training
    rule = {"min_attendance_percent": 50, "final_assessment_required": False, "pass_mark": 50}
    _, cohort, [(who, enrolment_id)], sessions = await class_of(
        client, intake, 1, course=course_body(certifying=False, completion_rule=rule)
    )
    clock.value = AFTER
    for session in sessions[:5]:
        await register(client, cohort, session, {who: "present"})
    done = await client.post(f"/v1/enrolments/{enrolment_id}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["certificate_number"] is None, "a course that does not certify issues no certificate"


async def test_a_certificate_number_can_be_checked_by_anyone(training):
    client, intake, _, clock = training
    rule = {"min_attendance_percent": 10, "final_assessment_required": False, "pass_mark": 50}
    _, cohort, [(who, enrolment_id)], sessions = await class_of(
        client, intake, 1, course=course_body(completion_rule=rule)
    )
    clock.value = AFTER
    await register(client, cohort, sessions[0], {who: "present"})
    number = (await client.post(f"/v1/enrolments/{enrolment_id}/complete")).json()["certificate_number"]

    anonymous = {"Authorization": ""}
    checked = await client.get(f"/v1/certificates/{number.lower()}", headers=anonymous)
    assert checked.status_code == 200, checked.text
    assert checked.json()["valid"] is True and checked.json()["course_title"] == "Couture et retouche"
    assert "beneficiary_id" not in checked.json()

    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
    response = await client.get(f"/v1/certificates/{mistyped}", headers=anonymous)
    assert response.status_code == 422 and "check digits do not match" in response.json()["detail"]
    assert (await client.get("/v1/certificates/W4L-2026-7KQ2M9XD-88", headers=anonymous)).status_code == 404
    assert (await client.get("/v1/certificates/hello", headers=anonymous)).status_code == 422


async def test_closing_a_cohort_decides_everyone_and_ends_the_waiting_list(training):
    client, intake, published, clock = training
    _, cohort, people, sessions = await class_of(client, intake, 2)
    waiting, _ = await intake.refer()
    await client.post(
        f"/v1/cohorts/{cohort['cohort_id']}/enrolments",
        json={"beneficiary_id": str(waiting), "join_waiting_list": True},
    )
    (good, good_id), (poor, _) = people
    clock.value = AFTER
    for session in sessions:
        await register(client, cohort, session, {good: "present", poor: "absent"})
    await client.put(f"/v1/enrolments/{good_id}/final-assessment", json={"score": 90})

    early = START + timedelta(days=5)
    clock.value = early
    assert (await client.post(f"/v1/cohorts/{cohort['cohort_id']}/close")).status_code == 409
    clock.value = AFTER
    closed = await client.post(f"/v1/cohorts/{cohort['cohort_id']}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json() == {
        "cohort_id": cohort["cohort_id"],
        "completed": 1,
        "certificates": 1,
        "not_completed": 1,
        "waiting_list_cancelled": 1,
    }
    [dropped] = await published.settle("training.dropped_out")
    assert dropped["data"]["reason"] == "not_completed" and dropped["data"]["attendance_rate"] == 0.0
    assert (await client.get(f"/v1/cohorts/{cohort['cohort_id']}")).json()["status"] == "finished"
    frozen = await register(client, cohort, sessions[0], {good: "absent"})
    assert frozen.status_code == 409


async def test_dropout_reasons_the_service_records_itself_are_refused_from_staff(training):
    client, intake, _, _ = training
    _, _, [(_, enrolment_id)], _ = await class_of(client, intake, 1)
    response = await client.post(f"/v1/enrolments/{enrolment_id}/dropout", json={"reason": "not_completed"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
    future = await client.post(
        f"/v1/enrolments/{enrolment_id}/dropout", json={"reason": "health", "dropped_on": "2030-01-01"}
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "dropped_on"
