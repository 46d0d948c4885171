"""Every intake route that returns personal data leaves an audit entry for each person it shows.

The walk is driven by the app's own route table: a route added without saying here whether it
returns personal data (and which audit action it leaves) fails the first test, and each route that
does is called as staff would call it and must leave its entry, naming the caller, for the person.
"""

from datetime import timedelta

import pytest

from work4life.runtime.testing import api_routes, bearer

from ..conftest import ORG, TODAY, started_intake, valid_registration

ADMIN = bearer("admin", ORG, "auditor")
MANAGER = bearer("programme_manager", ORG, "manager")
CLERK = bearer("caseworker", ORG, "clerk")

AUDITED = {
    ("POST", "/v1/beneficiaries"): "register",
    ("GET", "/v1/beneficiaries"): "list",
    ("GET", "/v1/beneficiaries/{beneficiary_id}"): "read",
    ("PATCH", "/v1/beneficiaries/{beneficiary_id}"): "update",
    ("GET", "/v1/beneficiaries/{beneficiary_id}/case-file"): "read_case_file",
    ("POST", "/v1/beneficiaries/{beneficiary_id}/legal-status"): "legal_status",
    ("GET", "/v1/beneficiaries/{beneficiary_id}/legal-status"): "read_legal_status",
    ("GET", "/v1/beneficiaries/{beneficiary_id}/consents"): "read_consents",
    ("POST", "/v1/beneficiaries/{beneficiary_id}/consents"): "consent",
    ("POST", "/v1/beneficiaries/{beneficiary_id}/consents/{consent_id}/withdraw"): "consent_withdrawal",
    ("DELETE", "/v1/beneficiaries/{beneficiary_id}"): "erase",
    ("POST", "/v1/beneficiaries/{beneficiary_id}/assessments"): "assess",
    ("GET", "/v1/beneficiaries/{beneficiary_id}/assessments"): "read_assessments",
    ("POST", "/v1/beneficiaries/{beneficiary_id}/referrals"): "refer",
    ("GET", "/v1/referrals"): "list_referrals",
    ("POST", "/v1/referrals/{referral_id}/status"): "referral_status",
    ("POST", "/v1/outreach-sessions"): "outreach",
    ("GET", "/v1/outreach-sessions"): "list_outreach",
    ("GET", "/v1/beneficiaries/{beneficiary_id}/duplicates"): "read_duplicates",
    ("GET", "/v1/duplicates"): "list_duplicates",
    ("POST", "/v1/duplicates/{candidate_id}/dismiss"): "dismiss_duplicate",
    ("POST", "/v1/duplicates/{candidate_id}/merge"): "merge",
}
"""Route -> the audit action it leaves for every person it returns or changes."""

NOT_PERSONAL = {
    ("GET", "/health"): "liveness",
    ("GET", "/ready"): "readiness",
    ("GET", "/metrics"): "counts only",
    ("GET", "/asyncapi.json"): "the event contracts",
    ("GET", "/docs"): "the API's documents (their assets are static files)",
    ("GET", "/docs/oauth2-redirect"): "the identity provider's answer to /docs, read in the browser",
    ("GET", "/redoc"): "the API's documents",
    ("GET", "/v1/audit"): "the audit log itself: who looked, not a person's record (admins only)",
    ("POST", "/v1/duplicates/scans"): "starts a job; answers with its progress",
    ("GET", "/v1/duplicates/scans/{job_id}"): "a job's progress: counts",
    ("POST", "/v1/imports"): "starts a job; each person it registers is audited as `register`",
    ("GET", "/v1/imports/{job_id}"): "a job's progress: row numbers, fields and reasons",
    ("POST", "/v1/imports/{job_id}/resume"): "goes on with a job; each person it registers is audited as `register`",
    ("GET", "/v1/imports/{job_id}/errors.csv"): "the same report as CSV",
}


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url) as (client, app, _broker, _published):
        yield client, app


def test_every_route_is_classified(intake_app_routes):
    routes = {(method, path) for path, route in intake_app_routes for method in route.methods - {"HEAD"}}
    unclassified = routes - set(AUDITED) - set(NOT_PERSONAL)
    assert not unclassified, f"say whether these routes return personal data: {sorted(unclassified)}"
    assert not (set(AUDITED) | set(NOT_PERSONAL)) - routes, "routes listed here that the app no longer has"


@pytest.fixture
def intake_app_routes():
    from work4life.intake.bootstrap import build

    from ..conftest import intake_settings

    return api_routes(build(intake_settings(database_url="sqlite://")).routes)


