"""Work4Life's Grafana dashboards (deploy/grafana/dashboards/*.json), written by `scripts/generate.py`.

One dashboard for the platform (every service side by side) and one per service. Every query
here is run against a real Prometheus scraping the running system by
tests/e2e/test_operations.py, so a renamed metric or a typo fails the test command.
"""

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "work4life-prometheus"}

# service -> (title, [(panel title, unit, [(expr, legend)])]) of its business figures
BUSINESS: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "intake": [
        (
            "Registrations",
            "short",
            [("sum by (organisation) (max by (organisation) (w4l_intake_registrations_total))", "{{organisation}}")],
        ),
        (
            "Referrals by service and status",
            "short",
            [
                (
                    "sum by (to_service, status) (max by (to_service, status) (w4l_intake_referrals_total))",
                    "{{to_service}} {{status}}",
                )
            ],
        ),
        ("Possible duplicates to review", "short", [("max(w4l_intake_duplicate_candidates_open)", "open")]),
    ],
    "training": [
        (
            "Enrolments by course kind",
            "short",
            [("max by (course_kind) (w4l_training_enrolments_total)", "{{course_kind}}")],
        ),
        (
            "Completions by course kind",
            "short",
            [("max by (course_kind) (w4l_training_completions_total)", "{{course_kind}}")],
        ),
        ("Waiting list", "short", [("max(w4l_training_waiting_list)", "waiting")]),
    ],
    "enterprise": [
        ("Co-financing disbursed (MAD)", "short", [("max(w4l_enterprise_grants_disbursed_mad_total)", "MAD")]),
        ("Grant payments", "short", [("max(w4l_enterprise_grant_disbursements_total)", "payments")]),
        ("Ventures by stage", "short", [("max by (stage) (w4l_enterprise_ventures)", "{{stage}}")]),
        ("Follow-up visits overdue", "short", [("max(w4l_enterprise_follow_up_visits_overdue)", "overdue")]),
    ],
    "employment": [
        (
            "Placements by contract",
            "short",
            [("max by (contract_type) (w4l_employment_placements_total)", "{{contract_type}}")],
        ),
        ("Open offers", "short", [("max(w4l_employment_offers_open)", "open")]),
        ("Retention checks overdue", "short", [("max(w4l_employment_retention_checks_overdue)", "overdue")]),
    ],
    "reporting": [
        ("People in the read model", "short", [("max(w4l_reporting_people)", "people")]),
        ("Facts by kind", "short", [("max by (kind) (w4l_reporting_activity_facts)", "{{kind}}")]),
        ("Snapshots published", "short", [("max(w4l_reporting_snapshots_published_total)", "snapshots")]),
        (
            "Share of the projection's time spent keeping the roll-ups",
            "percentunit",
            [
                (
                    "sum(rate(w4l_reporting_rollups_duration_seconds_sum[5m])) / "
                    'sum(rate(w4l_event_handler_duration_seconds_sum{service="reporting"}[5m]))',
                    "roll-ups",
                )
            ],
        ),
        (
            "Recounted for the roll-ups, per second",
            "short",
            [("sum by (what) (rate(w4l_reporting_rollups_recounted_total[5m]))", "{{what}}")],
        ),
    ],
}


def _panel(
    title: str,
    targets: list[tuple[str, str]],
    unit: str,
    x: int,
    y: int,
    w: int = 12,
    h: int = 8,
    kind: str = "timeseries",
) -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def _layout(specs: list[tuple[str, str, list[tuple[str, str]], str]]) -> list[dict[str, Any]]:
    """Panels two per row; stats (kind 'stat') four per row."""
    panels, x, y, row_h = [], 0, 0, 0
    for title, unit, targets, kind in specs:
        w, h = (6, 5) if kind == "stat" else (12, 8)
        if x + w > 24:
            x, y = 0, y + row_h
        panels.append(_panel(title, targets, unit, x, y, w, h, kind))
        x, row_h = x + w, max(row_h, h) if x else h
    for i, panel in enumerate(panels, start=1):
        panel["id"] = i
    return panels


def _dashboard(uid: str, title: str, description: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["work4life"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["work4life"], "title": "Work4Life", "asDropdown": True}],
        "panels": panels,
    }


