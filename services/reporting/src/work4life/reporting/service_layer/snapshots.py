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

from work4life.contracts.reporting import IndicatorFigure, IndicatorSnapshot, SnapshotTrigger
from work4life.contracts.topics import REPORTING_SNAPSHOTS
from work4life.runtime.events import new_envelope

from ..adapters.orm import PublishedSnapshot
from ..domain.indicators import Unit, suppressed
from . import approvals, targets
from . import indicators as engine
from .context import Context, Work
from .indicators import INDICATORS

log = logging.getLogger(__name__)


def stage_snapshot(uow: Work, period: engine.Period, label: str, trigger: SnapshotTrigger) -> UUID:
    """Stage the snapshot event of a period in the unit of work's transaction."""
    session = uow.session
    goals = targets.Goals(session, uow.context.targets)
    approval = approvals.covering(session, period)
    source = approvals.source_of(approval.id or 0) if approval else engine.LIVE
    figures = []
    with engine.counting_together():
        results = [engine.compute(session, indicator.code, period, [], None, source) for indicator in INDICATORS]
    for indicator, result in zip(INDICATORS, results, strict=True):
        value = result.total if indicator.unit in (Unit.MAD, Unit.PERCENT) else suppressed(result.total)
        if value is None:
            value = "no data"  # a rate with nothing to measure, never 0 %
        goal = goals.goal(indicator.code, period)
        figures.append(
            IndicatorFigure(
                code=indicator.code,
                name=indicator.name,
                unit=indicator.unit.value,
                value=str(value),
                value_eur=str(result.total_eur) if result.total_eur is not None else None,
                target=None if goal is None else float(goal.target),
                baseline=None if goal is None or goal.baseline is None else float(goal.baseline),
                progress_percent=None if goal is None or value == "<5" else goal.progress(result.total),
            )
        )
    snapshot_id = uuid4()
    data = IndicatorSnapshot(
        snapshot_id=snapshot_id,
        period=label,
        period_from=period.start,
        period_to=period.end,
        trigger=trigger,
        approved=approval is not None,
        figures=figures,
    )
    uow.publish((REPORTING_SNAPSHOTS, new_envelope(data, key=label, **uow.provenance)))
    return snapshot_id


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"month:{last.year}-{last.month:02d}"


def publish_closed_month(engine_: Engine, context: Context) -> UUID | None:
    """Publish the snapshot of the month that closed last, unless it was already published."""
    today = context.today()
    label = previous_month(today)
    with Session(engine_) as session:
        if session.get(PublishedSnapshot, label) is not None:
            return None
        period = engine.parse_period(label, None, None, today)
        uow = Work(session, context)
        snapshot_id = stage_snapshot(uow, period, label, SnapshotTrigger.PERIOD_CLOSED)
        session.add(PublishedSnapshot(period=label, snapshot_id=snapshot_id, published_at=datetime.now(UTC)))
        uow.commit()
    log.info("published the indicator snapshot of %s", label)
    return snapshot_id


def month_closer(engine_: Engine, context: Context, every_s: float = 3600.0) -> Callable[[], Any]:
    """A background job: at start and then every `every_s`, publish a closed month's snapshot."""

    async def close_months() -> None:
        while True:
            try:
                await asyncio.to_thread(publish_closed_month, engine_, context)
            except Exception:
                log.exception("could not publish the closed month's snapshot; will try again")
            await asyncio.sleep(every_s)

    return close_months
