"""Employment's refusals as HTTP errors: 422 naming the field, 409 for the state, 404 for what the
caller may not see."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from work4life.runtime.auth import Role
from work4life.runtime.http import refused

from ..domain.model import Conflict, EmploymentRefused, NotFound

STAFF = (Role.CASEWORKER, Role.PROGRAMME_MANAGER, Role.ADMIN)
READERS = (Role.ME_VIEWER, *STAFF)


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except EmploymentRefused as refusal:
        raise refused(refusal.field, refusal.reason) from refusal
    except Conflict as conflict:
        raise HTTPException(409, detail=str(conflict)) from conflict
    except NotFound as missing:
        raise HTTPException(404, detail=str(missing)) from missing
