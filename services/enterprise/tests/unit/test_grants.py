"""Business plans, grant approval against the plan and its prerequisites, milestones, exact
disbursements, and totals in MAD and EUR."""

import pytest

from ..conftest import GRANT, PLAN, new_venture, started_enterprise, to_stage

MILESTONE = {"met_on": "2026-02-15", "evidence": "Lease signed, invoice 2026-017"}


@pytest.fixture
async def enterprise(sqlite_url):
    async with started_enterprise(sqlite_url) as running:
        yield running


async def incubated(client, upstream, **overrides) -> dict:
    venture = await new_venture(client, upstream, **overrides)
    return await to_stage(client, venture, "pre_incubation", "incubation")


async def test_a_business_plan_must_add_up(enterprise):
    client, upstream, _, _ = enterprise
    venture = await incubated(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}/business-plan"
    wrong = await client.put(url, json={**PLAN, "grant_requested_mad": "50000.00"})
    assert wrong.status_code == 422
    assert "must equal the investment need 80,000.00" in wrong.json()["detail"]
    too_precise = await client.put(url, json={**PLAN, "own_contribution_mad": "20000.005"})
    assert too_precise.status_code == 422
    assert (await client.get(url)).status_code == 404
    saved = await client.put(url, json=PLAN)
    assert saved.status_code == 200, saved.text
    assert saved.json()["own_contribution_percent"] == "25.0"
    assert saved.json()["grant_requested_mad"] == "60000.00"


async def test_a_grant_is_refused_before_incubation_without_a_plan_or_beyond_the_request(enterprise):
    client, upstream, _, _ = enterprise
    early = await to_stage(client, await new_venture(client, upstream), "pre_incubation")
    response = await client.post(f"/v1/ventures/{early['venture_id']}/grant", json=GRANT)
    assert response.status_code == 409 and "a grant is approved in incubation or later" in response.json()["detail"]

    venture = await incubated(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}"
    no_plan = await client.post(f"{url}/grant", json=GRANT)
    assert no_plan.status_code == 409 and "no business plan" in no_plan.json()["detail"]
    await client.put(f"{url}/business-plan", json=PLAN)
    more = {
        "approved_mad": "70000.00",
        "tranches": [{"amount_mad": "70000.00", "milestone": "Everything"}],
    }
    beyond = await client.post(f"{url}/grant", json=more)
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["field"] == "approved_mad"
    mismatched = await client.post(f"{url}/grant", json={**GRANT, "approved_mad": "59000.00"})
    assert mismatched.status_code == 422 and "the tranches add up to 60,000.00 MAD" in mismatched.json()["detail"]


async def test_a_grant_waits_for_financial_education_fed_by_the_training_service(enterprise):
    client, upstream, _, _ = enterprise
    trained = await upstream.refer()
    untrained = await upstream.refer(trained=False)
    response = await client.post(
        "/v1/ventures",
        json={
            "name": "Atelier Couture Oujda",
            "kind": "micro_enterprise",
            "sector": "textiles_and_clothing",
            "region": "oriental",
            "city": "Oujda",
            "members": [str(trained), str(untrained)],
            "applied_on": "2026-02-10",
        },
    )
    venture = await to_stage(client, response.json(), "pre_incubation", "incubation")
    url = f"/v1/ventures/{venture['venture_id']}"
    await client.put(f"{url}/business-plan", json=PLAN)
    assert (await client.get(f"{url}/grant/prerequisites")).json() == {str(untrained): ["financial_education"]}

    refused = await client.post(f"{url}/grant", json=GRANT)
    assert refused.status_code == 409
    assert f"{untrained} has not completed financial_education" in refused.json()["detail"]

    await upstream.complete_course(untrained, kind="digital")  # not the required kind
    assert (await client.post(f"{url}/grant", json=GRANT)).status_code == 409
    await upstream.complete_course(untrained)
    await upstream.resend()  # the same completion twice changes nothing
    assert (await client.get(f"{url}/grant/prerequisites")).json() == {}
    assert (await client.post(f"{url}/grant", json=GRANT)).status_code == 201


