"""Who is calling: bearer tokens (JWT) carrying a subject, a role and an organisation.

A deployment plugs in its identity provider by setting `AUTH_JWKS_URL` (or `AUTH_JWT_PUBLIC_KEY`)
and `AUTH_ISSUER`, and mapping its claims with `AUTH_ROLE_CLAIM` and `AUTH_ORGANISATION_CLAIM`.
For development, services share a secret (`AUTH_JWT_SECRET`) and `w4l-token` mints tokens:

    uv run w4l-token --role caseworker --org amappe-rabat --sub aicha

Roles (least to most powerful): `me_viewer` (aggregates only), `caseworker` (their organisation's
people), `programme_manager` (every organisation), `admin`.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol, runtime_checkable

import jwt
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .settings import ServiceSettings


class Role(StrEnum):
    ME_VIEWER = "me_viewer"
    CASEWORKER = "caseworker"
    PROGRAMME_MANAGER = "programme_manager"
    ADMIN = "admin"


RANK = {Role.ME_VIEWER: 0, Role.CASEWORKER: 1, Role.PROGRAMME_MANAGER: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    organisation: str

    @property
    def sees_every_organisation(self) -> bool:
        return self.role in (Role.PROGRAMME_MANAGER, Role.ADMIN)

    def may_see(self, organisation: str) -> bool:
        return self.sees_every_organisation or organisation == self.organisation


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail=f"not authenticated: {reason}",
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'},
    )


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None

    def _key(self, token: str) -> tuple[Any, list[str], str | None]:
        """The key, algorithms and issuer to check `token` with.

        A deployment may trust its identity provider (JWKS or public key, issuer checked) and, outside
        production, the shared development secret as well: the token's own header says which one signed
        it, and each key accepts only its own algorithms, so an HS256 token can never be checked against
        a public key used as a secret."""
        secret = self.settings.auth_jwt_secret
        if secret is not None and jwt.get_unverified_header(token).get("alg") == "HS256":
            provider = self._jwks is not None or bool(self.settings.auth_jwt_public_key)
            return secret.get_secret_value(), ["HS256"], None if provider else self.settings.auth_issuer
        if self._jwks is not None:
            return (
                self._jwks.get_signing_key_from_jwt(token).key,
                ["RS256", "ES256", "PS256"],
                self.settings.auth_issuer,
            )
        if self.settings.auth_jwt_public_key:
            return self.settings.auth_jwt_public_key, ["RS256", "ES256", "PS256"], self.settings.auth_issuer
        raise jwt.InvalidTokenError("this token's algorithm is not accepted here")

    def verify(self, token: str) -> Principal:
        try:
            key, algorithms, issuer = self._key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.settings.auth_audience,
                issuer=issuer,
                options={"require": ["exp", "sub"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorised("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise _unauthorised(f"invalid token ({exc})") from None
        except jwt.PyJWKClientError as exc:
            raise HTTPException(503, detail=f"identity provider unreachable: {exc}") from None
        raw_roles = claims.get(self.settings.auth_role_claim)
        roles = [raw_roles] if isinstance(raw_roles, str) else list(raw_roles or [])
        known = [Role(r) for r in roles if r in Role._value2member_map_]
        if not known:
            raise HTTPException(
                403, detail=f"the token carries no Work4Life role in claim {self.settings.auth_role_claim!r}"
            )
        organisation = claims.get(self.settings.auth_organisation_claim)
        if not isinstance(organisation, str) or not organisation:
            raise HTTPException(
                403, detail=f"the token carries no organisation in claim {self.settings.auth_organisation_claim!r}"
            )
        return Principal(subject=str(claims["sub"]), role=max(known, key=RANK.__getitem__), organisation=organisation)


BEARER = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token from the identity provider (Keycloak), with a role and an organisation.",
    auto_error=False,  # the answer to a missing token is ours (a 401 with the Error body)
)
"""Declared so that the OpenAPI document says which routes need a token (and /docs can send one)."""


def principal_of(
    request: Request, _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None
) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorised("an 'Authorization: Bearer <token>' header is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(token.strip())


@runtime_checkable
class Gate(Protocol):
    """A FastAPI dependency that admits the callers holding one of `roles`.

    Every route's gate declares its roles, so the access tests can read them from the app
    (`testing.allowed_roles`) and try every other role."""

    roles: tuple[Role, ...]


@dataclass(frozen=True)
class RoleGate:
    """`Gate` for a bearer token: the caller, who must hold one of `roles`."""

    roles: tuple[Role, ...]

    def __call__(self, principal: Annotated[Principal, Depends(principal_of)]) -> Principal:
        if principal.role not in self.roles:
            allowed = ", ".join(r.value for r in self.roles)
            raise HTTPException(403, detail=f"role {principal.role.value} may not do this; allowed: {allowed}")
        return principal


def require(*roles: Role) -> RoleGate:
    """A FastAPI dependency: the caller, who must hold one of `roles`."""
    return RoleGate(roles)


def mint(
    secret: str,
    *,
    subject: str,
    role: Role | str,
    organisation: str,
    audience: str = "work4life",
    issuer: str | None = None,
    ttl_s: int = 8 * 3600,
) -> str:
    """A token signed with the shared secret (development and tests)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(role),
        "org": organisation,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")


DEV_SECRET_FILE = Path(".state/dev-jwt-secret")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="w4l-token", description="Mint a development token (HS256, shared secret).")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--org", required=True, help="organisation code, e.g. amappe-rabat")
    parser.add_argument("--sub", default="developer", help="user id")
    parser.add_argument("--hours", type=float, default=8)
    parser.add_argument("--secret-file", type=Path, default=DEV_SECRET_FILE)
    args = parser.parse_args(argv)
    secret = os.environ.get("W4L_DEV_JWT_SECRET")
    if not secret:
        if not args.secret_file.exists():
            print(
                f"no secret: set W4L_DEV_JWT_SECRET or run scripts/run.sh once to create {args.secret_file}",
                file=sys.stderr,
            )
            return 2
        secret = args.secret_file.read_text().strip()
    print(mint(secret, subject=args.sub, role=args.role, organisation=args.org, ttl_s=int(args.hours * 3600)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
