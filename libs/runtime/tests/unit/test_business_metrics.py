"""Business figures read from the database at scrape time, and Kafka client security options."""

import ssl
import time
from datetime import date

import pytest
from prometheus_client import generate_latest
from sqlalchemy import create_engine, text

from work4life.runtime.broker import faststream_security, kafka_options
from work4life.runtime.metrics import BusinessMetric, ServiceMetrics
from work4life.runtime.settings import ServiceSettings
from work4life.runtime.testing import TEST_JWT_SECRET


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/m.db")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE visit (region TEXT, due_on DATE, done INTEGER)"))
        c.execute(
            text(
                "INSERT INTO visit VALUES ('oriental', '2026-01-10', 0), ('oriental', '2026-03-01', 0), "
                "('souss_massa', '2026-01-05', 1)"
            )
        )
    return engine


def exposition(metrics: ServiceMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_figures_are_read_from_the_database_with_labels_and_today(engine):
    metrics = ServiceMetrics("enterprise")
    metrics.add_business_metrics(
        [
            BusinessMetric(
                "w4l_test_visits_total",
                "Visits.",
                "SELECT region, COUNT(*) FROM visit GROUP BY region",
                labels=("region",),
            ),
            BusinessMetric(
                "w4l_test_visits_overdue",
                "Overdue.",
                "SELECT COUNT(*) FROM visit WHERE done = 0 AND due_on < :today",
                kind="gauge",
            ),
        ]
    )
    assert "w4l_test_visits" not in exposition(metrics)  # not read yet: absent rather than a false 0
    metrics.business.refresh(engine, today=date(2026, 2, 1))
    text_ = exposition(metrics)
    assert 'w4l_test_visits_total{region="oriental",service="enterprise"} 2.0' in text_
    assert 'w4l_test_visits_total{region="souss_massa",service="enterprise"} 1.0' in text_
    assert "# TYPE w4l_test_visits_total counter" in text_
    assert 'w4l_test_visits_overdue{service="enterprise"} 1.0' in text_


def test_reads_are_spaced_to_spare_the_database(engine):
    metrics = ServiceMetrics("training")
    metrics.add_business_metrics([BusinessMetric("w4l_test_rows", "Rows.", "SELECT COUNT(*) FROM visit", kind="gauge")])
    metrics.business.refresh(engine)
    with engine.begin() as c:
        c.execute(text("INSERT INTO visit VALUES ('oriental', '2026-04-01', 0)"))
    metrics.business.refresh(engine)
    assert 'w4l_test_rows{service="training"} 3.0' in exposition(metrics)
    metrics.business._refreshed_at = time.monotonic() - 10
    metrics.business.refresh(engine)
    assert 'w4l_test_rows{service="training"} 4.0' in exposition(metrics)


def test_a_labelled_figure_with_no_rows_is_exposed_without_samples_and_an_unlabelled_one_as_zero(engine):
    metrics = ServiceMetrics("intake")
    metrics.add_business_metrics(
        [
            BusinessMetric(
                "w4l_test_none_total",
                "None.",
                "SELECT region, COUNT(*) FROM visit WHERE 0 GROUP BY region",
                labels=("region",),
            ),
            BusinessMetric("w4l_test_zero_total", "Zero.", "SELECT COUNT(*) FROM visit WHERE 0"),
        ]
    )
    metrics.business.refresh(engine)
    text_ = exposition(metrics)
    assert "# TYPE w4l_test_none_total counter" in text_ and "w4l_test_none_total{" not in text_
    assert 'w4l_test_zero_total{service="intake"} 0.0' in text_


def settings(**overrides) -> ServiceSettings:
    return ServiceSettings(service_name="training", auth_jwt_secret=TEST_JWT_SECRET, **overrides)


def test_plaintext_kafka_needs_no_security_options():
    assert faststream_security(settings()) is None
    assert kafka_options(settings()) == {"bootstrap_servers": "127.0.0.1:9092"}


def test_sasl_ssl_gives_the_same_principal_to_both_kafka_clients(tmp_path):
    s = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="w4l-training",
        kafka_sasl_password="s3cret",
    )
    options = kafka_options(s)
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("w4l-training", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    security = faststream_security(s)
    assert type(security).__name__ == "SASLScram512" and security.use_ssl
    assert (security.username, security.password) == ("w4l-training", "s3cret")


def test_sasl_without_credentials_is_refused_at_start():
    with pytest.raises(ValueError, match="kafka_sasl_username and kafka_sasl_password"):
        settings(kafka_security_protocol="SASL_PLAINTEXT")
