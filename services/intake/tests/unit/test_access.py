"""Who may see and change whose records, and the audit trail of personal-data reads."""

import pytest

from work4life.runtime.testing import bearer

from ..conftest import started_intake, valid_registration

OTHER_ORG = bearer("caseworker", "caritas-oujda", "youssef")
MANAGER = bearer("programme_manager", "lead-ngo", "nadia")
ADMIN = bearer("admin", "lead-ngo", "root")
VIEWER = bearer("me_viewer", "lead-ngo", "omar")


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url) as (client, _app, _broker, _published):
        yield client


async def register(client, **overrides) -> str:
    response = await client.post("/v1/beneficiaries", json=valid_registration(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["beneficiary_id"]


async def test_every_business_route_refuses_a_request_without_a_token(intake):
    for method, path in [
        ("POST", "/v1/beneficiaries"),
        ("GET", "/v1/beneficiaries"),
        ("GET", "/v1/beneficiaries/00000000-0000-4000-8000-000000000000"),
        ("GET", "/v1/audit"),
    ]:
        response = await intake.request(method, path, headers={"Authorization": ""})
        assert response.status_code == 401, (method, path)


async def test_a_caseworker_sees_only_their_organisations_people(intake):
    mine = await register(intake)
    theirs_response = await intake.post(
        "/v1/beneficiaries", json=valid_registration(partner_organisation="caritas-oujda"), headers=OTHER_ORG
    )
    theirs = theirs_response.json()["beneficiary_id"]

    listed = (await intake.get("/v1/beneficiaries")).json()
    assert [p["beneficiary_id"] for p in listed["items"]] == [mine]
    assert (await intake.get(f"/v1/beneficiaries/{theirs}")).status_code == 404
    refused = await intake.get("/v1/beneficiaries", params={"partner_organisation": "caritas-oujda"})
    assert refused.status_code == 403

    everyone = (await intake.get("/v1/beneficiaries", headers=MANAGER)).json()
    assert {p["beneficiary_id"] for p in everyone["items"]} == {mine, theirs}


async def test_a_caseworker_cannot_register_people_for_another_organisation(intake):
    response = await intake.post("/v1/beneficiaries", json=valid_registration(partner_organisation="caritas-oujda"))
    assert response.status_code == 403
    assert "cannot register people for caritas-oujda" in response.json()["detail"]


async def test_the_registration_defaults_to_the_callers_organisation(intake):
    body = valid_registration()
    del body["partner_organisation"]
    response = await intake.post("/v1/beneficiaries", json=body, headers=OTHER_ORG)
    assert response.json()["partner_organisation"] == "caritas-oujda"


async def test_an_me_viewer_gets_no_personal_data(intake):
    await register(intake)
    response = await intake.get("/v1/beneficiaries", headers=VIEWER)
    assert response.status_code == 403 and "me_viewer" in response.json()["detail"]


async def test_every_read_of_personal_data_is_in_the_audit_log_which_only_admins_read(intake):
    person = await register(intake)
    await intake.get(f"/v1/beneficiaries/{person}")
    await intake.get("/v1/beneficiaries", headers=MANAGER)

    assert (await intake.get("/v1/audit", headers=MANAGER)).status_code == 403
    log = (await intake.get("/v1/audit", params={"beneficiary_id": person}, headers=ADMIN)).json()
    trail = [(e["subject"], e["role"], e["action"]) for e in log["items"]]
    assert trail == [
        ("nadia", "programme_manager", "list"),
        ("tester", "caseworker", "read"),
        ("tester", "caseworker", "register"),
    ]
    assert all(e["beneficiary_id"] == person for e in log["items"])
