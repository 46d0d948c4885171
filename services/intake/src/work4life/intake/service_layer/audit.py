"""The audit log of personal-data access."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.runtime.auth import Principal

from ..adapters.orm import AuditEntry


def record(session: Session, who: Principal, action: str, beneficiary_ids: Iterable[UUID]) -> None:
    """Stage one entry per record touched; committed with the caller's transaction."""
    now = datetime.now(UTC)
    for beneficiary_id in beneficiary_ids:
        session.add(
            AuditEntry(
                at=now,
                subject=who.subject,
                role=who.role.value,
                organisation=who.organisation,
                action=action,
                beneficiary_id=beneficiary_id,
            )
        )


@dataclass(frozen=True)
class AuditFilter:
    beneficiary_id: UUID | None = None
    subject: str | None = None
    action: str | None = None


def entries(session: Session, filters: AuditFilter, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if filters.beneficiary_id:
        query = query.where(AuditEntry.beneficiary_id == filters.beneficiary_id)
    if filters.subject:
        query = query.where(AuditEntry.subject == filters.subject)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)).all()
    return list(items), int(total)
