"""The catalogue's validation, lists and filters, and who may do what."""

import pytest

from work4life.runtime.testing import bearer

from ..conftest import ORG, cohort_body, course_body, new_cohort, started_training

VIEWER = bearer("me_viewer", "lead-ngo", "omar")
OTHER_CASEWORKER = bearer("caseworker", "another-partner", "sara")
MANAGER = bearer("programme_manager", "lead-ngo", "leila")


@pytest.fixture
async def training(sqlite_url):
    async with started_training(sqlite_url) as running:
        yield running


async def test_a_course_is_created_with_the_default_completion_rule(training):
    client, _, _, _ = training
    made = await client.post("/v1/courses", json=course_body(title="  Couture   et retouche "))
    assert made.status_code == 201, made.text
    course = made.json()
    assert course["title"] == "Couture et retouche" and course["organisation"] == ORG
    assert course["completion_rule"] == {
        "min_attendance_percent": 80,
        "final_assessment_required": True,
        "pass_mark": 50,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (course_body(kind="cooking"), "kind"),
        (course_body(hours=0), "hours"),
        (course_body(title="   "), "title"),
        (course_body(sector=None), "sector"),
        (course_body(completion_rule={"min_attendance_percent": 120}), "completion_rule.min_attendance_percent"),
        ({**course_body(), "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_course_is_refused_naming_the_field(training, body, field):
    client, _, _, _ = training
    response = await client.post("/v1/courses", json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"capacity": 0}, "capacity"),
        ({"ends_on": "2026-01-01"}, "ends_on is before starts_on"),
        ({"region": "paris"}, "region"),
        ({"sessions": [{"held_on": "2027-01-01"}]}, "sessions.0.held_on 2027-01-01 is outside the cohort's dates"),
    ],
)
async def test_a_bad_cohort_is_refused_with_the_reason(training, overrides, needle):
    client, _, _, _ = training
    course = (await client.post("/v1/courses", json=course_body())).json()
    response = await client.post(f"/v1/courses/{course['course_id']}/cohorts", json=cohort_body(**overrides))
    assert response.status_code == 422
    assert needle in response.text


async def test_sessions_are_added_within_the_cohorts_dates_only(training):
    client, _, _, _ = training
    _, cohort = await new_cohort(client, sessions=2)
    url = f"/v1/cohorts/{cohort['cohort_id']}/sessions"
    added = await client.post(url, json={"held_on": cohort["ends_on"], "starts_at": "14:00:00", "topic": "Révision"})
    assert added.status_code == 201, added.text
    assert len((await client.get(url)).json()) == 3
    outside = await client.post(url, json={"held_on": "2030-01-01"})
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "held_on"
    # A session's time is on the venue's clock: an offset was dropped without a word, now refused.
    zoned = await client.post(url, json={"held_on": cohort["ends_on"], "starts_at": "09:00+01:00"})
    assert zoned.status_code == 422, zoned.text
    assert zoned.json()["errors"][0]["field"] == "starts_at" and "time-zone" in zoned.json()["errors"][0]["reason"]
    assert len((await client.get(url)).json()) == 3


async def test_courses_and_cohorts_are_listed_with_filters_and_pages(training):
    client, _, _, _ = training
    await new_cohort(client)
    await new_cohort(client, course=course_body(title="Excel pour débutants", kind="digital", sector="cross_sector"))
    await new_cohort(
        client, course=course_body(title="Darija", kind="language", sector="cross_sector"), region="oriental"
    )
    digital = (await client.get("/v1/courses", params={"kind": "digital"})).json()
    assert [c["title"] for c in digital["items"]] == ["Excel pour débutants"]
    assert (await client.get("/v1/courses", params={"q": "ofppt"})).json()["total"] == 3
    page = (await client.get("/v1/courses", params={"limit": 2, "offset": 2})).json()
    assert (page["total"], len(page["items"])) == (3, 1)
    oriental = (await client.get("/v1/cohorts", params={"region": "oriental"})).json()
    assert [c["course_title"] for c in oriental["items"]] == ["Darija"]
    assert (await client.get("/v1/cohorts", params={"status": "open", "kind": "vocational"})).json()["total"] == 1
    assert (await client.get("/v1/cohorts", params={"limit": 0})).status_code == 422


async def test_who_may_do_what(training):
    client, intake, _, _ = training
    course, cohort = await new_cohort(client)
    who, _ = await intake.refer()
    cohort_url = f"/v1/cohorts/{cohort['cohort_id']}"

    assert (await client.get("/v1/courses", headers={"Authorization": ""})).status_code == 401
    assert (await client.get("/v1/courses", headers=VIEWER)).status_code == 200
    assert (await client.get(cohort_url, headers=VIEWER)).status_code == 200
    assert (await client.get("/v1/candidates", headers=VIEWER)).status_code == 403
    assert (await client.post("/v1/courses", json=course_body(), headers=VIEWER)).status_code == 403

    enrol = {"beneficiary_id": str(who)}
    assert (await client.post(f"{cohort_url}/enrolments", json=enrol, headers=OTHER_CASEWORKER)).status_code == 404
    assert (await client.get(f"{cohort_url}/enrolments", headers=OTHER_CASEWORKER)).status_code == 404
    assert (await client.patch(cohort_url, json={"capacity": 9}, headers=OTHER_CASEWORKER)).status_code == 404
    foreign = await client.post("/v1/courses", json=course_body(organisation=ORG), headers=OTHER_CASEWORKER)
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "organisation"

    assert (await client.post(f"{cohort_url}/enrolments", json=enrol, headers=MANAGER)).status_code == 201
    mine = (await client.get(f"/v1/beneficiaries/{who}/enrolments")).json()
    assert [e["course_title"] for e in mine] == ["Couture et retouche"]
    assert (await client.get(f"/v1/beneficiaries/{who}/enrolments", headers=OTHER_CASEWORKER)).json() == []
    assert (await client.patch(f"/v1/courses/{course['course_id']}", json={"active": False})).status_code == 200
    inactive = await client.post(f"/v1/courses/{course['course_id']}/cohorts", json=cohort_body())
    assert inactive.status_code == 409 and "inactive" in inactive.json()["detail"]


async def test_the_openapi_document_describes_every_route_and_the_asyncapi_every_channel(training):
    client, _, _, _ = training
    spec = (await client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    for expected in (
        "/v1/courses",
        "/v1/cohorts/{cohort_id}/enrolments",
        "/v1/cohorts/{cohort_id}/sessions/{session_id}/attendance",
        "/v1/enrolments/{enrolment_id}/complete",
        "/v1/certificates/{certificate_number}",
        "/v1/candidates",
    ):
        assert expected in paths
    assert all(op.get("summary") for path in spec["paths"].values() for op in path.values())
    channels = (await client.get("/asyncapi.json")).json()["channels"]
    assert {"intake.beneficiaries:intake.referral_made", "training.enrolments:training.course_completed"} <= set(
        channels
    )
    assert channels["intake.beneficiaries:intake.referral_made"]["address"] == "intake.beneficiaries"
