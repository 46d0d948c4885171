"""Events published by the reporting service: indicator snapshots for downstream consumers (a
donor's system, a data warehouse). Aggregates only: no person appears in them, and counts from 1 to
4 are given as "<5"."""

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from .envelope import EventData


class SnapshotTrigger(StrEnum):
    PERIOD_CLOSED = "period_closed"
    ON_DEMAND = "on_demand"
    APPROVED = "approved"


class IndicatorFigure(EventData):
    code: str = Field(min_length=1, max_length=30, description="e.g. 1.4, placements, retention_3m")
    name: str
    unit: str = Field(description="persons, units, MAD or percent")
    value: str = Field(
        description='An exact decimal as a string, "<5" for a small count, or "no data" for a rate with nothing '
        "to measure in the period (never 0 %)."
    )
    value_eur: str | None = Field(default=None, description="For money: the EUR amount at each grant's rate.")
    target: float | None = Field(default=None, description="The target for the period, when one is set.")
    baseline: float | None = Field(default=None, description="Where the indicator stood before, when set.")
    progress_percent: float | None = Field(
        default=None, description="How far from the baseline to the target; null without a target or for a small count."
    )


class IndicatorSnapshot(EventData):
    """Every indicator for one period, programme-wide."""

    EVENT_TYPE = "reporting.indicator_snapshot"
    SCHEMA_VERSION = 1

    snapshot_id: UUID
    period: str = Field(description="month:YYYY-MM, quarter:YYYY-QN, year:YYYY, or custom")
    period_from: date | None = Field(description="None: from the programme's start")
    period_to: date
    trigger: SnapshotTrigger
    approved: bool = Field(
        default=False,
        description="The period was approved by a programme manager: these figures stay as they are, and events "
        "that arrive later show as adjustments to the next open period.",
    )
    figures: list[IndicatorFigure]
