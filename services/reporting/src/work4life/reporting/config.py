from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from work4life.runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Settings of the reporting service; every one can be set as `W4L_REPORTING_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8005
    targets: dict[str, float] = Field(
        default_factory=dict,
        description='Target per indicator code, as JSON, e.g. {"1.4": 5000, "placements": 1500}; results show progress.',
    )
    snapshot_check_interval_s: float = Field(
        default=3600.0, gt=0, description="How often to check whether a month closed and its snapshot is due."
    )
    research_id_key: SecretStr | None = Field(
        default=None,
        description="The key of the research extract's ids (HMAC-SHA256 of the person's id): the same person keeps "
        "the same research id across extracts. Unset: each extract draws its own key, and its ids link nothing.",
    )
