"""Text that looks like code is text: SQL fragments, LIKE wildcards, template and shell syntax are
stored and searched for as the characters typed, on SQLite and PostgreSQL. Before, a search for
`%` or `_` in intake, training or employment matched every record (the wildcards reached `LIKE`
unescaped)."""

import pytest

from ..e2e.test_training_flow import PERSON
from .test_control_characters import CLERK, client

INJECTIONS = ["%", "_", "%%", "' OR '1'='1", "a%' --", "\\", "*", "${jndi:ldap://x}", "{{7*7}}", "'; DROP TABLE x; --"]
TRAINER = {"Authorization": CLERK["Authorization"]}  # a caseworker of amappe-rabat runs these partners' screens here


def test_a_search_takes_wildcards_and_sql_as_the_characters_typed(database_for):
    intake = client("intake", database_for("intake"))
    for given, family in [("Aminata", "Traore"), ("Moussa", "Diallo")]:
        made = intake.post(
            "/v1/beneficiaries", json={**PERSON, "given_name": given, "family_name": family}, headers=CLERK
        )
        assert made.status_code == 201, made.text
    assert intake.get("/v1/beneficiaries", params={"name": "al"}, headers=CLERK).json()["total"] == 1
    for typed in INJECTIONS:
        found = intake.get("/v1/beneficiaries", params={"name": typed * 2 if len(typed) < 2 else typed}, headers=CLERK)
        assert found.status_code == 200, (typed, found.text)
        assert found.json()["total"] == 0, f"{typed!r} matched {found.json()['total']} people"
    assert intake.get("/v1/beneficiaries", headers=CLERK).json()["total"] == 2, "nothing was dropped"


@pytest.mark.parametrize(
    ("service", "create", "search", "field"),
    [
        ("training", "/v1/courses", "/v1/courses", "title"),
        ("employment", "/v1/employers", "/v1/employers", "name"),
    ],
)
def test_free_text_keeps_what_was_typed_and_is_found_only_by_it(service, create, search, field, database_for):
    api = client(service, database_for(service))
    bodies = {
        "training": {
            "kind": "vocational",
            "provider": "OFPPT",
            "hours": 40,
            "certifying": False,
            "sector": "cross_sector",
        },
        "employment": {
            "type": "sme",
            "ownership": "moroccan",
            "sector": "agrifood",
            "region": "oriental",
            "city": "Oujda",
            "contact_name": "Mme Alaoui",
        },
    }[service]
    plain = api.post(create, json={**bodies, field: "Cuisine du monde"}, headers=TRAINER)
    assert plain.status_code == 201, plain.text
    for typed in INJECTIONS:
        made = api.post(create, json={**bodies, field: f"Atelier {typed} fin"}, headers=TRAINER)
        assert made.status_code == 201, (typed, made.text)
        assert made.json()[field] == f"Atelier {typed} fin", "stored as typed"
    for typed in ("%", "_", "' OR '1'='1"):
        found = api.get(search, params={"q": typed}, headers=TRAINER).json()
        names = sorted(item[field] for item in found["items"])
        assert names == sorted(f"Atelier {t} fin" for t in INJECTIONS if typed in t), typed
    everything = api.get(search, params={"limit": 100}, headers=TRAINER).json()
    assert everything["total"] == len(INJECTIONS) + 1
