"""What employment's use cases need of the service around it (the shared part: `ServiceContext`)."""

from dataclasses import dataclass

from work4life.runtime.context import ServiceContext
from work4life.runtime.context import now as now
from work4life.runtime.uow import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Context(ServiceContext):
    retention_months: tuple[int, ...] = (3, 6, 12)


Work = UnitOfWork[Context]
"""An employment use case's unit of work (`work4life.runtime.uow`)."""
