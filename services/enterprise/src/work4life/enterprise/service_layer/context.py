"""What enterprise's use cases need of the service around it (the shared part: `ServiceContext`)."""

from dataclasses import dataclass, field
from decimal import Decimal

from work4life.contracts.training import CourseKind
from work4life.runtime.context import ServiceContext
from work4life.runtime.context import now as now
from work4life.runtime.uow import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Context(ServiceContext):
    eur_rate: Decimal = Decimal("10.8000")
    grant_prerequisites: tuple[CourseKind, ...] = (CourseKind.FINANCIAL_EDUCATION,)
    follow_up_months: tuple[int, ...] = field(default=(6, 12, 24, 36))


Work = UnitOfWork[Context]
"""An enterprise use case's unit of work (`work4life.runtime.uow`)."""
