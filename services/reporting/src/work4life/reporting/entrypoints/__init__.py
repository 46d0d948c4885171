"""reporting's ways in: HTTP routes (module-level routers) and the event consumer."""

from typing import Annotated

from fastapi import Depends, Path

from work4life.runtime.api import context_of, unit_of_work

from ..service_layer.context import Context, Work

ContextDep = Annotated[Context, Depends(context_of)]
"""The service's context, as the bootstrap built it."""

WorkDep = Annotated[Work, Depends(unit_of_work)]
"""The request's unit of work, for a use case (`work4life.runtime.uow`)."""

RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The row's id")]
"""A numbered row in a path (a target, an approval): within the databases' integer range."""
