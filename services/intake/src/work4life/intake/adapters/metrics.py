"""Intake's business figures on /metrics (see docs/METRICS.md)."""

from work4life.runtime.metrics import BusinessMetric

BUSINESS_METRICS = (
    BusinessMetric(
        "w4l_intake_registrations_total",
        "People registered, by partner organisation (erased and merged records included: a registration happened).",
        "SELECT partner_organisation, COUNT(*) FROM beneficiary GROUP BY partner_organisation",
        labels=("organisation",),
    ),
    BusinessMetric(
        "w4l_intake_referrals_total",
        "Referrals made, by receiving service and current status.",
        "SELECT COALESCE(service, 'external'), status, COUNT(*) FROM referral GROUP BY 1, 2",
        labels=("to_service", "status"),
    ),
    BusinessMetric(
        "w4l_intake_duplicate_candidates_open",
        "Possible duplicate registrations waiting for a caseworker's decision.",
        "SELECT COUNT(*) FROM duplicate_candidate WHERE status = 'open'",
        kind="gauge",
    ),
)
