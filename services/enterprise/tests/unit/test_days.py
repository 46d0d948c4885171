"""A venture's stages count on the day they happened (ADR 16): the committee's date, the day a
move was made when it is entered later, the registration day at launch; never before what they
follow, never in the future."""

from datetime import timedelta

from work4life.runtime.testing import refusal

from ..conftest import APPLIED, Clock, committee, started_enterprise, venture_body


async def test_a_stage_counts_on_the_committee_day_not_the_day_it_is_entered(database_url):
    async with started_enterprise(database_url, clock=Clock(APPLIED + timedelta(days=30))) as running:
        client, upstream, published, _ = running
        member = await upstream.refer()  # referred ten days before APPLIED
        early = await client.post(
            "/v1/ventures", json=venture_body([member], applied_on=str(APPLIED - timedelta(days=11)))
        )
        assert refusal(early, "applied_on") == f"is before a member's referral ({APPLIED - timedelta(days=10)})"
        venture = (await client.post("/v1/ventures", json=venture_body([member]))).json()
        url = f"/v1/ventures/{venture['venture_id']}/transitions"

        before = await client.post(
            url, json={"to": "pre_incubation", "committee": committee(APPLIED - timedelta(days=1))}
        )
        assert refusal(before, "committee.decided_on") == f"is before the application ({APPLIED})"
        moved = await client.post(url, json={"to": "pre_incubation", "committee": committee(APPLIED + timedelta(3))})
        assert moved.status_code == 200, moved.text
        assert moved.json()["stage_changed_on"] == str(APPLIED + timedelta(days=3))
        [changed] = await published.settle("enterprise.venture_stage_changed")
        assert changed["data"]["changed_on"] == str(APPLIED + timedelta(days=3)), "reporting counts this day"

        backwards = await client.post(url, json={"to": "incubation", "committee": committee(APPLIED + timedelta(2))})
        assert refusal(backwards, "committee.decided_on") == (
            f"is before the venture's current stage (pre_incubation) began ({APPLIED + timedelta(days=3)})"
        )
        future = await client.post(
            url, json={"to": "abandoned", "reason": "lost_interest", "on": str(APPLIED + timedelta(days=31))}
        )
        assert refusal(future, "on").startswith("is in the future")
        gone = await client.post(
            url, json={"to": "abandoned", "reason": "lost_interest", "on": str(APPLIED + timedelta(days=20))}
        )
        assert gone.status_code == 200, gone.text
        assert gone.json()["stage_changed_on"] == str(APPLIED + timedelta(days=20))
