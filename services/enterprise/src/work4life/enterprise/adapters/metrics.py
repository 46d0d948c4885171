"""Enterprise's business figures on /metrics (see docs/METRICS.md)."""

from work4life.runtime.metrics import BusinessMetric

BUSINESS_METRICS = (
    BusinessMetric(
        "w4l_enterprise_grant_disbursements_total",
        "Grant payments made to ventures.",
        "SELECT COUNT(*) FROM disbursement",
    ),
    BusinessMetric(
        "w4l_enterprise_grants_disbursed_mad_total",
        "Co-financing paid out, in MAD.",
        "SELECT COALESCE(SUM(amount), 0) / 100.0 FROM disbursement",
    ),
    BusinessMetric(
        "w4l_enterprise_ventures",
        "Ventures by pipeline stage now.",
        "SELECT stage, COUNT(*) FROM venture GROUP BY stage",
        kind="gauge",
        labels=("stage",),
    ),
    BusinessMetric(
        "w4l_enterprise_follow_up_visits_overdue",
        "Follow-up visits past their due date and not recorded.",
        "SELECT COUNT(*) FROM follow_up_visit WHERE status = 'scheduled' AND due_on < :today",
        kind="gauge",
    ),
)
