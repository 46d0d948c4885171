"""What reporting's routes and snapshots need of the service around them (the shared part:
`ServiceContext`)."""

from dataclasses import dataclass, field

from work4life.runtime.context import ServiceContext
from work4life.runtime.uow import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Context(ServiceContext):
    targets: dict[str, float] = field(default_factory=dict)  # indicator code -> the programme's target
    iati: dict[str, str] = field(default_factory=dict)  # the programme's identity in an IATI file (settings)
    research_key: bytes | None = None  # the research extract's id key (ADR 23); None: one per extract


Work = UnitOfWork[Context]
"""A reporting use case's unit of work (`work4life.runtime.uow`)."""
