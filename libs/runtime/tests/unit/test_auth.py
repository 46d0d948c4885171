"""Bearer tokens: who may call, with which role and organisation."""

import time

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from work4life.runtime.auth import Principal, Role, TokenVerifier, mint, require
from work4life.runtime.settings import ServiceSettings
from work4life.runtime.testing import TEST_JWT_SECRET, bearer


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(ServiceSettings(service_name="t", auth_jwt_secret=TEST_JWT_SECRET))

    @app.get("/people")
    def people(who: Principal = Depends(require(Role.CASEWORKER, Role.ADMIN))) -> dict:
        return {"sub": who.subject, "role": who.role, "org": who.organisation}

    return TestClient(app)


def test_a_valid_token_gives_the_caller(client):
    response = client.get("/people", headers=bearer("caseworker", "amappe", "aicha"))
    assert response.json() == {"sub": "aicha", "role": "caseworker", "org": "amappe"}


def test_no_token_is_a_401_that_says_how_to_authenticate(client):
    response = client.get("/people")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(client):
    token = mint(TEST_JWT_SECRET, subject="x", role="admin", organisation="o", ttl_s=-120)
    response = client.get("/people", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_token_signed_with_another_key_is_refused(client):
    token = mint("another-secret-that-is-long-enough-0123456789", subject="x", role="admin", organisation="o")
    response = client.get("/people", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "Signature verification failed" in response.json()["detail"]


def test_a_token_for_another_audience_is_refused(client):
    token = mint(TEST_JWT_SECRET, subject="x", role="admin", organisation="o", audience="someone-else")
    assert client.get("/people", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_wrong_role_is_a_403_naming_the_allowed_roles(client):
    response = client.get("/people", headers=bearer("me_viewer"))
    assert response.status_code == 403
    assert response.json()["detail"] == "role me_viewer may not do this; allowed: caseworker, admin"


def test_a_token_without_organisation_is_refused(client):
    token = jwt.encode(
        {"sub": "x", "role": "admin", "aud": "work4life", "exp": int(time.time()) + 60},
        TEST_JWT_SECRET,
        algorithm="HS256",
    )
    response = client.get("/people", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and "organisation" in response.json()["detail"]


def test_the_most_powerful_known_role_of_a_list_is_taken(client):
    token = jwt.encode(
        {
            "sub": "x",
            "role": ["offline_access", "caseworker", "admin"],
            "org": "o",
            "aud": "work4life",
            "exp": int(time.time()) + 60,
        },
        TEST_JWT_SECRET,
        algorithm="HS256",
    )
    assert client.get("/people", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "admin"
