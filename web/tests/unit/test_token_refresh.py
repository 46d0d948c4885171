"""A session signed in through the identity provider keeps working past its access token's life:
the token is refreshed before a page needs it; when the provider refuses, the session ends."""

import time

import httpx

from work4life.runtime.auth import mint
from work4life.runtime.testing import TEST_JWT_SECRET
from work4life.web.pages import auth

from ..conftest import web_over_intake


class Provider:
    """The identity provider's token endpoint, as far as a refresh goes."""

    def __init__(self, accept: bool) -> None:
        self.accept = accept
        self.seen: list[dict[str, str]] = []

    async def load_server_metadata(self) -> dict[str, str]:
        return {"token_endpoint": "http://idp.test/token", "end_session_endpoint": "http://idp.test/logout"}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(dict(httpx.QueryParams(request.content.decode())))
        if not self.accept:
            return httpx.Response(400, json={"error": "invalid_grant"})
        fresh = mint(TEST_JWT_SECRET, subject="kc-aicha", role="caseworker", organisation="amappe-rabat", ttl_s=300)
        return httpx.Response(200, json={"access_token": fresh, "refresh_token": "r2", "expires_in": 300})


def as_provider_session(web_app, provider: Provider, monkeypatch) -> object:
    """Turn the test's (development) session into one from the provider whose token has expired."""
    real_client = httpx.AsyncClient
    monkeypatch.setattr(auth, "oauth_client", lambda request: provider)
    monkeypatch.setattr(
        auth.httpx, "AsyncClient", lambda **kw: real_client(transport=httpx.MockTransport(provider.handle), **kw)
    )
    [session] = list(web_app.state.web.sessions._sessions.values())
    session.via, session.refresh_token = "oidc", "r1"
    session.token = mint(TEST_JWT_SECRET, subject="kc-aicha", role="caseworker", organisation="amappe-rabat", ttl_s=-60)
    session.token_expires_at = time.time() - 60
    return session


async def test_an_expired_access_token_is_refreshed_before_the_page_needs_it(tmp_path, monkeypatch):
    async with web_over_intake(tmp_path) as (browser, _intake):
        await browser.sign_in()
        provider = Provider(accept=True)
        web_app = browser.client._transport.app  # type: ignore[attr-defined]
        session = as_provider_session(web_app, provider, monkeypatch)
        page = await browser.get("/people")
        assert page.status_code == 200
        assert provider.seen == [{"grant_type": "refresh_token", "refresh_token": "r1"}]
        assert session.refresh_token == "r2" and session.token_expires_at > time.time() + 200


async def test_a_refused_refresh_ends_the_session(tmp_path, monkeypatch):
    async with web_over_intake(tmp_path) as (browser, _intake):
        await browser.sign_in()
        web_app = browser.client._transport.app  # type: ignore[attr-defined]
        as_provider_session(web_app, Provider(accept=False), monkeypatch)
        page = await browser.client.get("/people")
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
        again = await browser.client.get("/sign-in")
        assert "session a pris fin" in again.text
        assert len(web_app.state.web.sessions) == 0
