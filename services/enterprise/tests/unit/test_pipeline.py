"""Applications, the pipeline's state machine, selection decisions, members and launch."""

from datetime import timedelta
from uuid import uuid4

import pytest

from work4life.runtime.testing import bearer

from ..conftest import APPLIED, ORG, committee, new_venture, started_enterprise, to_stage, venture_body

OTHER_INCUBATOR = bearer("caseworker", "incubator-tanger", "nadia")
VIEWER = bearer("me_viewer", "lead-ngo", "omar")


@pytest.fixture
async def enterprise(sqlite_url):
    async with started_enterprise(sqlite_url) as running:
        yield running


async def test_an_application_needs_every_member_referred_with_consent(enterprise):
    client, upstream, published, _ = enterprise
    referred = await upstream.refer()
    stranger = uuid4()
    refused = await client.post("/v1/ventures", json=venture_body([referred, stranger]))
    assert refused.status_code == 409
    assert f"no standing referral to enterprise support for {stranger}" in refused.json()["detail"]

    made = await client.post("/v1/ventures", json=venture_body([referred], other_members=1))
    assert made.status_code == 201, made.text
    venture = made.json()
    assert venture["stage"] == "application" and venture["organisation"] == ORG
    assert venture["next_stages"] == ["pre_incubation", "rejected", "abandoned"]
    [event] = await published.settle("enterprise.venture_applied")
    assert event["key"] == venture["venture_id"]
    assert event["data"]["members"] == [str(referred)] and event["data"]["other_members"] == 1
    assert event["data"]["already_running"] is False and venture["already_running"] is False
    assert published.of_type("enterprise.referral_answered") == [], "an application alone answers nothing"


async def test_an_existing_business_is_recorded_as_already_running_and_says_so_in_its_event(enterprise):
    client, upstream, published, _ = enterprise
    who = await upstream.refer()
    made = await client.post("/v1/ventures", json=venture_body([who], already_running=True))
    assert made.status_code == 201, made.text
    shown = (await client.get(f"/v1/ventures/{made.json()['venture_id']}")).json()
    assert shown["already_running"] is True
    [event] = await published.settle("enterprise.venture_applied")
    assert event["data"]["already_running"] is True


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"kind": "cooperative"}, "a cooperative needs at least 5 members (it has 1)"),
        ({"members": []}, "members"),
        ({"name": "  "}, "name"),
        ({"sector": "space"}, "sector"),
        ({"other_members": -1}, "other_members"),
        ({"already_running": "perhaps"}, "already_running"),
    ],
)
async def test_a_bad_application_is_refused_with_the_reason(enterprise, overrides, needle):
    client, upstream, _, _ = enterprise
    who = await upstream.refer()
    response = await client.post("/v1/ventures", json={**venture_body([who]), **overrides})
    assert response.status_code == 422
    assert needle in response.text


async def test_skipping_a_stage_is_refused_naming_the_allowed_ones(enterprise):
    client, upstream, _, _ = enterprise
    venture = await new_venture(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}/transitions"
    skipped = await client.post(url, json={"to": "incubation", "committee": committee()})
    assert skipped.status_code == 409
    assert skipped.json()["detail"] == (
        "a venture cannot go from application to incubation: "
        "the allowed next stages are pre_incubation, rejected, abandoned"
    )
    launched = await client.post(url, json={"to": "launched"})
    assert launched.status_code == 409 and "POST /v1/ventures/{venture_id}/launch" in launched.json()["detail"]
    no_committee = await client.post(url, json={"to": "pre_incubation"})
    assert no_committee.status_code == 422 and "decided by the selection committee" in no_committee.text
    no_reason = await client.post(url, json={"to": "abandoned"})
    assert no_reason.status_code == 422 and "reason is required" in no_reason.text


