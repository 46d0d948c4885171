"""The HTTP surface every service shares: /health, /ready, /metrics, /asyncapi.json, request
metrics, the correlation id, and 4xx errors that name the field and the reason."""

import asyncio
import json
import re
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Protocol
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import logs
from .errors import Conflict, NotFound, Refused
from .events import PersonalDataInEvent
from .metrics import ServiceMetrics
from .settings import ServiceSettings

CORRELATION_HEADER = "X-Correlation-ID"


ORGANISATION_CODE = r"^[^\x00-\x1f\x7f]{1,50}$"
"""An organisation code as a query filter: 1 to 50 characters, no control characters."""

OrganisationQuery = Annotated[
    str | None, Query(pattern=ORGANISATION_CODE, description="An organisation's code (e.g. amappe-rabat)")
]


def refused(field: str, reason: str, status_code: int = 422) -> HTTPException:
    """An error about one field of the request, in the same shape as a validation error."""
    return HTTPException(
        status_code=status_code,
        detail={
            "detail": f"invalid request: {field}: {reason}",
            "errors": [{"field": field, "reason": reason, "type": "value_error"}],
        },
    )


def correlation_of(request: Request) -> uuid.UUID | None:
    """The request's correlation id (X-Correlation-ID), to carry into the events it causes."""
    value = request.headers.get(CORRELATION_HEADER)
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def validation_errors(exc: RequestValidationError | ValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        errors.append(
            {"field": ".".join(loc) or "(body)", "reason": error.get("msg", "invalid"), "type": error.get("type")}
        )
    return errors


class BodyLimit:
    """Refuses a request body larger than the limit with a 413 that says the limit, before the
    service reads it (Content-Length), or as soon as a streamed body passes it. `overrides` gives
    other limits by path prefix (e.g. a spreadsheet upload)."""

    def __init__(self, app: Any, limit: int, overrides: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.overrides = dict(overrides or {})

    def limit_for(self, path: str) -> int:
        return next((v for prefix, v in self.overrides.items() if path.startswith(prefix)), self.limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        too_large = False
        started = False

        async def limited_receive() -> Any:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal started
            if too_large:
                return  # the service's own answer to a cut-off body is replaced by the 413 below
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Any, limit: int) -> None:
        reason = f"the request body is larger than {limit:,} bytes"
        body = json.dumps({"detail": f"request too large: {reason}", "errors": [{"field": "body", "reason": reason}]})
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body.encode()})


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters no text of the programme holds: C0 controls but tab, line feed and carriage return
(free text keeps its lines), DEL and the C1 controls. PostgreSQL refuses NUL outright (a 500 before
this check); SQLite stored it and a service published it to the others. Also the bidirectional
embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069): a right-to-left override
makes a name or a reference read differently from what it holds. The marks that Arabic text may
carry (U+200E, U+200F, U+061C) stay allowed."""


def control_character_in(value: Any, path: str = "") -> tuple[str, str] | None:
    """(field, the character as U+XXXX) of the first control character in a JSON value's strings
    or keys, or None."""
    if isinstance(value, str):
        found = CONTROL.search(value)
        return (path or "(body)", f"U+{ord(found.group()):04X}") if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if inside := (control_character_in(key, field) or control_character_in(item, field)):
                return inside
    if isinstance(value, list):
        for index, item in enumerate(value):
            if inside := control_character_in(item, f"{path}.{index}" if path else str(index)):
                return inside
    return None


class ControlCharacters:
    """Refuses, with a 422 naming the field, a request whose path, query parameters or JSON body
    holds a control character (`CONTROL`), before any route sees it: one rule for every text field
    of every service, on SQLite and PostgreSQL alike. Other bodies (spreadsheets) are left to the
    routes that read them."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self._in_address(scope)
        if found is None and self._is_json(scope):
            body, more = b"", True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    await self.app(scope, _replay(b"", message), send)
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
            try:
                found = control_character_in(json.loads(body))
            except ValueError:
                found = None  # not JSON: FastAPI says so in its own 422
            if found is None:
                await self.app(scope, _replay(body, None), send)
                return
        if found is None:
            await self.app(scope, receive, send)
            return
        field, character = found
        reason = f"control characters are not allowed (found {character})"
        refusal = json.dumps(
            {
                "detail": f"invalid request: {field}: {reason}",
                "errors": [{"field": field, "reason": reason, "type": "control_character"}],
            }
        )
        await send({"type": "http.response.start", "status": 422, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": refusal.encode()})

    @staticmethod
    def _is_json(scope: Any) -> bool:
        content_type = Headers(scope=scope).get("content-type", "")
        return scope.get("method") in ("POST", "PUT", "PATCH") and "json" in content_type.split(";")[0]

    @staticmethod
    def _in_address(scope: Any) -> tuple[str, str] | None:
        if found := CONTROL.search(scope.get("path", "")):
            return "path", f"U+{ord(found.group()):04X}"
        query = scope.get("query_string", b"").decode("utf-8", "replace")
        for name, value in parse_qsl(query, keep_blank_values=True):
            if found := (CONTROL.search(name) or CONTROL.search(value)):
                return name or "query", f"U+{ord(found.group()):04X}"
        return None


def _replay(body: bytes, first: Any) -> Callable[[], Any]:
    """A `receive` that hands the app the body read already (or the message that ended it)."""
    sent = False

    async def receive() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return first if first is not None else {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class ConcurrencyLimit:
    """Handles at most `limit` requests at once. The others wait their turn in the event loop,
    where waiting costs nothing, and one that waits longer than `queue_timeout_s` is answered 503
    with Retry-After.

    Without it a burst larger than the worker thread pool deadlocks a service: every worker
    thread waits for a database connection, while the connections are held by finished requests
    whose sessions can only be closed on a worker thread. `/health`, `/ready` and `/metrics` skip
    the line, so a busy service can still be watched."""

    EXEMPT = frozenset({"/health", "/ready", "/metrics"})

    def __init__(self, app: Any, limit: int, queue_timeout_s: float, metrics: Any = None) -> None:
        self.app = app
        self.limit = limit
        self.queue_timeout_s = queue_timeout_s
        self.metrics = metrics
        # One semaphore per event loop: a test client may run the same app on several loops.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        return slots

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        slots = self._semaphore()
        if self.metrics is not None:
            self.metrics.http_waiting.inc()
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                await slots.acquire()
        except TimeoutError:
            if self.metrics is not None:
                self.metrics.http_shed.inc()
            await self._refuse(send)
            return
        finally:
            if self.metrics is not None:
                self.metrics.http_waiting.dec()
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _refuse(self, send: Any) -> None:
        reason = (
            f"the service is busy: {self.limit} requests are being handled and none finished "
            f"within {self.queue_timeout_s:g} s; try again shortly"
        )
        body = json.dumps({"detail": reason, "errors": [{"field": "request", "reason": reason}]}).encode()
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"1")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": f"invalid request: {summary}", "errors": errors})

    @app.exception_handler(PersonalDataInEvent)
    async def _personal(_: Request, exc: PersonalDataInEvent) -> JSONResponse:
        # The event's field is named as the request's field that filled it (city, reason, ...).
        reason = "holds {what}: it would be shared with the other services, which must not hold personal data"
        errors = [
            {"field": field, "reason": reason.format(what=what), "type": "personal_data"} for field, what in exc.found
        ]
        summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": f"invalid request: {summary}", "errors": errors})

    @app.exception_handler(Refused)  # DayRefused and each service's refusals
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        answer = refused(exc.field, exc.reason)
        return JSONResponse(status_code=answer.status_code, content=answer.detail)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        content: dict[str, Any] = {"detail": str(exc), "code": exc.code, "values": jsonable_encoder(exc.values)}
        if exc.errors:
            content["errors"] = exc.errors
        return JSONResponse(status_code=409, content=content)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        content = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only; a path often has
            # several (GET and POST on /v1/courses are two routes).
            allowed = allowed_methods(app, request.url.path)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
                content = {"detail": f"method {request.method} not allowed here; allowed: {headers['Allow']}"}
        return JSONResponse(status_code=exc.status_code, content=content, headers=headers or None)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route answers on `path`, read from the OpenAPI document's templates."""
    found: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            found |= {method.upper() for method in operations}
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)


class Observe:
    """Counts and times every request by route and status, and gives it a correlation id (the
    caller's, or a new one) that the logs carry and the response returns. Plain ASGI: Starlette's
    `@app.middleware("http")` runs each request in a task of its own with streams in between."""

    def __init__(self, app: Any, metrics: Any) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = Headers(scope=scope).get(CORRELATION_HEADER) or str(uuid.uuid4())
        token = logs.correlation_id.set(cid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = getattr(scope.get("route"), "path", "(unmatched)")
            method = scope["method"]
            self.metrics.http_requests.labels(self.metrics.service, method, path, str(status)).inc()
            self.metrics.http_duration.labels(self.metrics.service, method, path).observe(time.perf_counter() - started)
            logs.correlation_id.reset(token)


class Observed(Protocol):
    """What the operations routes need of a service (its `ServiceRuntime`): this module does not
    import the runtime, which builds the app from it."""

    settings: ServiceSettings
    metrics: ServiceMetrics

    async def readiness(self) -> dict[str, str]: ...

    async def refresh_metrics(self) -> None: ...

    def asyncapi(self) -> dict[str, Any]: ...


def add_observability(app: FastAPI, runtime: Observed) -> None:
    metrics = runtime.metrics

    app.add_middleware(Observe, metrics=metrics)

    @app.get("/health", tags=["operations"], summary="Liveness: the process is up")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @app.get("/ready", tags=["operations"], summary="Readiness: database and Kafka reachable")
    async def ready() -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(c == "ok" for c in checks.values())
        return JSONResponse(
            status_code=200 if ok else 503, content={"status": "ready" if ok else "not ready", "checks": checks}
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics_endpoint() -> Response:
        await runtime.refresh_metrics()
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI document of the topics this service uses")
    async def asyncapi() -> JSONResponse:
        return JSONResponse(runtime.asyncapi())


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in one sentence (English)."},
        "code": {
            "type": "string",
            "description": "409 only: the rule that refused, stable across versions (e.g. `cohort_full`), for a "
            "client to say it in its own words.",
        },
        "values": {
            "type": "object",
            "description": "409 only: the values the rule names (a stage, a day, an amount), by name.",
        },
        "errors": {
            "type": "array",
            "description": "Each field refused, with the reason (4xx caused by the request).",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string", "description": "The field, dotted (`consents.0.purpose`)."},
                    "reason": {"type": "string"},
                    "type": {"type": ["string", "null"], "description": "A machine-readable kind of error."},
                    "code": {"type": "string", "description": "An unmet condition's rule, when a 409 lists them."},
                    "values": {"type": "object", "description": "The values that rule names."},
                },
            },
        },
    },
}
"""The body of every error answer (see `refused`, `add_error_handlers`, the middlewares)."""

