"""Importing a partner's spreadsheet: good rows in, bad rows reported, safe to run again."""

import asyncio
import io

import pytest
from openpyxl import Workbook

from ..conftest import started_intake

CSV = (
    "Prénom;Nom;Sexe;Date de naissance;Nationalité;Statut;Région;Ville;Téléphone;Langues;Consentement service;"
    "Consentement statistiques\n"
    "Awa;Diop;F;17/05/1990;SEN;refugie;Oriental;Oujda;+212 611 000 001;fr:fluent, wo;oui;oui\n"
    "Yao;Kouassi;H;1988-02-29;civ;regular_migrant;rabat_sale_kenitra;Rabat;;fr;oui;non\n"
    ";;;;;;;;;;;\n"
    "Bad;Date;F;31/02/1995;SEN;refugee;oriental;Oujda;;;oui;oui\n"
    "No;Consent;M;1991-01-01;GIN;asylum_seeker;oriental;Oujda;;;non;oui\n"
    "Too;Young;M;2015-01-01;GIN;asylum_seeker;atlantis;Oujda;0612;;oui;oui\n"
)


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url) as (client, _app, _broker, _published):
        yield client


async def import_file(client, name: str, content: bytes) -> dict:
    started = await client.post("/v1/imports", files={"file": (name, content)})
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(500):
        job = (await client.get(f"/v1/imports/{job['job_id']}")).json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"import still running: {job}")


async def test_good_rows_are_imported_and_every_bad_row_is_reported(intake):
    job = await import_file(intake, "partners.csv", CSV.encode())
    assert job["status"] == "finished"
    assert (job["rows_total"], job["rows_done"], job["imported"], job["empty_rows"]) == (6, 6, 2, 1)
    errors = {(e["row"], e["field"]) for e in job["errors"]}
    assert (5, "date_of_birth") in errors
    assert (6, "consent_service_delivery") in errors
    assert {(7, "region"), (7, "phone")} <= errors
    assert job["rows_with_errors"] == 3
    people = (await intake.get("/v1/beneficiaries", params={"limit": 10})).json()["items"]
    awa = next(p for p in people if p["given_name"] == "Awa")
    assert awa["legal_status"] == "refugee" and awa["date_of_birth"] == "1990-05-17" and awa["phone"] == "+212611000001"
    assert awa["languages"] == [{"code": "fr", "level": "fluent"}, {"code": "wo", "level": None}]
    report = (await intake.get(f"/v1/imports/{job['job_id']}/errors.csv")).text
    assert report.splitlines()[0] == "row,field,reason" and len(report.splitlines()) == len(job["errors"]) + 1


async def test_a_programme_city_where_the_region_is_expected_is_understood(intake):
    """Partners write "Tanger" or "Béni-Mellal" in the region column; the footprint (intake's
    `FOOTPRINT` and `CITY_ALIASES` settings: the programme's four cities by default) gives the
    region, and the city when its column is empty. A city outside the footprint is still refused,
    named."""
    rows = (
        "Prénom;Nom;Sexe;Date de naissance;Nationalité;Statut;Région;Ville;Consentement service\n"
        "Awa;Diop;F;1990-05-17;SEN;refugee;Tanger;;oui\n"
        "Yao;Kouassi;H;1988-02-28;CIV;regular_migrant;BÉNI-MELLAL;Fquih Ben Salah;oui\n"
        "Sara;Haddad;F;1992-03-01;SYR;refugee;وجدة;;oui\n"
        "Omar;Ba;H;1985-07-07;GIN;asylum_seeker;Casablanca;Casablanca;oui\n"
    )
    job = await import_file(intake, "villes.csv", rows.encode())
    assert job["imported"] == 3, job
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(5, "region")]
    people = {p["given_name"]: p for p in (await intake.get("/v1/beneficiaries", params={"limit": 10})).json()["items"]}
    assert (people["Awa"]["region"], people["Awa"]["city"]) == ("tanger_tetouan_al_hoceima", "Tanger")
    assert (people["Yao"]["region"], people["Yao"]["city"]) == ("beni_mellal_khenifra", "Fquih Ben Salah")
    assert (people["Sara"]["region"], people["Sara"]["city"]) == ("oriental", "Oujda"), "stored under its one name"