async def test_selection_decisions_are_recorded_and_answer_the_referrals(enterprise):
    client, upstream, published, _ = enterprise
    venture = await new_venture(client, upstream, size=2)
    venture = await to_stage(client, venture, "pre_incubation", "incubation", "acceleration")
    assert venture["stage"] == "acceleration"
    decisions = venture["selection_decisions"]
    assert [(d["from_stage"], d["to_stage"], d["score"]) for d in decisions] == [
        ("application", "pre_incubation", 74),
        ("pre_incubation", "incubation", 74),
    ]
    changes = await published.settle("enterprise.venture_stage_changed", 3)
    assert [(c["data"]["stage"], c["data"]["by_committee"]) for c in changes] == [
        ("pre_incubation", True),
        ("incubation", True),
        ("acceleration", False),
    ]
    answers = await published.settle("enterprise.referral_answered", 2)
    assert {a["data"]["answer"] for a in answers} == {"accepted"} and len(answers) == 2


async def test_a_rejection_declines_the_referrals_and_is_final(enterprise):
    client, upstream, published, _ = enterprise
    venture = await new_venture(client, upstream)
    venture = await to_stage(client, venture, "rejected")
    assert venture["exit_reason"] == "not_viable" and venture["next_stages"] == []
    [answer] = await published.settle("enterprise.referral_answered")
    assert answer["data"]["answer"] == "declined"
    again = await client.post(
        f"/v1/ventures/{venture['venture_id']}/transitions", json={"to": "abandoned", "reason": "other"}
    )
    assert again.status_code == 409 and "it is final" in again.json()["detail"]
    assert again.json()["code"] == "stage_final"
    assert again.json()["values"] == {"stage": "rejected", "new_stage": "abandoned", "allowed": []}


