"""Training's business figures on /metrics (see docs/METRICS.md)."""

from work4life.runtime.metrics import BusinessMetric

BUSINESS_METRICS = (
    BusinessMetric(
        "w4l_training_enrolments_total",
        "Seats taken in a cohort (enrolled, completed or dropped out), by course kind.",
        "SELECT c.kind, COUNT(*) FROM enrolment e JOIN cohort h ON h.id = e.cohort_pk JOIN course c ON c.id = h.course_pk "
        "WHERE e.status IN ('enrolled', 'completed', 'dropped_out') GROUP BY c.kind",
        labels=("course_kind",),
    ),
    BusinessMetric(
        "w4l_training_completions_total",
        "Courses completed, by course kind.",
        "SELECT c.kind, COUNT(*) FROM enrolment e JOIN cohort h ON h.id = e.cohort_pk JOIN course c ON c.id = h.course_pk "
        "WHERE e.status = 'completed' GROUP BY c.kind",
        labels=("course_kind",),
    ),
    BusinessMetric(
        "w4l_training_waiting_list",
        "People on a cohort's waiting list now.",
        "SELECT COUNT(*) FROM enrolment WHERE status = 'waitlisted'",
        kind="gauge",
    ),
)
