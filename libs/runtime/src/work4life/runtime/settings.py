"""Typed settings shared by every service. Each service subclasses `ServiceSettings` with its
own environment prefix, e.g. `W4L_INTAKE_DATABASE_URL`."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="W4L_", extra="ignore")

    service_name: str = Field(description="Name of the service; fixed by each subclass.")
    environment: Literal["development", "test", "production"] = "development"
    organisation: str = Field(default="work4life", description="Code of the partner organisation running this service.")

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Default: a SQLite file `<state dir>/<service>.db`. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/db",
    )
    state_dir: str = Field(default=".state", description="Where the default SQLite database lives.")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_namespace: str = Field(default="", description="Prefix for every topic name, e.g. `staging.`.")
    create_topics: bool = Field(default=True, description="Create this service's topics at start-up if missing.")
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)

    outbox_poll_interval_s: float = Field(default=0.05, gt=0, description="Pause between relay rounds when idle.")
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_max_backoff_s: float = Field(default=10.0, gt=0)

    consumer_max_attempts: int = Field(
        default=3, ge=1, description="Attempts at a failing handler before dead-lettering."
    )
    consumer_retry_backoff_s: float = Field(default=0.2, ge=0)
    consumer_infrastructure_backoff_s: float = Field(
        default=1.0, ge=0, description="Pause before re-reading a message when the database or Kafka failed."
    )

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _defaults_and_production_rules(self) -> "ServiceSettings":
        if not self.database_url:
            if self.environment == "production":
                raise ValueError("database_url must be set explicitly in production")
            self.database_url = f"sqlite:///{self.state_dir}/{self.service_name}.db"
        return self

    def topic(self, name: str) -> str:
        """The real topic name of a catalogue topic in this deployment."""
        return f"{self.topic_namespace}{name}"

    @property
    def dead_letter_topic(self) -> str:
        return self.topic(f"{self.service_name}.dead_letters")
