from pydantic import Field
from pydantic_settings import SettingsConfigDict

from work4life.runtime.settings import ServiceSettings


class TrainingSettings(ServiceSettings):
    """Settings of the training service; every one can be set as `W4L_TRAINING_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_TRAINING_", extra="ignore")

    service_name: str = "training"
    http_port: int = 8002
    certificate_prefix: str = Field(
        default="W4L", pattern=r"^[A-Z][A-Z0-9]{1,5}$", description="First part of every certificate number."
    )
