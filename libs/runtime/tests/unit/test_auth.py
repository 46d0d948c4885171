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


def _rsa_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_an_identity_provider_and_the_development_secret_are_trusted_side_by_side():
    """The web app's development sign-in (HS256, shared secret) and the identity provider's tokens
    (RS256, issuer checked) reach the same service; each token is checked with its own key only."""
    private, public = _rsa_pair()
    issuer = "http://idp.example/realms/work4life"
    verifier = TokenVerifier(
        ServiceSettings(
            service_name="t", auth_jwt_secret=TEST_JWT_SECRET, auth_jwt_public_key=public, auth_issuer=issuer
        )
    )
    now = int(time.time())
    claims = {
        "sub": "k",
        "role": ["caseworker", "offline_access"],
        "org": "amappe",
        "aud": "work4life",
        "exp": now + 60,
    }
    from_provider = jwt.encode({**claims, "iss": issuer}, private, algorithm="RS256")
    assert verifier.verify(from_provider).role is Role.CASEWORKER
    assert verifier.verify(mint(TEST_JWT_SECRET, subject="d", role="admin", organisation="o")).role is Role.ADMIN

    from fastapi import HTTPException

    with pytest.raises(HTTPException) as wrong_issuer:
        verifier.verify(jwt.encode({**claims, "iss": "http://elsewhere"}, private, algorithm="RS256"))
    assert wrong_issuer.value.status_code == 401
    # The public key used as an HMAC secret (the classic algorithm-confusion attack) is refused.
    import hashlib
    import hmac
    import json
    from base64 import urlsafe_b64encode

    def b64(raw: bytes) -> str:
        return urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    forged = signing_input + "." + b64(hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest())
    with pytest.raises(HTTPException) as confused:
        verifier.verify(forged)
    assert confused.value.status_code == 401
