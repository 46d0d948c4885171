"""Employers and offers, the candidate pool and matching, applications, hires, retention checks
and job fairs."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from work4life.runtime.testing import bearer

from ..conftest import EMPLOYER, ORG, hired, new_offer, offer_body, started_employment

OTHER_PARTNER = bearer("caseworker", "ajr-rabat", "hind")


@pytest.fixture
async def employment(sqlite_url):
    async with started_employment(sqlite_url) as running:
        yield running


# -- employers and offers --------------------------------------------------------------------


async def test_an_employer_and_its_offer_are_recorded_with_their_requirements(employment):
    client, _, _, _ = employment
    offer = await new_offer(client, skills=["Food  Preparation", "hygiene", "food preparation"])
    assert offer["region"] == "tanger_tetouan_al_hoceima" and offer["city"] == "Tanger", "defaults to the employer's"
    assert offer["skills"] == ["food preparation", "hygiene"]
    assert (offer["status"], offer["hired"], offer["employer_name"]) == ("open", 0, "Hôtel Andalucia")
    employers = (await client.get("/v1/employers", params={"csr": True, "ownership": "mixed"})).json()
    assert [e["name"] for e in employers["items"]] == ["Hôtel Andalucia"]
    assert employers["items"][0]["organisation"] == ORG
    assert (await client.get("/v1/employers", headers=OTHER_PARTNER)).json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({**EMPLOYER, "type": "ngo"}, "type"),
        ({**EMPLOYER, "contact_email": "not-an-email"}, "contact_email"),
        ({**EMPLOYER, "contact_phone": "call me"}, "expected a phone number"),
        ({**EMPLOYER, "name": " "}, "name"),
    ],
)
async def test_a_bad_employer_is_refused_naming_the_field(employment, body, needle):
    client, _, _, _ = employment
    response = await client.post("/v1/employers", json=body)
    assert response.status_code == 422 and needle in response.text


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"closes_on": "2026-03-01"}, "closes_on is before opens_on"),
        ({"kind": "internship"}, "an internship has the internship contract type"),
        ({"isco08": "94123"}, "isco08"),
        ({"positions": 0}, "positions"),
        ({"languages": [{"code": "fr"}, {"code": "fr"}]}, "languages lists a language twice"),
    ],
)
async def test_a_bad_offer_is_refused_with_the_reason(employment, overrides, needle):
    client, _, _, _ = employment
    employer = (await client.post("/v1/employers", json=EMPLOYER)).json()
    response = await client.post(f"/v1/employers/{employer['employer_id']}/offers", json=offer_body(**overrides))
    assert response.status_code == 422 and needle in response.text


# -- the pool and matching -------------------------------------------------------------------


async def test_the_pool_is_ranked_for_an_offer_with_each_score_explained(employment):
    client, upstream, _, _ = employment
    offer = await new_offer(client)
    strong = await upstream.jobseeker()
    await upstream.certify(strong)
    weak = await upstream.jobseeker(
        assessment={
            "languages": [{"code": "en", "level": "fluent"}],
            "education_level": "none",
            "occupations": [{"isco08": "7112", "years": 1}],
            "skills": ["bricklaying"],
            "digital_skills": "none",
            "aspirations": ["job"],
        },
        region="oriental",
    )
    await upstream.jobseeker(refer=False)  # consented and assessed, but never referred: not in the pool
    await upstream.jobseeker(consent=False, refer=False)  # no consent: nothing kept

    ranked = (await client.get(f"/v1/offers/{offer['offer_id']}/matches")).json()
    assert [m["beneficiary_id"] for m in ranked["items"]] == [str(strong), str(weak)]
    best = ranked["items"][0]
    assert best["score"] == 100.0
    parts = {p["factor"]: p for p in best["explanation"]}
    assert parts["training"]["why"] == "completed a vocational course in hospitality_and_tourism (certified)"
    assert parts["skills"]["why"] == "has 2 of 2 skills (food preparation, hygiene)"
    assert (parts["training"]["reason"], parts["training"]["values"]) == (
        "course_in_sector_certified",
        {"kind": "vocational", "sector": "hospitality_and_tourism"},
    ), "a client that speaks another language gets the reason's code and values"
    assert sum(p["weight"] for p in best["explanation"]) == 100
    worst = {p["factor"]: p for p in ranked["items"][1]["explanation"]}
    assert worst["region"]["fit"] == 0 and "lives in oriental" in worst["region"]["why"]
    assert worst["region"]["reason"] == "other_region" and worst["region"]["values"]["region"] == "oriental"
    assert worst["languages"]["why"] == "speaks none of the languages asked (fr (intermediate))"

    local = (await client.get(f"/v1/offers/{offer['offer_id']}/matches", params={"region": "oriental"})).json()
    assert [m["beneficiary_id"] for m in local["items"]] == [str(weak)]


async def test_offers_are_ranked_for_a_person(employment):
    client, upstream, _, _ = employment
    cook = await new_offer(client)
    mason = await new_offer(
        client, title="Maçon", isco08="7112", skills=["bricklaying"], region="oriental", languages=[]
    )
    who = await upstream.jobseeker()
    ranked = (await client.get(f"/v1/jobseekers/{who}/matches")).json()
    assert [o["offer_id"] for o in ranked["items"]] == [cook["offer_id"], mason["offer_id"]]
    assert ranked["items"][0]["score"] > ranked["items"][1]["score"]
    stranger = await client.get(f"/v1/jobseekers/{uuid4()}/matches")
    assert stranger.status_code == 404 and "not in the candidate pool" in stranger.json()["detail"]


# -- applications, hires, retention ----------------------------------------------------------


async def test_a_person_is_shortlisted_interviewed_and_hired(employment):
    client, upstream, published, _ = employment
    offer = await new_offer(client, positions=1)
    who = await upstream.jobseeker()
    application = await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(who)})
    assert application.status_code == 201, application.text
    body = application.json()
    assert body["status"] == "shortlisted" and body["score"] > 80
    assert body["next_steps"] == ["interviewed", "rejected", "withdrawn"]
    again = await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(who)})
    assert again.status_code == 409 and "already has an application" in again.json()["detail"]

    url = f"/v1/applications/{body['application_id']}"
    early = await client.post(
        f"{url}/hire",
        json={
            "contract_type": "fixed_term",
            "starts_on": "2026-05-04",
            "hours_per_week": 44,
            "wage_band": "3000_to_4500",
        },
    )
    assert (
        early.status_code == 409 and "allowed next steps are interviewed, rejected, withdrawn" in early.json()["detail"]
    )
    assert early.json()["code"] == "application_step_not_allowed"
    assert early.json()["values"] == {
        "application_status": "shortlisted",
        "new_status": "hired",
        "allowed": ["interviewed", "rejected", "withdrawn"],
    }
    assert (await client.post(f"{url}/steps", json={"to": "interviewed"})).status_code == 200
    placement = await client.post(
        f"{url}/hire",
        json={
            "contract_type": "fixed_term",
            "starts_on": "2026-05-04",
            "hours_per_week": 44,
            "wage_band": "3000_to_4500",
        },
    )
    assert placement.status_code == 201, placement.text
    checks = placement.json()["retention_checks"]
    assert [(c["months_after_start"], c["due_on"]) for c in checks] == [
        (3, "2026-08-04"),
        (6, "2026-11-04"),
        (12, "2027-05-04"),
    ]
    assert (await client.get(f"/v1/offers/{offer['offer_id']}")).json()["status"] == "filled"

    [placed] = await published.settle("employment.placed")
    assert placed["key"] == str(who)
    assert (placed["data"]["employer_type"], placed["data"]["employer_ownership"], placed["data"]["employer_csr"]) == (
        "sme",
        "mixed",
        True,
    )
    answers = await published.settle("employment.referral_answered", 2)
    assert [a["data"]["answer"] for a in answers] == ["accepted", "completed"]

    other = await upstream.jobseeker()
    full = await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(other)})
    assert full.status_code == 409 and "is filled: it takes no applications" in full.json()["detail"]


async def test_a_shortlisting_may_be_recorded_late_but_not_in_the_future(employment):
    client, upstream, _, _ = employment
    offer = await new_offer(client)
    who = await upstream.jobseeker()
    url = f"/v1/offers/{offer['offer_id']}/applications"
    future = await client.post(url, json={"beneficiary_id": str(who), "shortlisted_on": "2026-05-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "shortlisted_on"
    late = await client.post(url, json={"beneficiary_id": str(who), "shortlisted_on": "2026-04-02"})
    assert late.status_code == 201 and late.json()["shortlisted_on"] == "2026-04-02"


async def test_a_rejection_needs_a_reason_and_is_final(employment):
    client, upstream, _, _ = employment
    offer = await new_offer(client)
    who = await upstream.jobseeker()
    application = (
        await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(who)})
    ).json()
    url = f"/v1/applications/{application['application_id']}/steps"
    assert (await client.post(url, json={"to": "rejected"})).status_code == 422
    rejected = await client.post(url, json={"to": "rejected", "reason": "language"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "language"
    final = await client.post(url, json={"to": "interviewed"})
    assert final.status_code == 409 and "it is final" in final.json()["detail"]


async def test_no_application_without_a_referral_to_employment(employment):
    client, upstream, _, _ = employment
    offer = await new_offer(client)
    unreferred = await upstream.jobseeker(refer=False)
    for who in (unreferred, uuid4()):
        response = await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(who)})
        assert response.status_code == 409 and "no standing referral to employment" in response.json()["detail"]


async def test_retention_checks_are_recorded_and_the_overdue_list_follows(employment):
    client, upstream, published, clock = employment
    offer = await new_offer(client)
    placement = await hired(client, offer, await upstream.jobseeker())
    url = f"/v1/placements/{placement['placement_id']}/retention"
    clock.value = date(2026, 8, 20)
    due = (await client.get("/v1/retention-checks/due")).json()
    assert [(d["months_after_start"], d["days_overdue"]) for d in due["items"]] == [(3, 16)]

    too_early = await client.put(f"{url}/3", json={"checked_on": "2026-07-01", "outcome": "still_employed"})
    assert too_early.status_code == 422 and "two weeks before the 3-month check falls due" in too_early.text
    bad = await client.put(f"{url}/3", json={"checked_on": "2026-08-18", "outcome": "left"})
    assert bad.status_code == 422 and "left_reason and left_on are required" in bad.text
    kept = await client.put(f"{url}/3", json={"checked_on": "2026-08-18", "outcome": "still_employed"})
    assert kept.status_code == 200, kept.text
    assert (await client.get("/v1/retention-checks/due")).json()["total"] == 0
    [event] = await published.settle("employment.retention_checked")
    assert (event["data"]["months_after_start"], event["data"]["outcome"]) == (3, "still_employed")

    clock.value = date(2026, 11, 10)
    left = {"checked_on": "2026-11-09", "outcome": "left", "left_reason": "better_job", "left_on": "2026-10-01"}
    assert (await client.put(f"{url}/6", json=left)).status_code == 200
    state = (await client.get(f"/v1/placements/{placement['placement_id']}")).json()
    assert state["left_on"] == "2026-10-01"
    assert [c["status"] for c in state["retention_checks"]] == ["recorded", "recorded", "not_needed"]
    assert (
        await client.put(f"{url}/12", json={"checked_on": "2026-11-09", "outcome": "unreachable"})
    ).status_code == 409
    assert (
        await client.put(f"{url}/9", json={"checked_on": "2026-11-09", "outcome": "unreachable"})
    ).status_code == 404


# -- job fairs -------------------------------------------------------------------------------


async def test_a_job_fair_counts_employers_attendees_interviews_and_hires(employment):
    client, upstream, published, clock = employment
    offer = await new_offer(client)
    employer_id = offer["employer_id"]
    fair = (
        await client.post(
            "/v1/job-fairs",
            json={
                "name": "Forum de l'emploi Tanger",
                "held_on": "2026-04-20",
                "region": "tanger_tetouan_al_hoceima",
                "city": "Tanger",
            },
        )
    ).json()
    people = [await upstream.jobseeker() for _ in range(2)]
    url = f"/v1/job-fairs/{fair['fair_id']}"
    came = await client.post(
        f"{url}/attendance",
        json={"employers": [employer_id, employer_id], "attendees": [str(p) for p in people], "other_attendees": 140},
    )
    assert came.status_code == 200, came.text
    assert (came.json()["employers"], came.json()["registered_attendees"], came.json()["other_attendees"]) == (
        1,
        2,
        140,
    )
    bad = await client.post(f"{url}/attendance", json={"employers": [str(uuid4())]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "employers.0"

    for who in people:
        application = (
            await client.post(
                f"/v1/offers/{offer['offer_id']}/applications",
                json={"beneficiary_id": str(who), "job_fair_id": fair["fair_id"]},
            )
        ).json()
        await client.post(f"/v1/applications/{application['application_id']}/steps", json={"to": "interviewed"})
    first = (await client.get(f"/v1/offers/{offer['offer_id']}/applications")).json()["items"][0]
    await client.post(
        f"/v1/applications/{first['application_id']}/hire",
        json={
            "contract_type": "fixed_term",
            "starts_on": "2026-05-04",
            "hours_per_week": 44,
            "wage_band": "3000_to_4500",
        },
    )
    closed = await client.post(f"{url}/close")
    assert closed.status_code == 200, closed.text
    assert (closed.json()["interviews"], closed.json()["hires"], closed.json()["closed_on"]) == (2, 1, "2026-04-20")
    [event] = await published.settle("employment.job_fair_held")
    assert event["key"] == fair["fair_id"]
    assert sorted(event["data"]["registered_attendees"]) == sorted(str(p) for p in people)
    assert (event["data"]["other_attendees"], event["data"]["hires"]) == (140, 1)
    [placed] = await published.settle("employment.placed")
    assert placed["data"]["job_fair_id"] == fair["fair_id"]
    assert (await client.post(f"{url}/close")).status_code == 409
    assert clock.value == date(2026, 4, 20) + timedelta(days=0)
