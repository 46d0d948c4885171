"""What training's use cases need of the service around it (the shared part: `ServiceContext`)."""

from dataclasses import dataclass

from work4life.runtime.context import ServiceContext
from work4life.runtime.context import now as now
from work4life.runtime.uow import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Context(ServiceContext):
    certificate_prefix: str = "W4L"


Work = UnitOfWork[Context]
"""A training use case's unit of work (`work4life.runtime.uow`)."""
