"""The application: sessions, languages, page rendering, errors, and the operations endpoints.
Pages live in `pages/` (sign-in, intake's screens); each calls the services through `Services`."""

import logging
import secrets
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from work4life.runtime.http import Observe

from . import i18n
from .config import WebSettings
from .i18n import N_
from .labels import LABELS
from .refusals import refusal_text
from .services import ServiceError, Services
from .sessions import SessionStore, StaffSession, csrf_ok, csrf_token

log = logging.getLogger("work4life.web")
HERE = Path(__file__).parent
SESSION_COOKIE = "w4l_session"


class NeedSignIn(Exception):
    """The page needs a signed-in person; they are sent to the sign-in page and brought back."""


class BadForm(Exception):
    """A form arrived without its CSRF token (or with another session's)."""


class Metrics:
    def __init__(self) -> None:
        self.service = "web"
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "w4l_http_requests_total",
            "HTTP requests by route and status",
            ["service", "method", "path", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "w4l_http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "path"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.sessions = Gauge("w4l_web_sessions", "Signed-in sessions held by this process", registry=self.registry)
        self.sign_ins = Counter("w4l_web_sign_ins_total", "Sign-ins by way", ["via"], registry=self.registry)
        self.service_errors = Counter(
            "w4l_web_service_errors_total",
            "Service calls that failed, by service and status (0: unreachable)",
            ["service", "status"],
            registry=self.registry,
        )


class Web:
    """What every page needs, kept on `app.state.web`."""

    def __init__(self, settings: WebSettings, transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> None:
        self.settings = settings
        self.services = Services(settings, transports)
        self.sessions = SessionStore(settings)
        self.metrics = Metrics()
        self.translations = i18n.load_translations()
        self.environments = {language: self._environment(language) for language in i18n.LANGUAGES}
        self.oauth: Any = None  # set by pages.auth when an identity provider is configured

    def _environment(self, language: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        translations = self.translations[language]
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        formatter = i18n.Formatter(language)
        env.filters["date"] = formatter.date
        env.filters["number"] = formatter.number
        env.filters["month"] = formatter.month
        env.filters["percent"] = formatter.percent
        env.filters["money"] = formatter.money
        mad, euro = translations.gettext(N_("MAD")), translations.gettext(N_("EUR"))
        env.filters["mad"] = lambda value: f"{formatter.money(value)}\u00a0{mad}"  # an amount in dirhams
        env.filters["eur"] = lambda value: f"{formatter.money(value)}\u00a0{euro}"
        env.globals["label"] = lambda kind, value: (
            translations.gettext(LABELS[kind][value]) if value in LABELS.get(kind, {}) else (value or "")
        )
        env.globals["labels"] = {
            kind: {value: translations.gettext(text) for value, text in values.items()}
            for kind, values in LABELS.items()
        }
        env.globals["field_label"] = lambda name: translations.gettext(i18n.field_label(name))
        env.globals["reason_text"] = lambda reason: i18n.reason_text(str(reason), translations.gettext)
        env.globals["languages"] = i18n.LANGUAGES
        env.globals["language"] = language
        env.globals["direction"] = i18n.direction(language)
        return env


def web_of(request: Request) -> Web:
    return request.app.state.web


def language_of(request: Request) -> str:
    return i18n.choose_language(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def gettext_for(request: Request):
    """The person's language's gettext, which fills `%(name)s` placeholders from keywords (as the
    templates' `_()` does)."""
    translate = web_of(request).translations[language_of(request)].gettext

    def gettext(message: str, **values: Any) -> str:
        text = translate(message)
        return text % values if values else text

    return gettext


def current(request: Request) -> StaffSession:
    """The signed-in person (a dependency of every page but sign-in's)."""
    session = web_of(request).sessions.get(request.session.get("sid"))
    if session is None:
        if request.session.get("sid"):
            request.session.pop("sid", None)
            request.session["ended"] = True
        raise NeedSignIn()
    return session


async def form_of(request: Request) -> dict[str, Any]:
    """The submitted form, after its CSRF token was checked."""
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        raise BadForm()
    return {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key) for key in form}


def field_errors(request: Request, error: ServiceError) -> dict[str, str]:
    """A service's 422 as messages by form field, in the person's language."""
    gettext = gettext_for(request)
    found: dict[str, str] = {}
    for name, detail in error.field_errors.items():
        parts = [p for p in name.split(".") if p not in ("body", "query", "header")]
        key = parts[0] if parts else name
        found.setdefault(key, i18n.error_message(detail, gettext))
    if not found and error.detail:
        found["_form"] = error.detail
    return found


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    web = web_of(request)
    language = language_of(request)
    session = web.sessions.get(request.session.get("sid"))
    started = time.perf_counter()
    body = (
        web.environments[language]
        .get_template(template)
        .render(
            request=request,
            me=session,
            flashes=session.take_flashes() if session else [],
            csrf=csrf_token(request),
            sections=web.settings.sections,
            settings=web.settings,
            path=request.url.path,
            **(context or {}),
        )
    )
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status)


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self' {idp}",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(settings: WebSettings, transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> FastAPI:
    """`transports`: in-process transports to the services, by name (tests and benchmarks)."""
    web = Web(settings, transports)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await web.services.close()

    app = FastAPI(title="Work4Life", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.web = web
    secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(Observe, metrics=web.metrics)
    provider = httpx.URL(settings.oidc_issuer) if settings.oidc_issuer else None  # the sign-in form posts there
    csp = (
        SECURITY_HEADERS["Content-Security-Policy"]
        .format(idp=f"{provider.scheme}://{provider.netloc.decode()}" if provider else "")
        .strip()
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, csp if name == "Content-Security-Policy" else value)
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(NeedSignIn)
    async def need_sign_in(request: Request, _exc: NeedSignIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"detail": "not signed in"}, status_code=401)
        return RedirectResponse(f"/sign-in?next={httpx.QueryParams({'n': target})['n']}", status_code=303)

    @app.exception_handler(BadForm)
    async def bad_form(request: Request, _exc: BadForm) -> Response:
        gettext = gettext_for(request)
        return error_page(
            request,
            400,
            gettext("This form has expired"),
            gettext("The page was open too long or in another session. Go back, reload the page and send it again."),
        )

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        gettext = gettext_for(request)
        web.metrics.service_errors.labels(exc.service, str(exc.status)).inc()
        if exc.status == 401:
            web.sessions.drop(request.session.pop("sid", None))
            request.session["ended"] = True
            return RedirectResponse("/sign-in", status_code=303)
        if exc.status == 404:
            return error_page(
                request,
                404,
                gettext("Not found"),
                gettext("There is no such record, or it belongs to another organisation."),
            )
        if exc.status == 403:
            return error_page(request, 403, gettext("Not allowed"), gettext("Your role does not allow this."))
        if exc.status == 409:
            said = refusal_text(exc.body, gettext, language_of(request))
            return error_page(request, 409, gettext("Not possible now"), said or exc.detail)
        if exc.status in (400, 413, 415, 422):
            messages = "; ".join(f"{gettext(i18n.field_label(k))}: {v}" for k, v in field_errors(request, exc).items())
            return error_page(request, 400, gettext("Check what you entered"), messages or exc.detail)
        log.warning("service call failed", extra={"service": exc.service, "status": exc.status, "detail": exc.detail})
        return error_page(
            request,
            503,
            gettext("Service unavailable"),
            gettext("The %(service)s service does not answer. Try again in a moment.", service=exc.service),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        gettext = gettext_for(request)
        if exc.status_code == 404:
            return error_page(request, 404, gettext("Not found"), gettext("This page does not exist."))
        return error_page(request, exc.status_code, gettext("Error"), str(exc.detail))

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        """Ready when every configured service answers (each section depends on its service)."""
        seen = await web.services.ready()
        status = 200 if all(seen.values()) else 503
        return JSONResponse({"status": "ready" if status == 200 else "degraded", "services": seen}, status)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> PlainTextResponse:
        web.metrics.sessions.set(len(web.sessions))
        return PlainTextResponse(generate_latest(web.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    from .pages import auth, employment, enterprise, intake, journey, offline, reporting, start, training

    app.include_router(auth.router)
    app.include_router(start.router)
    app.include_router(journey.router)
    if settings.service_url("intake"):
        app.include_router(intake.router)
    if settings.service_url("intake") or settings.service_url("training"):
        app.include_router(offline.router)  # what the tablet keeps without a connection: registrations, roll-calls
    if settings.service_url("training"):
        app.include_router(training.router)
    if settings.service_url("enterprise"):
        app.include_router(enterprise.router)
    if settings.service_url("employment"):
        app.include_router(employment.router)
    if settings.service_url("reporting"):
        app.include_router(reporting.router)

    return app