async def test_each_route_that_returns_personal_data_leaves_its_audit_entry(intake):
    client, _app = intake
    today = TODAY
    seen: set[tuple[str, str]] = set()
    counted = [0]  # audit entries so far (the log lists the newest first)

    async def audited(method: str, path: str, response, *people: str) -> None:
        """The call succeeded and left, for each person, one new entry of the route's action by the caller."""
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        action = AUDITED[(method, path)]
        log = (await client.get("/v1/audit", params={"limit": 500}, headers=ADMIN)).json()
        new = log["items"][: log["total"] - counted[0]]
        counted[0] = log["total"]
        for person in people:
            mine = [e for e in new if e["action"] == action and e["beneficiary_id"] == person]
            assert mine, f"{method} {path} left no `{action}` entry for {person}; new entries: {new}"
            assert {e["subject"] for e in mine} <= {"clerk", "manager"}
        seen.add((method, path))

    consents = [
        {"purpose": "service_delivery"},
        {"purpose": "statistics"},
        {"purpose": "referral", "organisation": "anapec"},
    ]
    # Two pairs of look-alike people: one pair is dismissed, the other merged.
    pairs = []
    for given, other, family, born, phone in (
        ("Aminata", "Aminatou", "Traoré", "1996-04-02", "+212 612 345 678"),
        ("Moussa", "Moussah", "Keita", "1979-11-23", "+212 661 002 003"),
    ):
        person = {
            "family_name": family,
            "date_of_birth": born,
            "phone": phone,
            "email": f"{given.lower()}@example.org",
            "consents": consents,
        }
        first = await client.post(
            "/v1/beneficiaries", json=valid_registration(given_name=given, **person), headers=CLERK
        )
        await audited("POST", "/v1/beneficiaries", first, first.json()["beneficiary_id"])
        twin = valid_registration(given_name=other, **person, document_number=None, document_type=None)
        second = await client.post("/v1/beneficiaries", json=twin, headers=CLERK)
        await audited("POST", "/v1/beneficiaries", second, second.json()["beneficiary_id"])
        pairs.append((first.json()["beneficiary_id"], second.json()["beneficiary_id"]))
    who, twin = pairs[0]
    base = f"/v1/beneficiaries/{who}"

    await audited("GET", "/v1/beneficiaries", await client.get("/v1/beneficiaries", headers=CLERK), who, twin)
    await audited("GET", "/v1/beneficiaries/{beneficiary_id}", await client.get(base, headers=CLERK), who)
    patched = await client.patch(base, json={"city": "Salé"}, headers=CLERK)
    await audited("PATCH", "/v1/beneficiaries/{beneficiary_id}", patched, who)
    change = {"legal_status": "refugee", "effective_on": str(today), "reason": "status_recognised"}
    changed = await client.post(f"{base}/legal-status", json=change, headers=CLERK)
    await audited("POST", "/v1/beneficiaries/{beneficiary_id}/legal-status", changed, who)
    timeline = await client.get(f"{base}/legal-status", headers=CLERK)
    await audited("GET", "/v1/beneficiaries/{beneficiary_id}/legal-status", timeline, who)
    given = await client.post(
        f"{base}/consents", json={"purpose": "referral", "organisation": "training"}, headers=CLERK
    )
    await audited("POST", "/v1/beneficiaries/{beneficiary_id}/consents", given, who)
    listed = await client.get(f"{base}/consents", headers=CLERK)
    await audited("GET", "/v1/beneficiaries/{beneficiary_id}/consents", listed, who)
    withdrawn = await client.post(f"{base}/consents/{given.json()['consent_id']}/withdraw", headers=CLERK)
    await audited("POST", "/v1/beneficiaries/{beneficiary_id}/consents/{consent_id}/withdraw", withdrawn, who)
    assessed = await client.post(
        f"{base}/assessments", json={"digital_skills": "basic", "aspirations": ["job"]}, headers=CLERK
    )
    await audited("POST", "/v1/beneficiaries/{beneficiary_id}/assessments", assessed, who)
    assessments = await client.get(f"{base}/assessments", headers=CLERK)
    await audited("GET", "/v1/beneficiaries/{beneficiary_id}/assessments", assessments, who)
    referred = await client.post(
        f"{base}/referrals", json={"organisation": "anapec", "reason": "job_placement"}, headers=CLERK
    )
    await audited("POST", "/v1/beneficiaries/{beneficiary_id}/referrals", referred, who)
    referrals = await client.get("/v1/referrals", params={"beneficiary_id": who}, headers=CLERK)
    await audited("GET", "/v1/referrals", referrals, who)
    step = await client.post(
        f"/v1/referrals/{referred.json()['referral_id']}/status", json={"status": "accepted"}, headers=CLERK
    )
    await audited("POST", "/v1/referrals/{referral_id}/status", step, who)
    session = {
        "campaign": "Know your rights",
        "held_on": str(today - timedelta(days=3)),
        "region": "rabat_sale_kenitra",
        "city": "Rabat",
        "topic": "rights",
        "people_reached": 30,
        "registered_attendees": [who, twin],
    }
    recorded = await client.post("/v1/outreach-sessions", json=session, headers=CLERK)
    await audited("POST", "/v1/outreach-sessions", recorded, who, twin)
    sessions = await client.get("/v1/outreach-sessions", headers=CLERK)
    await audited("GET", "/v1/outreach-sessions", sessions, who, twin)
    await audited(
        "GET", "/v1/beneficiaries/{beneficiary_id}/case-file", await client.get(f"{base}/case-file", headers=CLERK), who
    )

    hints = await client.get(f"{base}/duplicates", headers=CLERK)
    assert [h["beneficiary_id"] for h in hints.json()] == [twin]
    await audited("GET", "/v1/beneficiaries/{beneficiary_id}/duplicates", hints, who, twin)
    queue = await client.get("/v1/duplicates", headers=MANAGER)
    assert queue.json()["total"] == 2
    await audited("GET", "/v1/duplicates", queue, *pairs[0], *pairs[1])
    candidate = {frozenset((c["newer"], c["older"])): c["candidate_id"] for c in queue.json()["items"]}
    dismissed = await client.post(f"/v1/duplicates/{candidate[frozenset(pairs[0])]}/dismiss", headers=MANAGER)
    await audited("POST", "/v1/duplicates/{candidate_id}/dismiss", dismissed, who, twin)
    kept, retired = pairs[1]
    merged = await client.post(
        f"/v1/duplicates/{candidate[frozenset(pairs[1])]}/merge", json={"keep": kept}, headers=MANAGER
    )
    await audited("POST", "/v1/duplicates/{candidate_id}/merge", merged, kept, retired)

    erased = await client.delete(base, headers=MANAGER)
    await audited("DELETE", "/v1/beneficiaries/{beneficiary_id}", erased, who)

    assert seen == set(AUDITED), f"routes not walked: {sorted(set(AUDITED) - seen)}"
