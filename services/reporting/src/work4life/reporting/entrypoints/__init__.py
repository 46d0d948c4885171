"""reporting's ways in: HTTP routes (module-level routers) and the event consumer."""

from typing import Annotated

from fastapi import Depends

from work4life.runtime.api import context_of

from ..service_layer.context import Context

ContextDep = Annotated[Context, Depends(context_of)]
"""The service's context, as the bootstrap built it."""
