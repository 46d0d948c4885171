"""Reporting's figures on /metrics (see docs/METRICS.md): how much of the programme its read model holds."""

from work4life.runtime.metrics import BusinessMetric

BUSINESS_METRICS = (
    BusinessMetric(
        "w4l_reporting_people",
        "People in the read model (pseudonymous ids).",
        "SELECT COUNT(*) FROM person",
        kind="gauge",
    ),
    BusinessMetric(
        "w4l_reporting_activity_facts",
        "Countable facts in the read model, by kind.",
        "SELECT kind, COUNT(*) FROM activity GROUP BY kind",
        kind="gauge",
        labels=("kind",),
    ),
    BusinessMetric(
        "w4l_reporting_snapshots_published_total",
        "Indicator snapshots published for the donor.",
        "SELECT COUNT(*) FROM published_snapshot",
    ),
)
