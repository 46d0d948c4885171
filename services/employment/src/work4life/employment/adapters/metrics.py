"""Employment's business figures on /metrics (see docs/METRICS.md)."""

from work4life.runtime.metrics import BusinessMetric

BUSINESS_METRICS = (
    BusinessMetric(
        "w4l_employment_placements_total",
        "People placed in a job, internship or pre-employment post, by contract type.",
        "SELECT contract_type, COUNT(*) FROM placement GROUP BY contract_type",
        labels=("contract_type",),
    ),
    BusinessMetric(
        "w4l_employment_offers_open",
        "Job offers open now.",
        "SELECT COUNT(*) FROM job_offer WHERE status = 'open'",
        kind="gauge",
    ),
    BusinessMetric(
        "w4l_employment_retention_checks_overdue",
        "Retention checks (3, 6, 12 months) past their due date and not recorded.",
        "SELECT COUNT(*) FROM retention_check WHERE status = 'scheduled' AND due_on < :today",
        kind="gauge",
    ),
)
