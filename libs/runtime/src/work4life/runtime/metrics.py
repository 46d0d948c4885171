"""The metrics every service exposes on /metrics, with the same names everywhere.

FastStream's own consumer/publisher metrics (`faststream_*`) come from its Prometheus
middleware on the same registry; these add the delivery guarantees and HTTP.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = {"service": service}
        self.service = service
        self.outbox_pending = Gauge(
            "w4l_outbox_pending_events",
            "Outbox rows not yet confirmed by Kafka.",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_oldest_age = Gauge(
            "w4l_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when empty).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_leader = Gauge(
            "w4l_outbox_relay_leader",
            "1 when this replica's relay publishes the outbox (one per database).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_published = Counter(
            "w4l_outbox_published_events_total",
            "Outbox rows published and confirmed by Kafka.",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_failures = Counter(
            "w4l_outbox_publish_failures_total",
            "Relay rounds that failed to publish (retried with backoff).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.events_handled = Counter(
            "w4l_events_handled_total",
            "Events taken by a consumer, by outcome (processed, duplicate, ignored, dead_lettered).",
            ["service", "event_type", "outcome"],
            registry=self.registry,
        )
        self.handler_duration = Histogram(
            "w4l_event_handler_duration_seconds",
            "Time to handle one event, database commit included.",
            ["service", "event_type"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.dead_letters = Counter(
            "w4l_dead_letters_total",
            "Messages sent to a dead-letter topic, by source topic and reason.",
            ["service", "source_topic", "reason"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "w4l_http_requests_total",
            "HTTP requests by route and status code.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "w4l_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["service", "method", "route"],
            registry=self.registry,
        )

    def handled(self, event_type: str, outcome: str) -> None:
        self.events_handled.labels(self.service, event_type, outcome).inc()

    def business_counter(self, name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> Counter:
        """A service's own business counter, e.g. `w4l_intake_registrations_total`."""
        return Counter(name, documentation, ["service", *labelnames], registry=self.registry)
