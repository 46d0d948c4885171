"""employment's ways in: HTTP routes (module-level routers, one module per area) and the event consumer."""

from typing import Annotated

from fastapi import Depends

from work4life.runtime.api import context_of, unit_of_work

from ..service_layer.context import Context, Work

ContextDep = Annotated[Context, Depends(context_of)]
"""The service's context, as the bootstrap built it."""

WorkDep = Annotated[Work, Depends(unit_of_work)]
"""The request's unit of work, for a use case (`work4life.runtime.uow`)."""
