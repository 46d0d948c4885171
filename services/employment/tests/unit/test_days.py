"""A placement is dated as it happened (ADR 16): the shortlisting not before the person's referral,
the hire not in the future, the first day of work not before the interview. Before, a placement
could start months before the person was even registered."""

from datetime import timedelta

from work4life.runtime.testing import refusal

from ..conftest import TODAY, new_offer, started_employment


async def test_a_placement_entered_later_keeps_its_days_in_order(database_url):
    async with started_employment(database_url) as (client, upstream, published, _):
        who = await upstream.jobseeker()  # referred twenty days ago
        offer = await new_offer(client, opens_on=str(TODAY - timedelta(days=40)))
        applications = f"/v1/offers/{offer['offer_id']}/applications"
        early = await client.post(
            applications, json={"beneficiary_id": str(who), "shortlisted_on": str(TODAY - timedelta(days=21))}
        )
        assert refusal(early, "shortlisted_on") == f"is before the referral ({TODAY - timedelta(days=20)})"
        made = await client.post(
            applications, json={"beneficiary_id": str(who), "shortlisted_on": str(TODAY - timedelta(days=15))}
        )
        assert made.status_code == 201, made.text
        url = f"/v1/applications/{made.json()['application_id']}"
        interview = {"to": "interviewed", "on": str(TODAY - timedelta(days=12))}
        assert (await client.post(f"{url}/steps", json=interview)).status_code == 200

        hire = {"contract_type": "fixed_term", "hours_per_week": 44, "wage_band": "3000_to_4500"}
        before = await client.post(f"{url}/hire", json={**hire, "starts_on": str(TODAY - timedelta(days=90))})
        assert refusal(before, "starts_on") == f"is before the interview ({TODAY - timedelta(days=12)})"
        future = await client.post(
            f"{url}/hire",
            json={**hire, "starts_on": str(TODAY), "hired_on": str(TODAY + timedelta(days=1))},
        )
        assert refusal(future, "hired_on").startswith("is in the future")
        placed = await client.post(
            f"{url}/hire",
            json={**hire, "starts_on": str(TODAY - timedelta(days=3)), "hired_on": str(TODAY - timedelta(days=10))},
        )
        assert placed.status_code == 201, placed.text
        [event] = await published.settle("employment.placed")
        assert event["data"]["starts_on"] == str(TODAY - timedelta(days=3)), "counted on the first day of work"
        [application] = (await client.get(applications)).json()["items"]
        assert (application["status"], application["decided_on"]) == ("hired", str(TODAY - timedelta(days=10)))