async def test_launch_needs_a_matching_legal_form_and_schedules_follow_ups(enterprise):
    client, upstream, published, clock = enterprise
    venture = await to_stage(client, await new_venture(client, upstream), "pre_incubation", "incubation")
    url = f"/v1/ventures/{venture['venture_id']}/launch"
    wrong = await client.post(url, json={"legal_form": "cooperative", "registered_on": "2026-02-12", "premises": "x"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "legal_form"
    future = await client.post(
        url,
        json={"legal_form": "sarl", "registered_on": (clock.value + timedelta(days=1)).isoformat(), "premises": "x"},
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "registered_on"

    launched = await client.post(
        url, json={"legal_form": "sarl", "registered_on": "2026-02-13", "premises": "Souk El Fellah, Oujda"}
    )
    assert launched.status_code == 200, launched.text
    assert launched.json()["stage"] == "launched" and launched.json()["active"] is True
    visits = (await client.get(f"/v1/ventures/{venture['venture_id']}/follow-ups")).json()
    assert [(v["months_after_launch"], v["due_on"]) for v in visits] == [
        (6, "2026-08-13"),
        (12, "2027-02-13"),
        (24, "2028-02-13"),
        (36, "2029-02-13"),
    ]
    [event] = await published.settle("enterprise.venture_launched")
    assert event["data"]["legal_form"] == "sarl" and event["data"]["kind"] == "micro_enterprise"
    answers = await published.settle("enterprise.referral_answered", 2)
    assert [a["data"]["answer"] for a in answers] == ["accepted", "completed"]


async def test_members_join_and_leave_and_an_empty_venture_is_abandoned(enterprise):
    client, upstream, published, _ = enterprise
    venture = await to_stage(client, await new_venture(client, upstream), "pre_incubation")
    first = venture["members"][0]["beneficiary_id"]
    newcomer = await upstream.refer()
    url = f"/v1/ventures/{venture['venture_id']}/members"
    joined = await client.post(url, json={"beneficiary_id": str(newcomer)})
    assert joined.status_code == 200, joined.text
    assert (await client.post(url, json={"beneficiary_id": str(newcomer)})).status_code == 409
    assert (await client.post(url, json={"beneficiary_id": str(uuid4())})).status_code == 409

    for who in (first, str(newcomer)):
        left = await client.post(f"{url}/{who}/leave", json={"reason": "found_job"})
        assert left.status_code == 200, left.text
    final = left.json()
    assert final["stage"] == "abandoned" and final["exit_reason"] == "group_dissolved"
    changes = await published.settle("enterprise.venture_members_changed", 3)
    assert [(c["data"]["joined"], c["data"]["left"]) for c in changes] == [
        ([str(newcomer)], []),
        ([], [first]),
        ([], [str(newcomer)]),
    ]
    assert changes[1]["data"]["members"] == [str(newcomer)]


async def test_ventures_are_listed_with_filters_and_scoped_to_the_organisation(enterprise):
    client, upstream, _, _ = enterprise
    one = await new_venture(client, upstream)
    await new_venture(client, upstream, kind="start_up", region="rabat_sale_kenitra", name="Darija Apps")
    await to_stage(client, one, "pre_incubation")
    assert (await client.get("/v1/ventures")).json()["total"] == 2
    assert [v["name"] for v in (await client.get("/v1/ventures", params={"kind": "start_up"})).json()["items"]] == [
        "Darija Apps"
    ]
    [moved] = (await client.get("/v1/ventures", params={"stage": "pre_incubation"})).json()["items"]
    assert moved["next_stages"] == ["incubation", "rejected", "abandoned"], "a board can offer the allowed moves"
    member = one["members"][0]["beneficiary_id"]
    assert (await client.get("/v1/ventures", params={"member": member})).json()["total"] == 1
    assert (await client.get("/v1/ventures", params={"limit": 1, "offset": 1})).json()["items"][0]["name"] == (
        "Couscous Bladi"
    )

    assert (await client.get("/v1/ventures", headers=OTHER_INCUBATOR)).json()["total"] == 0
    assert (await client.get(f"/v1/ventures/{one['venture_id']}", headers=OTHER_INCUBATOR)).status_code == 404
    assert (await client.get("/v1/ventures", headers=VIEWER)).status_code == 403
    assert (await client.get("/v1/ventures", headers={"Authorization": ""})).status_code == 401


async def test_a_referral_without_known_consent_is_dead_lettered(enterprise):
    client, upstream, published, _ = enterprise
    await upstream.refer(consent=False, trained=False)
    assert (await client.get("/v1/candidates")).json()["total"] == 0
    [letter] = published.dead_letters
    assert "no consent" in letter["w4l-dlq-error"] and letter["w4l-dlq-reason"] == "handler_error"


async def test_a_pending_candidate_outside_any_application_can_be_declined(enterprise):
    client, upstream, published, _ = enterprise
    await upstream.refer()
    [candidate] = (await client.get("/v1/candidates")).json()["items"]
    declined = await client.post(f"/v1/candidates/{candidate['referral_id']}/decline", json={"note": "Wants a job"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    [answer] = await published.settle("enterprise.referral_answered")
    assert answer["data"]["answer"] == "declined"

    member = await upstream.refer()
    await client.post("/v1/ventures", json=venture_body([member]))
    [in_application] = (await client.get("/v1/candidates", params={"beneficiary_id": str(member)})).json()["items"]
    refused = await client.post(f"/v1/candidates/{in_application['referral_id']}/decline", json={})
    assert refused.status_code == 409 and "decide the application" in refused.json()["detail"]


async def test_the_application_date_cannot_be_in_the_future(enterprise):
    client, upstream, _, clock = enterprise
    who = await upstream.refer()
    response = await client.post(
        "/v1/ventures", json=venture_body([who], applied_on=(clock.value + timedelta(days=1)).isoformat())
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "applied_on"
    assert clock.value > APPLIED


async def test_every_operation_is_documented_and_every_topic_is_in_the_asyncapi_document(enterprise):
    client, _, _, _ = enterprise
    spec = (await client.get("/openapi.json")).json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 20 and all(op.get("summary") for op in operations)
    channels = (await client.get("/asyncapi.json")).json()["channels"]
    assert channels["intake.beneficiaries:intake.referral_made"]["address"] == "intake.beneficiaries"
    assert channels["training.enrolments:training.course_completed"]["address"] == "training.enrolments"
    for event in ("venture_applied", "grant_disbursed", "follow_up_recorded", "referral_answered"):
        assert any(name.endswith(f"enterprise.{event}") for name in channels), event
