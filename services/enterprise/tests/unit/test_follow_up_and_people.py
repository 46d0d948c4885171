"""Coaching, follow-up visits and the overdue list; consent withdrawal, erasure and merges."""

from datetime import date
from uuid import UUID

import pytest
from sqlmodel import Session, create_engine, select

from work4life.enterprise.adapters.orm import Entrepreneur, VentureMember

from ..conftest import new_venture, started_enterprise, to_stage, venture_body

VISIT = {
    "visited_on": "2026-08-20",
    "active": True,
    "revenue_band": "5000_to_15000",
    "jobs_owners": 2,
    "jobs_employees": 1,
}


@pytest.fixture
async def enterprise(sqlite_url):
    async with started_enterprise(sqlite_url) as running:
        yield (*running, sqlite_url)


async def launched(client, upstream, **overrides) -> dict:
    venture = await to_stage(client, await new_venture(client, upstream, **overrides), "pre_incubation", "incubation")
    response = await client.post(
        f"/v1/ventures/{venture['venture_id']}/launch",
        json={"legal_form": "auto_entrepreneur", "registered_on": "2026-02-13", "premises": "Oujda medina"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_coaching_hours_add_up_on_the_venture(enterprise):
    client, upstream, _, _, _ = enterprise
    venture = await new_venture(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}/coaching"
    for hours in ("1.5", "2.25"):
        made = await client.post(
            url, json={"held_on": "2026-02-12", "hours": hours, "topic": "Pricing", "coach": "M. Alaoui"}
        )
        assert made.status_code == 201, made.text
    assert (await client.get(f"/v1/ventures/{venture['venture_id']}")).json()["coaching_hours"] == "3.75"
    assert len((await client.get(url)).json()) == 2
    bad = await client.post(url, json={"held_on": "2026-02-12", "hours": 0, "topic": "x", "coach": "y"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "hours"


async def test_follow_up_visits_are_recorded_and_the_overdue_list_follows(enterprise):
    client, upstream, published, clock, _ = enterprise
    venture = await launched(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}/follow-ups"
    clock.value = date(2026, 9, 1)  # the 6-month visit (due 2026-08-13) is overdue
    due = (await client.get("/v1/follow-ups/due")).json()
    assert [(d["months_after_launch"], d["days_overdue"]) for d in due["items"]] == [(6, 19)]
    soon = (await client.get("/v1/follow-ups/due", params={"within_days": 366})).json()
    assert [d["months_after_launch"] for d in soon["items"]] == [6, 12]

    assert (await client.put(f"{url}/9", json=VISIT)).status_code == 404
    early = await client.put(f"{url}/6", json={**VISIT, "visited_on": "2026-01-01"})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "visited_on"
    recorded = await client.put(f"{url}/6", json=VISIT)
    assert recorded.status_code == 200, recorded.text
    assert (await client.get(f"/v1/ventures/{venture['venture_id']}")).json()["stage"] == "followed_up"
    assert (await client.get("/v1/follow-ups/due")).json()["total"] == 0
    [event] = await published.settle("enterprise.follow_up_recorded")
    assert event["data"]["months_after_launch"] == 6 and event["data"]["jobs_employees"] == 1
    [stage] = [e for e in published.of_type("enterprise.venture_stage_changed") if e["data"]["stage"] == "followed_up"]
    assert stage["data"]["previous_stage"] == "launched"


async def test_each_coach_has_the_visits_of_the_ventures_they_follow(enterprise):
    client, upstream, _, clock, _ = enterprise
    first = await launched(client, upstream, name="Atelier Nour")
    second = await launched(client, upstream, name="Couture Amal")
    third = await launched(client, upstream, name="Boulangerie Salam")
    clock.value = date(2026, 9, 1)

    # The first coaching session names the coach; a later one by someone else does not change it.
    for coach in ("Samira El  Idrissi", "Youssef Benali"):
        made = await client.post(
            f"/v1/ventures/{first['venture_id']}/coaching",
            json={"held_on": "2026-03-02", "hours": "1", "topic": "Stock", "coach": coach},
        )
        assert made.status_code == 201, made.text
    assert (await client.get(f"/v1/ventures/{first['venture_id']}")).json()["coach"] == "Samira El Idrissi"

    named = await client.put(f"/v1/ventures/{second['venture_id']}/coach", json={"coach": "Youssef Benali"})
    assert named.status_code == 200 and named.json()["coach"] == "Youssef Benali"
    blank = await client.put(f"/v1/ventures/{third['venture_id']}/coach", json={"coach": "  "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "coach"
    missing = await client.put(f"/v1/ventures/{third['venture_id']}/coach", json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "coach"

    async def due_for(**params) -> list[tuple[str, str | None]]:
        page = (await client.get("/v1/follow-ups/due", params=params)).json()
        return [(d["venture_name"], d["coach"]) for d in page["items"]]

    assert sorted(await due_for()) == [
        ("Atelier Nour", "Samira El Idrissi"),
        ("Boulangerie Salam", None),
        ("Couture Amal", "Youssef Benali"),
    ]
    assert await due_for(coach="samira el idrissi") == [("Atelier Nour", "Samira El Idrissi")]
    assert await due_for(coach="Youssef  Benali") == [("Couture Amal", "Youssef Benali")]
    assert await due_for(coach="Nobody") == []
    ventures = (await client.get("/v1/ventures", params={"coach": "YOUSSEF BENALI"})).json()
    assert [v["name"] for v in ventures["items"]] == ["Couture Amal"]

    # Handing a venture over moves its visits to the new coach's list; null leaves it unassigned.
    await client.put(f"/v1/ventures/{first['venture_id']}/coach", json={"coach": "Youssef Benali"})
    assert sorted(await due_for(coach="Youssef Benali")) == [
        ("Atelier Nour", "Youssef Benali"),
        ("Couture Amal", "Youssef Benali"),
    ]
    cleared = await client.put(f"/v1/ventures/{first['venture_id']}/coach", json={"coach": None})
    assert cleared.status_code == 200 and cleared.json()["coach"] is None


async def test_a_venture_found_closed_needs_no_later_visits(enterprise):
    client, upstream, _, clock, _ = enterprise
    venture = await launched(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}/follow-ups"
    clock.value = date(2027, 3, 1)
    closed = {
        **VISIT,
        "visited_on": "2027-02-20",
        "active": False,
        "revenue_band": "none",
        "jobs_owners": 0,
        "jobs_employees": 0,
    }
    assert (await client.put(f"{url}/12", json={**closed, "jobs_owners": 1})).status_code == 422
    assert (await client.put(f"{url}/12", json=closed)).status_code == 200
    visits = {v["months_after_launch"]: v["status"] for v in (await client.get(url)).json()}
    assert visits == {6: "scheduled", 12: "recorded", 24: "not_needed", 36: "not_needed"}
    assert (await client.put(f"{url}/24", json=closed)).status_code == 409
    assert (await client.get(f"/v1/ventures/{venture['venture_id']}")).json()["active"] is False


async def test_a_withdrawn_consent_ends_the_membership_and_empties_the_venture(enterprise):
    client, upstream, published, _, _ = enterprise
    venture = await new_venture(client, upstream)
    who = venture["members"][0]["beneficiary_id"]
    await upstream.withdraw(who)
    after = (await client.get(f"/v1/ventures/{venture['venture_id']}")).json()
    assert after["stage"] == "abandoned" and after["members"][0]["left_reason"] == "consent_withdrawn"
    [change] = await published.settle("enterprise.venture_members_changed")
    assert change["data"]["left"] == [who] and change["causation_id"] == str(upstream.sent[-1][1].event_id)
    assert (await client.get("/v1/candidates", params={"beneficiary_id": who, "status": "cancelled"})).json()[
        "total"
    ] == 1
    again = await client.post("/v1/ventures", json=venture_body([who]))
    assert again.status_code == 409, "without consent no new application"


async def test_a_launched_venture_carries_on_when_a_member_withdraws(enterprise):
    client, upstream, _, _, _ = enterprise
    venture = await launched(client, upstream)
    await upstream.withdraw(venture["members"][0]["beneficiary_id"])
    assert (await client.get(f"/v1/ventures/{venture['venture_id']}")).json()["stage"] == "launched"


async def test_erasure_replaces_the_person_by_a_stand_in_everywhere(enterprise):
    client, upstream, published, _, url = enterprise
    venture = await new_venture(client, upstream, size=2)
    erased, stays = (m["beneficiary_id"] for m in venture["members"])
    await upstream.erase(erased)
    after = (await client.get(f"/v1/ventures/{venture['venture_id']}")).json()
    assert after["stage"] == "application"
    assert erased not in {m["beneficiary_id"] for m in after["members"]} and len(after["members"]) == 2
    assert published.of_type("enterprise.venture_members_changed") == [], "nothing is published about them"
    engine = create_engine(url)
    with Session(engine) as db:
        assert db.get(Entrepreneur, UUID(erased)) is None
        anonymised = db.exec(select(VentureMember).where(VentureMember.anonymised)).all()
        assert len(anonymised) == 1 and anonymised[0].left_reason == "consent_withdrawn"
    engine.dispose()
    assert stays in {m["beneficiary_id"] for m in after["members"]}


async def test_a_merge_moves_memberships_and_folds_a_double_one(enterprise):
    client, upstream, _, _, _ = enterprise
    kept = await upstream.refer()
    retired = await upstream.refer()
    both = (await client.post("/v1/ventures", json=venture_body([kept, retired]))).json()
    only_retired = (await client.post("/v1/ventures", json=venture_body([retired], name="Autre"))).json()
    await upstream.merge(kept, retired)
    await upstream.resend()
    folded = (await client.get(f"/v1/ventures/{both['venture_id']}")).json()
    current = [m["beneficiary_id"] for m in folded["members"] if m["left_on"] is None]
    assert current == [str(kept)]
    moved = (await client.get(f"/v1/ventures/{only_retired['venture_id']}")).json()
    assert [m["beneficiary_id"] for m in moved["members"]] == [str(kept)]
    assert (await client.get("/v1/ventures", params={"member": str(retired)})).json()["total"] == 0
    # the kept person can still apply: the consent and referral moved with them
    assert (await client.post("/v1/ventures", json=venture_body([kept], name="Troisième"))).status_code == 201


async def test_no_follow_up_before_launch(enterprise):
    client, upstream, _, _, _ = enterprise
    venture = await new_venture(client, upstream)
    response = await client.put(f"/v1/ventures/{venture['venture_id']}/follow-ups/6", json=VISIT)
    assert response.status_code == 409 and "follow-up visits start at launch" in response.json()["detail"]