async def test_importing_the_same_file_again_creates_no_duplicates(intake):
    await import_file(intake, "partners.csv", CSV.encode())
    again = await import_file(intake, "partners.csv", CSV.encode())
    assert again["imported"] == 0 and again["already_registered"] == [2, 3]
    assert (await intake.get("/v1/beneficiaries")).json()["total"] == 2


async def test_an_xlsx_file_with_excel_dates_is_imported(intake):
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "given_name",
            "family_name",
            "sex",
            "date_of_birth",
            "nationality",
            "legal_status",
            "region",
            "city",
            "consent_service_delivery",
        ]
    )
    sheet.append(
        ["Fatima", "Haddad", "female", datetime(1993, 8, 1), "SYR", "refugee", "casablanca_settat", "Casablanca", "yes"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = await import_file(intake, "registrations.xlsx", buffer.getvalue())
    assert (job["status"], job["imported"], job["errors"]) == ("finished", 1, [])


async def test_a_file_that_cannot_be_read_is_reported_clearly(intake):
    wrong_type = await intake.post("/v1/imports", files={"file": ("people.pdf", b"%PDF-1.4")})
    assert wrong_type.status_code == 415
    missing = await import_file(intake, "people.csv", b"name,phone\nAwa,+212600000000\n")
    assert missing["status"] == "failed" and "missing columns" in missing["failure"]
    broken = await import_file(intake, "people.xlsx", b"not a zip")
    assert broken["status"] == "failed" and "not a readable .xlsx" in broken["failure"]


async def test_a_cell_with_a_control_character_is_a_row_error_and_is_not_stored(intake):
    csv = (
        "given_name;family_name;sex;date_of_birth;nationality;legal_status;region;city;consent_service_delivery\n"
        "Ami\x00nata;Traore;F;1996-04-02;CIV;refugee;oriental;Oujda;oui\n"
        "Awa;Diop;F;1990-05-17;SEN;refugee;oriental;Ouj\x1bda;oui\n"
        "Yao;Kouassi;H;1988-02-29;CIV;refugee;oriental;Oujda;oui\n"
    )
    job = await import_file(intake, "people.csv", csv.encode())
    assert job["imported"] == 1
    assert [(e["row"], e["field"], e["reason"]) for e in job["errors"]] == [
        (2, "given_name", "control characters are not allowed (found U+0000)"),
        (3, "city", "control characters are not allowed (found U+001B)"),
    ]
    people = (await intake.get("/v1/beneficiaries")).json()["items"]
    assert [p["given_name"] for p in people] == ["Yao"]


async def test_a_nationality_written_as_a_country_name_is_understood(intake):
    """Partners' sheets say "Sénégal", "Côte d'Ivoire" or "السنغال" where the API takes SEN or CIV;
    a name that is no country is a row error naming the column, and the row is not stored."""
    csv = (
        "prénom;nom;sexe;date de naissance;nationalité;statut;région;ville;consent_service_delivery\n"
        "Awa;Diop;F;1990-05-17;Sénégal;refugee;oriental;Oujda;oui\n"
        "Yao;Kouassi;H;1988-02-29;Côte d’Ivoire;refugee;oriental;Oujda;oui\n"
        "Mariam;Camara;F;1992-03-01;غينيا;refugee;oriental;Oujda;oui\n"
        "Lina;Haddad;F;1991-07-09;Syrie;refugee;oriental;Oujda;oui\n"
        "Omar;Sy;H;1985-01-20;Atlantide;refugee;oriental;Oujda;oui\n"
    )
    job = await import_file(intake, "pays.csv", csv.encode())
    assert job["imported"] == 4
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(6, "nationality")]
    assert "ISO 3166-1" in job["errors"][0]["reason"]
    people = (await intake.get("/v1/beneficiaries")).json()["items"]
    assert {p["given_name"]: p["nationality"] for p in people} == {
        "Awa": "SEN",
        "Yao": "CIV",
        "Mariam": "GIN",
        "Lina": "SYR",
    }
