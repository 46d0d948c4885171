import pytest
from pydantic import ValidationError

from work4life.runtime.settings import ServiceSettings


def test_development_defaults_to_a_sqlite_file_named_after_the_service():
    settings = ServiceSettings(service_name="intake", state_dir="/tmp/x")
    assert settings.database_url == "sqlite:////tmp/x/intake.db"


def test_production_refuses_to_start_without_an_explicit_database():
    with pytest.raises(ValidationError, match="database_url must be set explicitly in production"):
        ServiceSettings(service_name="intake", environment="production")


def test_topic_namespace_prefixes_every_topic_and_the_dead_letter_topic():
    settings = ServiceSettings(service_name="reporting", topic_namespace="staging.")
    assert settings.topic("intake.beneficiaries") == "staging.intake.beneficiaries"
    assert settings.dead_letter_topic == "staging.reporting.dead_letters"