_ANSWERS = {
    "401": "No token, an expired token, or a token this service cannot verify.",
    "403": "The token's role may not do this.",
    "404": "Not found, or not visible to this organisation.",
    "413": "The request body is larger than the limit.",
    "409": "The record's current state does not allow it (the detail says which state and why; `code` names the rule).",
    "415": "The file is not of a type this route reads.",
    "422": "The request was refused: each field and the reason.",
    "503": "The service is overloaded (the request was shed; retry later) or not ready.",
}


def document_answers(app: FastAPI) -> None:
    """Make the OpenAPI document say what the API does: every error answer with its real body
    (`detail` a string and an `errors` list, not FastAPI's default list of `detail`), the answers
    each route can give. (The bearer token each signed-in route needs is declared by
    `auth.BEARER`.)"""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for default in ("HTTPValidationError", "ValidationError"):
            schemas.pop(default, None)
        schemas["Error"] = ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                codes = ["422", "503"]
                if operation.get("security"):
                    codes += ["401", "403"]
                names_a_record = any(
                    p.get("in") == "query" and p.get("name", "").endswith("_id")
                    for p in operation.get("parameters", [])
                )
                if "{" in path or names_a_record:  # a record asked for by its id may not exist
                    codes.append("404")
                content = operation.get("requestBody", {}).get("content", {})
                if content:
                    codes.append("413")
                if "multipart/form-data" in content:
                    codes.append("415")
                if method != "get":  # a change can meet a record whose state refuses it
                    codes.append("409")
                responses = operation.setdefault("responses", {})
                for code in sorted(codes):
                    described = responses.get(code, {}).get("description")  # a route's own words stay
                    responses[code] = {"description": described or _ANSWERS[code], "content": error}
                for code, answer in responses.items():  # a route's own (409 ...) has the same body
                    if code.startswith("4"):
                        answer["content"] = error
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
