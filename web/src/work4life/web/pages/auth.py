"""Signing in and out, and the language.

Sign-in goes to the deployment's identity provider by OpenID Connect (authorization code with PKCE,
through authlib); outside production a development sign-in mints the same tokens as `w4l-token`
with the services' development secret. Either way the token is kept in the server-side session."""

import time
from typing import Annotated

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from work4life.runtime.auth import Role, mint

from .. import i18n
from ..app import NeedSignIn, current, error_page, form_of, gettext_for, render, web_of
from ..sessions import StaffSession, identity_from_token

router = APIRouter()


def oauth_client(request: Request):
    web = web_of(request)
    if web.settings.oidc_issuer is None:
        return None
    if web.oauth is None:
        oauth = OAuth()
        oauth.register(
            name="idp",
            server_metadata_url=f"{web.settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
            client_id=web.settings.oidc_client_id,
            client_secret=web.settings.oidc_client_secret.get_secret_value()
            if web.settings.oidc_client_secret
            else None,
            client_kwargs={"scope": web.settings.oidc_scope, "code_challenge_method": "S256"},
        )
        web.oauth = oauth.idp
    return web.oauth


def safe_next(target: str | None) -> str:
    """Only a path of this app (never another site) is a place to go back to."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def start_session(request: Request, session: StaffSession) -> None:
    web = web_of(request)
    web.sessions.drop(request.session.get("sid"))
    request.session.clear()  # a new cookie session (and CSRF token) at sign-in
    request.session["sid"] = web.sessions.create(session)
    web.metrics.sign_ins.labels(session.via).inc()


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    web = web_of(request)
    if web.sessions.get(request.session.get("sid")):
        return RedirectResponse(safe_next(next), status_code=303)
    ended = request.session.pop("ended", False)
    return render(
        request,
        "sign_in.html",
        {
            "next": safe_next(next),
            "ended": ended,
            "oidc": web.settings.oidc_issuer is not None,
            "dev": web.settings.dev_sign_in,
            "roles": [r.value for r in Role],
            "organisations": web.settings.organisations,
        },
    )


@router.get("/sign-in/oidc", include_in_schema=False)
async def sign_in_oidc(request: Request, next: str | None = None) -> Response:
    client = oauth_client(request)
    if client is None:
        return RedirectResponse("/sign-in", status_code=303)
    request.session["next"] = safe_next(next)
    redirect_uri = f"{web_of(request).settings.base_url}/sign-in/callback"
    try:
        return await client.authorize_redirect(
            request,
            redirect_uri,
            ui_locales=i18n.choose_language(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")),
        )
    except (httpx.HTTPError, OAuthError) as exc:
        gettext = gettext_for(request)
        return error_page(
            request,
            503,
            gettext("Sign-in unavailable"),
            gettext("The identity provider does not answer.") + f" ({exc})",
        )


@router.get("/sign-in/callback", include_in_schema=False)
async def sign_in_callback(request: Request) -> Response:
    client = oauth_client(request)
    gettext = gettext_for(request)
    if client is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        token = await client.authorize_access_token(request)
    except (OAuthError, httpx.HTTPError) as exc:
        return error_page(request, 400, gettext("Sign-in failed"), str(getattr(exc, "description", None) or exc))
    identity = identity_from_token(token["access_token"])
    claims = token.get("userinfo") or {}
    if not identity["role"] or not identity["organisation"]:
        return error_page(
            request,
            403,
            gettext("No access to Work4Life"),
            gettext("Your account has no Work4Life role or organisation. Ask your administrator."),
        )
    target = request.session.pop("next", "/")
    start_session(
        request,
        StaffSession(
            subject=identity["subject"],
            name=str(claims.get("name") or claims.get("preferred_username") or identity["name"]),
            role=identity["role"],
            organisation=identity["organisation"],
            token=token["access_token"],
            token_expires_at=float(token.get("expires_at") or identity["exp"]),
            refresh_token=token.get("refresh_token"),
            via="oidc",
        ),
    )
    return RedirectResponse(safe_next(target), status_code=303)


@router.post("/sign-in/development", include_in_schema=False)
async def sign_in_development(request: Request) -> Response:
    web = web_of(request)
    gettext = gettext_for(request)
    if not web.settings.dev_sign_in:
        return error_page(
            request, 403, gettext("Not available"), gettext("The development sign-in is off in production.")
        )
    form = await form_of(request)
    name = " ".join(str(form.get("name") or "").split())[:60]
    role = str(form.get("role") or "")
    organisation = str(form.get("organisation") or "").strip().lower()[:50]
    errors = {}
    if len(name) < 2:
        errors["name"] = gettext("is required")
    if role not in Role._value2member_map_:
        errors["role"] = gettext("is not one of the choices")
    if not organisation:
        errors["organisation"] = gettext("is required")
    if errors:
        return render(
            request,
            "sign_in.html",
            {
                "next": safe_next(form.get("next")),
                "ended": False,
                "oidc": web.settings.oidc_issuer is not None,
                "dev": True,
                "roles": [r.value for r in Role],
                "organisations": web.settings.organisations,
                "errors": errors,
                "values": form,
            },
            422,
        )
    assert web.settings.dev_jwt_secret is not None
    subject = "dev-" + "-".join(name.lower().split())
    ttl = web.settings.session_max_hours * 3600
    token = mint(
        web.settings.dev_jwt_secret.get_secret_value(), subject=subject, role=role, organisation=organisation, ttl_s=ttl
    )
    start_session(
        request,
        StaffSession(
            subject=subject,
            name=name,
            role=role,
            organisation=organisation,
            token=token,
            token_expires_at=time.time() + ttl,
            via="development",
        ),
    )
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    await form_of(request)
    web = web_of(request)
    session = web.sessions.drop(request.session.get("sid"))
    request.session.clear()
    if session is not None and session.via == "oidc" and session.refresh_token:
        client = oauth_client(request)
        try:  # end the identity provider's session too (back channel: no redirect through the browser)
            metadata = await client.load_server_metadata()
            async with httpx.AsyncClient(timeout=5) as http:
                await http.post(
                    metadata["end_session_endpoint"],
                    data={
                        "client_id": web.settings.oidc_client_id,
                        "client_secret": web.settings.oidc_client_secret.get_secret_value()
                        if web.settings.oidc_client_secret
                        else "",
                        "refresh_token": session.refresh_token,
                    },
                )
        except (httpx.HTTPError, KeyError):
            pass
    response = render(request, "signed_out.html")
    # What waits on the device (registrations made offline) and the cached pages go with the session.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@router.post("/language", include_in_schema=False)
async def choose_language(
    request: Request, language: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=web_of(request).settings.secure_cookies,
        )
    return response


async def fresh_token(request: Request, session: Annotated[StaffSession, Depends(current)]) -> StaffSession:
    """The session, its access token refreshed from the identity provider if it is about to expire;
    a session whose token can no longer be refreshed ends."""
    if session.token_expires_at - time.time() > 30:
        return session
    if session.via == "oidc" and session.refresh_token:
        client = oauth_client(request)
        try:
            metadata = await client.load_server_metadata()
            secret = web_of(request).settings.oidc_client_secret
            async with httpx.AsyncClient(timeout=10) as http:
                answer = await http.post(
                    metadata["token_endpoint"],
                    data={"grant_type": "refresh_token", "refresh_token": session.refresh_token},
                    auth=(
                        web_of(request).settings.oidc_client_id,
                        secret.get_secret_value() if secret else "",
                    ),
                )
            if answer.status_code == 200:
                token = answer.json()
                session.token = token["access_token"]
                session.refresh_token = token.get("refresh_token", session.refresh_token)
                session.token_expires_at = time.time() + float(token.get("expires_in", 300))
                return session
        except (httpx.HTTPError, KeyError, ValueError):
            pass
    web_of(request).sessions.drop(request.session.pop("sid", None))
    request.session["ended"] = True
    raise NeedSignIn()


Staff = Annotated[StaffSession, Depends(fresh_token)]
