"""The access walk used by every service's security test fails where it should."""

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, HTTPException

from work4life.runtime.auth import Principal, Role, TokenVerifier, require
from work4life.runtime.settings import ServiceSettings
from work4life.runtime.testing import TEST_JWT_SECRET, walk_access


def app_with(*, open_route: bool = False, leaky_read: bool = False) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(ServiceSettings(service_name="t", auth_jwt_secret=TEST_JWT_SECRET))
    Staff = Annotated[Principal, Depends(require(Role.CASEWORKER, Role.ADMIN))]

    @app.get("/v1/things/{thing_id}")
    def read(thing_id: str, who: Staff) -> dict[str, str]:
        if leaky_read or who.organisation == "owner-ngo":
            return {"thing": thing_id}
        raise HTTPException(404, "no such thing")

    if open_route:

        @app.get("/v1/forgotten")
        def forgotten() -> dict[str, str]:
            return {}

    return app


def test_a_protected_app_passes_and_every_kind_of_intruder_is_tried():
    counts = walk_access(app_with(), public={}, path_values={"thing_id": "t1"}, owner_organisation="owner-ngo")
    assert counts == {"no_token": 1, "expired": 1, "bad_signature": 1, "wrong_role": 1, "wrong_organisation": 1}


def test_a_route_without_a_token_check_fails_the_walk_unless_listed_as_public():
    with pytest.raises(AssertionError, match="GET /v1/forgotten checks no token"):
        walk_access(app_with(open_route=True), public={})
    walk_access(app_with(open_route=True), public={"GET /v1/forgotten": "a test"})


def test_a_read_open_to_another_organisation_fails_the_walk():
    with pytest.raises(AssertionError, match="another organisation may read"):
        walk_access(
            app_with(leaky_read=True), public={}, path_values={"thing_id": "t1"}, owner_organisation="owner-ngo"
        )
