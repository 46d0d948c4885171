"""Control characters in any text of any request to any service are a 422 naming the field, on
SQLite and PostgreSQL, and nothing is stored. Before, `"given_name": "Ami\\u0000nata"` was a 500
on PostgreSQL (psycopg.DataError) and on SQLite it was stored and its city published."""

import importlib
import re

import pytest
from fastapi.testclient import TestClient

from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, TEST_JWT_SECRET, bearer

from ..e2e.test_training_flow import PERSON  # a registration with consent

SERVICES = ("intake", "training", "enterprise", "employment", "reporting")
ADMIN = bearer("admin", "lead-ngo", "tester")
CLERK = bearer("caseworker", "amappe-rabat", "aicha")


def client(service: str, database_url: str) -> TestClient:
    """The service's app on its own database, without Kafka (the refusal happens before any write)."""
    config = importlib.import_module(f"work4life.{service}.config")
    settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
    build = importlib.import_module(f"work4life.{service}.bootstrap").build
    app = build(settings_class(auth_jwt_secret=TEST_JWT_SECRET, database_url=database_url, **NO_BROKER))
    migrations.upgrade(app.state.runtime.engine, f"work4life.{service}")
    return TestClient(app)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_of_every_service_refuses_control_characters(service, database_for):
    api = client(service, database_for(service))
    routes = 0
    for path, operations in api.app.openapi()["paths"].items():
        url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        for method, operation in operations.items():
            routes += 1
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                answer = api.request(method, url, json={"note": "a\u0000b"}, headers=ADMIN)
                field = "note"
            else:
                answer = api.request(method, url, params={"filter": "a\u0007b"}, headers=ADMIN)
                field = "filter"
            assert answer.status_code == 422, f"{method.upper()} {path}: {answer.status_code}"
            assert answer.json()["errors"][0]["field"] == field
    assert routes >= 5


def test_a_registration_or_a_search_with_a_nul_is_refused_and_nothing_is_stored(database_for):
    intake = client("intake", database_for("intake"))
    for field, value in [("given_name", "Ami\u0000nata"), ("city", "Ra\u0000bat"), ("family_name", "Tra\u001bore")]:
        answer = intake.post("/v1/beneficiaries", json={**PERSON, field: value}, headers=CLERK)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"] == [
            {"field": field, "reason": answer.json()["errors"][0]["reason"], "type": "control_character"}
        ]
    search = intake.get("/v1/beneficiaries", params={"name": "Am\u0000in"}, headers=CLERK)
    assert search.status_code == 422 and search.json()["errors"][0]["field"] == "name"
    assert intake.get("/v1/beneficiaries", headers=CLERK).json()["total"] == 0
    with intake.app.state.runtime.engine.connect() as db:
        from sqlalchemy import text

        assert db.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0  # nothing to publish
    # The same person without the NUL is taken: the refusal was the character, not the person.
    assert intake.post("/v1/beneficiaries", json=PERSON, headers=CLERK).status_code == 201