def platform(services: list[str]) -> dict[str, Any]:
    specs = [(f"{s} up", "short", [(f'max(up{{job="{s}"}})', s)], "stat") for s in services] + [
        (
            "Registrations",
            "short",
            [("sum(max by (organisation) (w4l_intake_registrations_total))", "registrations")],
            "stat",
        ),
        (
            "Placements",
            "short",
            [("sum(max by (contract_type) (w4l_employment_placements_total))", "placements")],
            "stat",
        ),
        ("MAD disbursed", "short", [("max(w4l_enterprise_grants_disbursed_mad_total)", "MAD")], "stat"),
        (
            "Consumer lag (events not yet handled)",
            "short",
            [("sum by (service) (max by (service, topic, partition) (w4l_consumer_lag_messages))", "{{service}}")],
            "timeseries",
        ),
        (
            "Events handled per second, by outcome",
            "ops",
            [("sum by (service, outcome) (rate(w4l_events_handled_total[5m]))", "{{service}} {{outcome}}")],
            "timeseries",
        ),
        ("Outbox backlog", "short", [("max by (service) (w4l_outbox_pending_events)", "{{service}}")], "timeseries"),
        (
            "Oldest unpublished event",
            "s",
            [("max by (service) (w4l_outbox_oldest_pending_age_seconds)", "{{service}}")],
            "timeseries",
        ),
        (
            "Dead letters (last 10 minutes)",
            "short",
            [("sum by (service, reason) (increase(w4l_dead_letters_total[10m]))", "{{service}} {{reason}}")],
            "timeseries",
        ),
        (
            "Event handler latency p95",
            "s",
            [
                (
                    "histogram_quantile(0.95, sum by (service, le) (rate(w4l_event_handler_duration_seconds_bucket[5m])))",
                    "{{service}}",
                )
            ],
            "timeseries",
        ),
        (
            "HTTP requests per second, by status",
            "reqps",
            [("sum by (service, status) (rate(w4l_http_requests_total[5m]))", "{{service}} {{status}}")],
            "timeseries",
        ),
        (
            "HTTP latency p95",
            "s",
            [
                (
                    "histogram_quantile(0.95, sum by (service, le) (rate(w4l_http_request_duration_seconds_bucket[5m])))",
                    "{{service}}",
                )
            ],
            "timeseries",
        ),
        (
            "Kafka messages received (FastStream)",
            "ops",
            [("sum by (app_name) (rate(faststream_received_messages_total[5m]))", "{{app_name}}")],
            "timeseries",
        ),
        (
            "Kafka messages published (FastStream)",
            "ops",
            [
                (
                    "sum by (app_name, destination) (rate(faststream_published_messages_total[5m]))",
                    "{{app_name}} → {{destination}}",
                )
            ],
            "timeseries",
        ),
        (
            "Firing alerts",
            "short",
            [('count by (alertname, service) (ALERTS{alertstate="firing"})', "{{alertname}} {{service}}")],
            "timeseries",
        ),
    ]
    return _dashboard(
        "w4l-platform",
        "Work4Life platform",
        "Every service side by side: up, lag, outbox, dead letters, latency, and the programme's headline figures.",
        _layout(specs),
    )


def service(name: str) -> dict[str, Any]:
    sel = f'service="{name}"'
    specs = [
        ("Up", "short", [(f'max(up{{job="{name}"}})', "up")], "stat"),
        (
            "Consumer lag",
            "short",
            [(f"sum(max by (topic, partition) (w4l_consumer_lag_messages{{{sel}}}))", "events")],
            "stat",
        ),
        ("Outbox backlog", "short", [(f"max(w4l_outbox_pending_events{{{sel}}})", "events")], "stat"),
        (
            "Dead letters (24 h)",
            "short",
            [(f"sum(increase(w4l_dead_letters_total{{{sel}}}[24h]))", "dead letters")],
            "stat",
        ),
    ]
    specs += [(title, unit, targets, "timeseries") for title, unit, targets in BUSINESS[name]]
    specs += [
        (
            "Lag by topic and partition",
            "short",
            [(f"max by (topic, partition) (w4l_consumer_lag_messages{{{sel}}})", "{{topic}}[{{partition}}]")],
            "timeseries",
        ),
        (
            "Events handled per second",
            "ops",
            [
                (
                    f"sum by (event_type, outcome) (rate(w4l_events_handled_total{{{sel}}}[5m]))",
                    "{{event_type}} {{outcome}}",
                )
            ],
            "timeseries",
        ),
        (
            "Handler latency p50 / p95 / p99",
            "s",
            [
                (
                    f"histogram_quantile({q}, sum by (le) (rate(w4l_event_handler_duration_seconds_bucket{{{sel}}}[5m])))",
                    f"p{round(q * 100)}",
                )
                for q in (0.5, 0.95, 0.99)
            ],
            "timeseries",
        ),
        (
            "Dead letters by source topic and reason",
            "short",
            [
                (
                    f"sum by (source_topic, reason) (increase(w4l_dead_letters_total{{{sel}}}[1h]))",
                    "{{source_topic}} {{reason}}",
                )
            ],
            "timeseries",
        ),
        (
            "Outbox: backlog and oldest event",
            "short",
            [
                (f"max(w4l_outbox_pending_events{{{sel}}})", "pending"),
                (f"max(w4l_outbox_oldest_pending_age_seconds{{{sel}}})", "oldest (s)"),
            ],
            "timeseries",
        ),
        (
            "Outbox: published and failed rounds",
            "ops",
            [
                (f"sum(rate(w4l_outbox_published_events_total{{{sel}}}[5m]))", "published/s"),
                (f"sum(rate(w4l_outbox_publish_failures_total{{{sel}}}[5m]))", "failed rounds/s"),
            ],
            "timeseries",
        ),
        (
            "HTTP requests per second by route",
            "reqps",
            [(f"sum by (method, route) (rate(w4l_http_requests_total{{{sel}}}[5m]))", "{{method}} {{route}}")],
            "timeseries",
        ),
        (
            "HTTP 4xx and 5xx per second",
            "reqps",
            [(f'sum by (status) (rate(w4l_http_requests_total{{{sel}, status=~"4..|5.."}}[5m]))', "{{status}}")],
            "timeseries",
        ),
        (
            "HTTP latency p95 by route",
            "s",
            [
                (
                    f"histogram_quantile(0.95, sum by (route, le) (rate(w4l_http_request_duration_seconds_bucket{{{sel}}}[5m])))",
                    "{{route}}",
                )
            ],
            "timeseries",
        ),
    ]
    return _dashboard(
        f"w4l-{name}",
        f"Work4Life {name}",
        f"The {name} service: its programme figures, events, outbox, dead letters and HTTP.",
        _layout(specs),
    )


def dashboards(services: list[str]) -> dict[str, dict[str, Any]]:
    return {"platform.json": platform(services), **{f"{name}.json": service(name) for name in services}}


def queries(services: list[str]) -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) of every query, for tests."""
    return [
        (file, panel["title"], target["expr"])
        for file, board in dashboards(services).items()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def files(services: dict[str, int]) -> dict[Path, str]:
    boards = dashboards(list(services))
    return {OUT / name: json.dumps(board, indent=2, ensure_ascii=False) + "\n" for name, board in boards.items()}
