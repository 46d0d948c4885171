import pytest
from pydantic import ValidationError

from work4life.runtime.settings import ServiceSettings
from work4life.runtime.testing import TEST_JWT_SECRET

KEY = {"auth_jwt_secret": TEST_JWT_SECRET}


def test_development_defaults_to_a_sqlite_file_named_after_the_service():
    settings = ServiceSettings(service_name="intake", state_dir="/tmp/x", **KEY)
    assert settings.database_url == "sqlite:////tmp/x/intake.db"


def test_production_refuses_to_start_without_an_explicit_database():
    with pytest.raises(ValidationError, match="database_url must be set explicitly in production"):
        ServiceSettings(service_name="intake", environment="production", auth_issuer="https://id.example", **KEY)


def test_topic_namespace_prefixes_every_topic_and_the_dead_letter_topic():
    settings = ServiceSettings(service_name="reporting", topic_namespace="staging.", **KEY)
    assert settings.topic("intake.beneficiaries") == "staging.intake.beneficiaries"
    assert settings.dead_letter_topic == "staging.reporting.dead_letters"


def test_several_brokers_of_a_cluster_reach_the_kafka_client_one_by_one():
    """aiokafka took "a:9092,b:9092" for one host name, so a service never reached a cluster."""
    from work4life.runtime.broker import make_broker
    from work4life.runtime.metrics import ServiceMetrics

    settings = ServiceSettings(service_name="intake", kafka_bootstrap_servers="k-0:9093, k-1:9093,k-2:9093", **KEY)
    assert settings.kafka_bootstrap_list == ["k-0:9093", "k-1:9093", "k-2:9093"]
    broker = make_broker(settings, ServiceMetrics("intake"))
    clients = broker.config.broker_config.builder.keywords  # what FastStream hands to aiokafka
    assert clients["bootstrap_servers"] == ["k-0:9093", "k-1:9093", "k-2:9093"]


def test_a_service_refuses_to_start_without_a_token_verification_key():
    with pytest.raises(ValidationError, match="no token verification key"):
        ServiceSettings(service_name="intake")


def test_a_short_shared_secret_is_refused():
    with pytest.raises(ValidationError, match="at least 32 characters"):
        ServiceSettings(service_name="intake", auth_jwt_secret="short")


def test_production_requires_the_token_issuer():
    with pytest.raises(ValidationError, match="auth_issuer must be set in production"):
        ServiceSettings(service_name="intake", environment="production", database_url="sqlite:///x.db", **KEY)
