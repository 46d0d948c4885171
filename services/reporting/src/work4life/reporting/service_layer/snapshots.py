"""Indicator snapshots for downstream consumers: every indicator for a period, published on
`reporting.snapshots` through the outbox; when a month closes (once) or on demand."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Engine
from sqlmodel import Session

from work4life.contracts.envelope import Producer
from work4life.contracts.reporting import IndicatorFigure, IndicatorSnapshot, SnapshotTrigger
from work4life.contracts.topics import REPORTING_SNAPSHOTS
from work4life.runtime.events import new_envelope
from work4life.runtime.outbox import add_to_outbox

from ..adapters.orm import PublishedSnapshot
from ..domain.indicators import Unit, suppressed
from . import indicators as engine
from .indicators import INDICATORS

log = logging.getLogger(__name__)


def stage_snapshot(
    session: Session,
    period: engine.Period,
    label: str,
    trigger: SnapshotTrigger,
    producer: Producer,
    topic_name: Callable[[str], str],
    targets: dict[str, float],
    correlation_id: Any = None,
) -> UUID:
    figures = []
    for indicator in INDICATORS:
        result = engine.compute(session, indicator.code, period, [], None)
        value = result.total if indicator.unit in (Unit.MAD, Unit.PERCENT) else suppressed(result.total)
        figures.append(
            IndicatorFigure(
                code=indicator.code,
                name=indicator.name,
                unit=indicator.unit.value,
                value=str(value),
                value_eur=str(result.total_eur) if result.total_eur is not None else None,
                target=targets.get(indicator.code),
            )
        )
    snapshot_id = uuid4()
    data = IndicatorSnapshot(
        snapshot_id=snapshot_id,
        period=label,
        period_from=period.start,
        period_to=period.end,
        trigger=trigger,
        figures=figures,
    )
    envelope = new_envelope(data, key=label, producer=producer, correlation_id=correlation_id)
    add_to_outbox(session, topic_name(REPORTING_SNAPSHOTS.name), envelope)
    return snapshot_id


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"month:{last.year}-{last.month:02d}"


def publish_closed_month(
    engine_: Engine,
    today: date,
    producer: Producer,
    topic_name: Callable[[str], str],
    targets: dict[str, float],
) -> UUID | None:
    """Publish the snapshot of the month that closed last, unless it was already published."""
    label = previous_month(today)
    with Session(engine_) as session:
        if session.get(PublishedSnapshot, label) is not None:
            return None
        period = engine.parse_period(label, None, None, today)
        snapshot_id = stage_snapshot(
            session, period, label, SnapshotTrigger.PERIOD_CLOSED, producer, topic_name, targets
        )
        session.add(PublishedSnapshot(period=label, snapshot_id=snapshot_id, published_at=datetime.now(UTC)))
        session.commit()
    log.info("published the indicator snapshot of %s", label)
    return snapshot_id


def month_closer(
    engine_: Engine,
    today: Callable[[], date],
    producer: Producer,
    topic_name: Callable[[str], str],
    targets: dict[str, float],
    every_s: float = 3600.0,
) -> Callable[[], Any]:
    """A background job: at start and then every `every_s`, publish a closed month's snapshot."""

    async def close_months() -> None:
        while True:
            try:
                await asyncio.to_thread(publish_closed_month, engine_, today(), producer, topic_name, targets)
            except Exception:
                log.exception("could not publish the closed month's snapshot; will try again")
            await asyncio.sleep(every_s)

    return close_months
