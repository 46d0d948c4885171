"""Each service's interactive API documents (`/docs`, `/redoc`), served without a CDN, and signing
in to `/docs` through the identity provider outside production.

FastAPI's own pages fetch Swagger UI and ReDoc from a CDN: on a partner's network without one, or
on a tablet's captive Wi-Fi, they stay blank. The assets come from the `fastapi-offline` package
(Swagger UI 5, which reads OpenAPI 3.1) and are served by the service itself.

With `DOCS_OAUTH_CLIENT_ID` and `AUTH_ISSUER` set (Keycloak's realm URL) and the environment not
production, the OpenAPI document declares an OAuth 2 authorization-code scheme beside the bearer
token, and `/docs` signs the reader in through the identity provider with PKCE: "Authorize", the
realm's sign-in page, then every "Try it out" carries the reader's own token, role and
organisation. In production `/docs` still shows the API; a token is pasted as a bearer token.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

if TYPE_CHECKING:
    from .settings import ServiceSettings

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"
OAUTH_SCHEME = "identity_provider"


def oauth_flow(settings: "ServiceSettings") -> dict[str, str] | None:
    """The authorization-code flow `/docs` signs in with, or None (production, or not configured)."""
    if settings.environment == "production" or not (settings.docs_oauth_client_id and settings.auth_issuer):
        return None
    issuer = settings.auth_issuer.rstrip("/")
    return {
        "authorizationUrl": settings.docs_oauth_authorization_url or f"{issuer}/protocol/openid-connect/auth",
        "tokenUrl": settings.docs_oauth_token_url or f"{issuer}/protocol/openid-connect/token",
    }


def add_docs(app: FastAPI, settings: "ServiceSettings") -> None:
    """`/docs`, `/docs/oauth2-redirect` and `/redoc` from the service's own assets. The app must be
    made with `docs_url=None, redoc_url=None`."""
    flow = oauth_flow(settings)
    init_oauth = (
        {"clientId": settings.docs_oauth_client_id, "usePkceWithAuthorizationCodeGrant": True, "scopes": "openid"}
        if flow
        else None
    )
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            oauth2_redirect_url=f"{root}{redirect}",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            init_oauth=init_oauth,
            swagger_ui_parameters={"persistAuthorization": False},
        )

    @app.get(redirect, include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    if flow is None:
        return
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[OAUTH_SCHEME] = {
            "type": "oauth2",
            "description": "Sign in through the identity provider (authorization code with PKCE): "
            "outside production only, for reading and trying the API in /docs.",
            "flows": {"authorizationCode": {**flow, "scopes": {"openid": "Sign in"}}},
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                security = operation.get("security")
                if security and {OAUTH_SCHEME: []} not in security:
                    security.append({OAUTH_SCHEME: []})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
