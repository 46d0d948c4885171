"""Who is signed in: a server-side session per person, found by an id in a signed, HttpOnly cookie.

The access token stays on the server (the page's JavaScript never sees it). A session ends when the
person signs out, after `session_idle_minutes` unused, after `session_max_hours`, or when the identity
provider no longer refreshes its token. Every form carries a CSRF token that must match the one kept
in the cookie (`check_csrf`)."""

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Request

from .config import WebSettings


@dataclass
class StaffSession:
    subject: str
    name: str
    role: str
    organisation: str
    token: str
    token_expires_at: float
    via: str  # "oidc" or "development"
    refresh_token: str | None = None
    created: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    flashes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def flash(self, kind: str, message: str, **params: Any) -> None:
        """A message shown once on the next page (`message` is a source text, translated there)."""
        self.flashes.append((kind, message, params))

    def take_flashes(self) -> list[tuple[str, str, dict[str, Any]]]:
        taken, self.flashes = self.flashes, []
        return taken

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role in ("programme_manager", "admin")


ROLE_ORDER = ["me_viewer", "caseworker", "programme_manager", "admin"]


def identity_from_token(token: str, role_claim: str = "role", organisation_claim: str = "org") -> dict[str, str]:
    """Name, role and organisation read from a token the app received from the identity provider
    itself (over TLS) or minted itself: for display and navigation only; the services verify it."""
    claims = jwt.decode(token, options={"verify_signature": False, "verify_aud": False})
    raw = claims.get(role_claim)
    roles = [raw] if isinstance(raw, str) else list(raw or [])
    known = [r for r in ROLE_ORDER if r in roles]
    return {
        "subject": str(claims.get("sub", "")),
        "name": str(claims.get("name") or claims.get("preferred_username") or claims.get("sub", "")),
        "role": known[-1] if known else "",
        "organisation": str(claims.get(organisation_claim) or ""),
        "exp": claims.get("exp", time.time() + 300),
    }


class SessionStore:
    """Sessions in this process's memory (one replica, or sticky sessions: docs/adr/0012)."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self._sessions: dict[str, StaffSession] = {}
        self._lock = threading.Lock()

    def create(self, session: StaffSession) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._prune()
            self._sessions[sid] = session
        return sid

    def get(self, sid: str | None) -> StaffSession | None:
        """The live session, or None (and the session dropped) if it has ended."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            now = time.time()
            if (
                now - session.last_seen > self.settings.session_idle_minutes * 60
                or now - session.created > self.settings.session_max_hours * 3600
            ):
                del self._sessions[sid]
                return None
            session.last_seen = now
            return session

    def drop(self, sid: str | None) -> StaffSession | None:
        with self._lock:
            return self._sessions.pop(sid, None) if sid else None

    def __len__(self) -> int:
        return len(self._sessions)

    def _prune(self) -> None:
        now = time.time()
        idle, longest = self.settings.session_idle_minutes * 60, self.settings.session_max_hours * 3600
        for sid in [s for s, v in self._sessions.items() if now - v.last_seen > idle or now - v.created > longest]:
            del self._sessions[sid]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    """The form's token is the session's (a file field or a missing one is not)."""
    expected = request.session.get("csrf")
    return bool(expected and isinstance(submitted, str) and submitted and secrets.compare_digest(expected, submitted))
