"""`/docs` and `/redoc` come from the service's own assets; outside production, with a public client
of the identity provider, the OpenAPI document offers signing in with it beside the bearer token."""

from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from work4life.runtime.auth import Principal, principal_of
from work4life.runtime.docs import OAUTH_SCHEME, add_docs
from work4life.runtime.settings import ServiceSettings

ISSUER = "https://id.example.org/realms/work4life"


def app_with(**settings) -> TestClient:
    app = FastAPI(title="Example", docs_url=None, redoc_url=None)

    @app.get("/v1/things")
    def things(who: Annotated[Principal, Depends(principal_of)]) -> list[str]:
        return []

    @app.get("/health")
    def health() -> str:
        return "ok"

    add_docs(app, ServiceSettings(service_name="example", auth_jwt_secret="s" * 32, **settings))
    return TestClient(app)


def test_the_pages_and_their_assets_are_served_by_the_service():
    client = app_with()
    docs = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200
    assert "/docs-assets/redoc.standalone.js" in client.get("/redoc").text
    assert "oauth2" in client.get("/docs/oauth2-redirect").text
    assert "initOAuth" not in docs, "no sign-in offered without a client"
    assert set(client.get("/openapi.json").json()["components"]["securitySchemes"]) == {"bearer"}


def test_outside_production_docs_sign_in_through_the_identity_provider_with_pkce():
    client = app_with(auth_issuer=ISSUER, docs_oauth_client_id="work4life-docs", environment="test")
    document = client.get("/openapi.json").json()
    flow = document["components"]["securitySchemes"][OAUTH_SCHEME]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{ISSUER}/protocol/openid-connect/auth"
    assert flow["tokenUrl"] == f"{ISSUER}/protocol/openid-connect/token"
    assert document["paths"]["/v1/things"]["get"]["security"] == [{"bearer": []}, {OAUTH_SCHEME: []}]
    assert "security" not in document["paths"]["/health"]["get"], "open routes stay open"
    docs = client.get("/docs").text
    assert '"clientId": "work4life-docs"' in docs and '"usePkceWithAuthorizationCodeGrant": true' in docs


def test_production_offers_no_sign_in_from_docs():
    client = app_with(
        auth_issuer=ISSUER,
        docs_oauth_client_id="work4life-docs",
        environment="production",
        database_url="postgresql+psycopg://u:p@db/x",
    )
    assert set(client.get("/openapi.json").json()["components"]["securitySchemes"]) == {"bearer"}
    assert "initOAuth" not in client.get("/docs").text
