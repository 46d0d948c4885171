from pydantic import Field
from pydantic_settings import SettingsConfigDict

from work4life.runtime.settings import ServiceSettings


class EmploymentSettings(ServiceSettings):
    """Settings of the employment service; every one can be set as `W4L_EMPLOYMENT_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_EMPLOYMENT_", extra="ignore")

    service_name: str = "employment"
    http_port: int = 8004
    retention_months: list[int] = Field(
        default=[3, 6, 12], description="When retention checks fall due, in months after a placement starts."
    )
