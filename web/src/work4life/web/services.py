"""Calling the services' APIs on the server side, as the signed-in person.

The person's bearer token goes with every call, so each service decides what this person may see
and do; the app adds no rule of its own. A service's answer becomes either its JSON or one of the
exceptions below, which the pages turn into a field error, a message or an error page."""

import uuid
from typing import Any

import httpx

from .config import WebSettings


class ServiceError(Exception):
    """A service refused or could not answer. `status` is its HTTP status (0: unreachable); `body`
    is its answer (a 409's `code` and `values` name the rule it applied)."""

    def __init__(
        self,
        service: str,
        status: int,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{service} answered {status}: {detail}")
        self.service = service
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.body = body or {}

    @property
    def field_errors(self) -> dict[str, dict[str, Any]]:
        """The 422's errors by field (the first error of each)."""
        found: dict[str, dict[str, Any]] = {}
        for error in self.errors:
            found.setdefault(str(error.get("field", "")), error)
        return found


class Services:
    """One pooled HTTP client per configured service (the app's lifespan closes them)."""

    def __init__(self, settings: WebSettings, transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> None:
        self.settings = settings
        self._clients: dict[str, httpx.AsyncClient] = {}
        for name in settings.sections:
            self._clients[name] = httpx.AsyncClient(
                base_url=settings.service_url(name) or "",
                timeout=settings.service_timeout_s,
                transport=(transports or {}).get(name),
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            )

    def configured(self, name: str) -> bool:
        return name in self._clients

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        token: str | None,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        raw: bool = False,
        correlation_id: str | None = None,
    ) -> Any:
        client = self._clients.get(service)
        if client is None:
            raise ServiceError(service, 0, "this service is not part of this deployment")
        sent = {"X-Correlation-ID": correlation_id or uuid.uuid4().hex, **(headers or {})}
        if token is not None:  # None: a public route (a certificate's check)
            sent["Authorization"] = f"Bearer {token}"
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "", [])}
        try:
            response = await client.request(method, path, params=clean, json=json, files=files, headers=sent)
        except httpx.HTTPError as exc:
            raise ServiceError(service, 0, f"unreachable ({type(exc).__name__})") from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text[:300]}
            detail = body.get("detail", "") if isinstance(body, dict) else str(body)
            errors = body.get("errors") if isinstance(body, dict) else None
            raise ServiceError(
                service,
                response.status_code,
                str(detail),
                errors if isinstance(errors, list) else None,
                body if isinstance(body, dict) else None,
            )
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def ready(self) -> dict[str, bool]:
        """Whether each configured service answers its liveness probe."""
        seen: dict[str, bool] = {}
        for name, client in self._clients.items():
            try:
                seen[name] = (await client.get("/health", timeout=2)).status_code == 200
            except httpx.HTTPError:
                seen[name] = False
        return seen
