"""What the routes of every service share, declared once (the FastAPI template's `deps.py`).

Routers are module-level; what a route needs of the running service comes through these
dependencies, read from the app that `service.create_app` built:

- `SessionDep`: the request's own database session, closed after the answer;
- `Sessions`: a factory of sessions, for work that outlives the request (an import, a scan);
- `context_of`: the service's context (its use cases' settings and publishing), which each
  service types as its own `ContextDep`;
- `unit_of_work`: the unit of work a route's use case runs in (its session is the request's
  session; who acts is the caller), which each service types as its own `WorkDep`;
- `Staff`, `Reader`, `Manager`: who may call (each a `Gate` the access tests read);
- `Limit`, `Offset` and `Page[T]`: paging, the same on every list.
"""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from .auth import Principal, Role, principal_of, require
from .http import correlation_of
from .uow import UnitOfWork

STAFF = (Role.CASEWORKER, Role.PROGRAMME_MANAGER, Role.ADMIN)
READERS = (Role.ME_VIEWER, *STAFF)
MANAGERS = (Role.PROGRAMME_MANAGER, Role.ADMIN)


def session_of(request: Request) -> Iterator[Session]:
    with Session(request.app.state.runtime.engine) as session:
        yield session


def sessions_of(request: Request) -> Callable[[], Session]:
    engine = request.app.state.runtime.engine
    return lambda: Session(engine)


def context_of(request: Request) -> Any:
    return request.app.state.context


SessionDep = Annotated[Session, Depends(session_of)]
Sessions = Annotated[Callable[[], Session], Depends(sessions_of)]


def unit_of_work(
    request: Request, session: SessionDep, caller: Annotated[Principal, Depends(principal_of)]
) -> UnitOfWork[Any]:
    """The request's unit of work. The route's gate (`Staff`, ...) still decides who may call."""
    return UnitOfWork.for_request(session, request.app.state.context, caller, correlation_of(request))


Staff = Annotated[Principal, Depends(require(*STAFF))]
Reader = Annotated[Principal, Depends(require(*READERS))]
Manager = Annotated[Principal, Depends(require(*MANAGERS))]

Limit = Annotated[int, Query(ge=1, le=500, description="How many items a page holds")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="How many items to skip")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, how many there are in all, and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int
