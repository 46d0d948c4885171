"""Every route of intake refuses an intruder: no token, an expired or badly signed token, a role
the route does not admit, and a caseworker of another organisation reading a partner's people."""

from fastapi.testclient import TestClient

from work4life.intake.bootstrap import build
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, bearer, walk_access

from ..conftest import ORG, intake_settings, valid_registration


def seed(app) -> dict[str, str]:
    """A person of ORG with a consent, an assessment and a referral, made through the API."""
    client = TestClient(app)
    caseworker = bearer("caseworker", ORG, "aicha")
    person = client.post("/v1/beneficiaries", json=valid_registration(), headers=caseworker)
    assert person.status_code == 201, person.text
    pid = person.json()["beneficiary_id"]
    consent = client.post(
        f"/v1/beneficiaries/{pid}/consents",
        json={"purpose": "referral", "organisation": "training"},
        headers=caseworker,
    )
    assert consent.status_code == 201, consent.text
    referral = client.post(
        f"/v1/beneficiaries/{pid}/referrals",
        json={"service": "training", "reason": "vocational_training"},
        headers=caseworker,
    )
    assert referral.status_code == 201, referral.text
    return {
        "beneficiary_id": pid,
        "consent_id": consent.json()["consent_id"],
        "referral_id": referral.json()["referral_id"],
    }


def test_every_route_refuses_an_intruder(tmp_path):
    app = build(intake_settings(database_url=f"sqlite:///{tmp_path}/intake.db", **NO_BROKER))
    migrations.upgrade(app.state.runtime.engine, "work4life.intake")
    counts = walk_access(app, public={}, path_values=seed(app), owner_organisation=ORG)
    print(f"\n{counts}")
    assert counts["no_token"] >= 25 and counts["wrong_role"] >= 25 and counts["wrong_organisation"] >= 4


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(tmp_path):
    app = build(intake_settings(database_url=f"sqlite:///{tmp_path}/intake.db", http_max_body_bytes=4096, **NO_BROKER))
    migrations.upgrade(app.state.runtime.engine, "work4life.intake")
    client = TestClient(app)
    caseworker = bearer("caseworker", ORG, "aicha")
    big = valid_registration(given_name="A" * 8000)
    response = client.post("/v1/beneficiaries", json=big, headers=caseworker)
    assert response.status_code == 413
    assert response.json()["errors"] == [{"field": "body", "reason": "the request body is larger than 4,096 bytes"}]

    def chunks():  # no Content-Length: the limit holds on the stream too
        for _ in range(10):
            yield b"x" * 1000

    streamed = client.post(
        "/v1/beneficiaries", content=chunks(), headers={**caseworker, "content-type": "application/json"}
    )
    assert streamed.status_code == 413
    # A spreadsheet has its own, larger limit: 6 kB of CSV passes the 4 kB limit of the rest.
    csv = "given_name,family_name\n" + "Aminata,Traore\n" * 400
    upload = client.post("/v1/imports", files={"file": ("people.csv", csv, "text/csv")}, headers=caseworker)
    assert upload.status_code == 202, upload.text
    assert client.post("/v1/beneficiaries", json=valid_registration(), headers=caseworker).status_code == 201
