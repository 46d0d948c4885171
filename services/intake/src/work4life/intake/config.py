from pydantic_settings import SettingsConfigDict

from work4life.runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Settings of the intake service; every one can be set as `W4L_INTAKE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_INTAKE_", extra="ignore")

    service_name: str = "intake"
    http_port: int = 8001
    minimum_age: int = 15
    consent_notice_version: str = "2026-01"
