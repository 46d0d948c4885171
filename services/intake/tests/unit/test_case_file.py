"""A person's case file: everything a caseworker's screen shows of a person in one read, scoped to
the caller's organisation and audited once."""

import pytest

from work4life.runtime.testing import bearer

from ..conftest import ORG, started_intake, valid_registration


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url) as (client, _app, _broker, _published):
        yield client


async def test_the_case_file_holds_every_part_of_a_persons_record(intake):
    consents = [
        {"purpose": "service_delivery"},
        {"purpose": "referral", "organisation": "training"},
    ]
    first = (await intake.post("/v1/beneficiaries", json=valid_registration(consents=consents))).json()
    twin = valid_registration(given_name="Aminatou", consents=consents, document_number=None, document_type=None)
    second = (await intake.post("/v1/beneficiaries", json=twin)).json()
    who = second["beneficiary_id"]
    assessed = await intake.post(
        f"/v1/beneficiaries/{who}/assessments", json={"digital_skills": "basic", "aspirations": ["job"]}
    )
    assert assessed.status_code == 201
    referred = await intake.post(
        f"/v1/beneficiaries/{who}/referrals", json={"service": "training", "reason": "vocational_training"}
    )
    assert referred.status_code == 201
    answer = await intake.get(f"/v1/beneficiaries/{who}/case-file")
    assert answer.status_code == 200
    file = answer.json()
    assert file["person"]["beneficiary_id"] == who
    assert [e["legal_status"] for e in file["legal_status"]] == ["asylum_seeker"]
    assert sorted(c["purpose"] for c in file["consents"]) == ["referral", "service_delivery"]
    assert [a["aspirations"] for a in file["assessments"]] == [["job"]]
    assert [r["reason"] for r in file["referrals"]] == ["vocational_training"] and file["referrals_total"] == 1
    assert [d["beneficiary_id"] for d in file["possible_duplicates"]] == [first["beneficiary_id"]]
    assert "given_name" not in file["possible_duplicates"][0]  # the other person's name is not repeated

    audit = (await intake.get("/v1/audit", params={"beneficiary_id": who}, headers=bearer("admin", ORG))).json()
    assert [e["action"] for e in audit["items"]].count("read_case_file") == 1


async def test_another_organisations_caseworker_gets_404(intake):
    who = (await intake.post("/v1/beneficiaries", json=valid_registration())).json()["beneficiary_id"]
    answer = await intake.get(f"/v1/beneficiaries/{who}/case-file", headers=bearer("caseworker", "oujda-solidarite"))
    assert answer.status_code == 404
    assert (await intake.get(f"/v1/beneficiaries/{who}/case-file", headers=bearer("me_viewer", ORG))).status_code == 403