async def test_disbursements_wait_for_their_milestone_and_never_exceed_the_tranche(enterprise):
    client, upstream, published, _ = enterprise
    venture = await incubated(client, upstream)
    url = f"/v1/ventures/{venture['venture_id']}"
    await client.put(f"{url}/business-plan", json=PLAN)
    grant = (await client.post(f"{url}/grant", json=GRANT)).json()
    assert (grant["approved_mad"], grant["approved_eur"], grant["eur_rate"]) == ("60000.00", "5555.56", "10.8000")
    [approved] = await published.settle("enterprise.grant_approved")
    assert approved["data"]["amount_mad"] == "60000.00" and approved["data"]["cofinancing_mad"] == "20000.00"
    assert (await client.post(f"{url}/grant", json=GRANT)).status_code == 409, "one grant per venture"

    tranche = f"/v1/grants/{grant['grant_id']}/tranches"
    early = await client.post(f"{tranche}/1/disbursements", json={"amount_mad": "1000.00"})
    assert early.status_code == 409
    assert "tranche 1's milestone is not met yet ('Premises rented and equipment ordered')" in early.json()["detail"]

    met = await client.post(f"{tranche}/1/milestone", json=MILESTONE)
    assert met.status_code == 200 and met.json()["tranches"][0]["milestone_met_on"] == "2026-02-15"
    assert (await client.post(f"{tranche}/1/milestone", json=MILESTONE)).status_code == 409

    # Three payments of 0.10 + 0.20 + 35,999.70 make exactly 36,000.00: no floating-point drift.
    for amount in ("0.10", "0.20", "35999.70"):
        paid = await client.post(f"{tranche}/1/disbursements", json={"amount_mad": amount, "reference": "VIR-1"})
        assert paid.status_code == 201, paid.text
    beyond = await client.post(f"{tranche}/1/disbursements", json={"amount_mad": "0.01"})
    assert beyond.status_code == 409
    assert beyond.json()["detail"] == (
        "0.01 MAD is beyond what was approved: tranche 1 has 0.00 MAD left of 36,000.00 MAD"
    )
    assert (await client.post(f"{tranche}/3/disbursements", json={"amount_mad": "1.00"})).status_code == 404

    state = (await client.get(f"/v1/grants/{grant['grant_id']}")).json()
    assert (state["disbursed_mad"], state["left_mad"], state["disbursed_eur"]) == ("36000.00", "24000.00", "3333.33")
    assert [t["left_mad"] for t in state["tranches"]] == ["0.00", "24000.00"]
    events = await published.settle("enterprise.grant_disbursed", 3)
    assert [e["data"]["amount_mad"] for e in events] == ["0.10", "0.20", "35999.70"]
    assert events[2]["data"]["amount_eur"] == "3333.31" and events[2]["data"]["tranche"] == 1


async def test_grant_totals_in_mad_and_eur_are_open_to_me_viewers(enterprise):
    from work4life.runtime.testing import bearer

    client, upstream, _, _ = enterprise
    for _ in range(2):
        venture = await incubated(client, upstream)
        url = f"/v1/ventures/{venture['venture_id']}"
        await client.put(f"{url}/business-plan", json=PLAN)
        grant = (await client.post(f"{url}/grant", json=GRANT)).json()
        await client.post(f"/v1/grants/{grant['grant_id']}/tranches/1/milestone", json=MILESTONE)
        await client.post(f"/v1/grants/{grant['grant_id']}/tranches/1/disbursements", json={"amount_mad": "36000.00"})
    totals = await client.get("/v1/grants/totals", headers=bearer("me_viewer", "donor-eu", "marie"))
    assert totals.status_code == 200
    assert totals.json() == {
        "grants": 2,
        "approved_mad": "120000.00",
        "approved_eur": "11111.11",
        "disbursed_mad": "72000.00",
        "disbursed_eur": "6666.67",
        "eur_rate": "10.8000",
    }
