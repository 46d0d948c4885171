"""A control character in any text of a request is a 422 that names the field, before any route
runs (PostgreSQL refused a NUL with a 500; SQLite stored it and published it)."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from work4life.runtime.http import ControlCharacters, add_error_handlers

seen: list[object] = []


class Person(BaseModel):
    given_name: str
    notes: str = ""
    consents: list[dict[str, str]] = []


def app() -> TestClient:
    api = FastAPI()
    api.add_middleware(ControlCharacters)
    add_error_handlers(api)

    @api.post("/people")
    def register(person: Person) -> dict:
        seen.append(person)
        return {"ok": True}

    @api.get("/people")
    def search(name: str = "") -> dict:
        seen.append(name)
        return {"name": name}

    @api.post("/upload")
    async def upload(body: bytes = b"") -> dict:
        return {}

    return TestClient(api)


@pytest.mark.parametrize(
    ("body", "field", "character"),
    [
        ({"given_name": "Ami\u0000nata"}, "given_name", "U+0000"),
        ({"given_name": "Aminata\u0007"}, "given_name", "U+0007"),
        ({"given_name": "Aminata", "notes": "esc \u001b[31m"}, "notes", "U+001B"),
        ({"given_name": "A", "consents": [{"purpose": "ok"}, {"purpose": "x\u007f"}]}, "consents.1.purpose", "U+007F"),
        ({"given_name": "A", "consents": [{"pur\u0000pose": "x"}]}, "consents.0.pur\u0000pose", "U+0000"),
        ({"given_name": "C1 \u0085 next line"}, "given_name", "U+0085"),
    ],
)
def test_a_control_character_in_a_json_body_is_a_422_naming_the_field(body, field, character):
    seen.clear()
    response = app().post("/people", json=body)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == field and character in error["reason"]
    assert field in response.json()["detail"]
    assert seen == []  # the route never ran


def test_a_control_character_in_a_query_parameter_is_a_422_naming_it():
    seen.clear()
    response = app().get("/people?name=Am%00in")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name" and seen == []


def test_tabs_line_breaks_and_every_script_pass():
    seen.clear()
    client = app()
    body = {"given_name": "أمينة Aminata Ñoño 李", "notes": "line one\r\nline two\tand a tab"}
    assert client.post("/people", json=body).status_code == 200
    assert client.get("/people", params={"name": "Amīna àé"}).json() == {"name": "Amīna àé"}
    assert len(seen) == 2


def test_a_body_that_is_not_json_is_left_to_the_route():
    response = app().post("/people", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"][0]["type"] == "json_invalid"
    assert (
        app()
        .post("/upload", content=b"\x00\x01binary", headers={"content-type": "application/octet-stream"})
        .status_code
        == 200
    )
