"""Each service's OpenAPI document says what its API answers: the error body as it really is,
the answers each route can give, and the bearer token a signed-in route needs."""

import json

import jsonschema
import pytest

from work4life.runtime.http import ERROR_SCHEMA

from .test_control_characters import ADMIN, SERVICES, client


@pytest.mark.parametrize("service", SERVICES)
def test_the_openapi_document_tells_the_error_answers_and_the_token(service, tmp_path):
    api = client(service, f"sqlite:///{tmp_path}/{service}.db")
    document = api.app.openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and schemas["Error"] == ERROR_SCHEMA
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    signed_in = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            for code, answer in answers.items():  # 409 and the rest: the one error body
                if code.startswith("4"):
                    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
                        f"{method} {path} {code}"
                    )
            if operation.get("security"):
                signed_in += 1
                assert {"401", "403"} <= set(answers), f"{method} {path}"
            if "{" in path:
                assert "404" in answers
            if "requestBody" in operation:
                assert "413" in answers
            # What the route answers without a token is what the document says it needs.
            if path.startswith("/v1/") and method == "get" and "{" not in path:
                anonymous = api.get(path).status_code
                assert (anonymous == 401) == bool(operation.get("security")), f"{path}: {anonymous}"
    assert signed_in > 0


def number_or_date(schema: dict) -> bool:
    text = json.dumps(schema)
    return '"integer"' in text or '"date"' in text


@pytest.mark.parametrize("service", SERVICES)
def test_a_real_422_answer_matches_the_documented_error_body(service, tmp_path):
    api = client(service, f"sqlite:///{tmp_path}/{service}.db")
    document = api.app.openapi()
    # A query parameter that must be a number or a date, given a word: FastAPI's validation answers.
    path, name = next(
        (path, parameter["name"])
        for path, operations in document["paths"].items()
        if path.startswith("/v1/") and "{" not in path and "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query"
        and ('"integer"' in str(parameter["schema"]).replace("'", '"') or "date" in str(parameter["schema"]))
    )
    answer = api.get(path, params={name: "many"}, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    jsonschema.validate(answer.json(), ERROR_SCHEMA)
    assert isinstance(answer.json()["detail"], str) and answer.json()["errors"][0]["field"] == name


@pytest.mark.parametrize("service", SERVICES)
def test_a_405_names_every_method_of_the_path(service, tmp_path):
    api = client(service, f"sqlite:///{tmp_path}/{service}.db")
    paths = api.app.openapi()["paths"]
    shared = {p: {m.upper() for m in ops} for p, ops in paths.items() if len(ops) >= 2 and "{" not in p}
    if not shared:
        shared = {p: {m.upper() for m in ops} for p, ops in paths.items() if "{" not in p and p.startswith("/v1/")}
    path, methods = next(iter(sorted(shared.items())))
    refused = next(m for m in ("PATCH", "PUT", "DELETE") if m not in methods)
    answer = api.request(refused, path, headers=ADMIN)
    assert answer.status_code == 405
    allowed = sorted(methods | ({"HEAD"} if "GET" in methods else set()))
    assert answer.headers["allow"] == ", ".join(allowed), path
    assert refused in answer.json()["detail"]
