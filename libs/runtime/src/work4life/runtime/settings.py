"""Typed settings shared by every service. Each service subclasses `ServiceSettings` with its
own environment prefix, e.g. `W4L_INTAKE_DATABASE_URL`."""

from datetime import date
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .days import Programme


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

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="host:port of one or more brokers, comma-separated (name several brokers of a cluster: "
        "a service then starts while any one of them is up).",
    )
    topic_namespace: str = Field(default="", description="Prefix for every topic name, e.g. `staging.`.")
    create_topics: bool = Field(default=True, description="Create this service's topics at start-up if missing.")
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    dead_letter_retention_days: int = Field(
        default=90,
        ge=1,
        description="How long a dead-letter topic created by this service keeps a message set aside. "
        "Event topics keep their records for good (ADR 13).",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How to reach Kafka: SASL_SSL for a managed or partner-run cluster."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = Field(default=None, description="This service's Kafka principal.")
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(default=None, description="CA bundle that signed the brokers' certificates.")
    kafka_ssl_certfile: str | None = Field(default=None, description="Client certificate (mutual TLS), PEM.")
    kafka_ssl_keyfile: str | None = Field(default=None, description="Client key (mutual TLS), PEM.")
    lag_refresh_interval_s: float = Field(
        default=15.0, gt=0, description="How often the consumer lag of this service's group is measured."
    )

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    http_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 beyond); uploads may set their own."
    )
    http_max_concurrency: int = Field(
        default=16,
        ge=1,
        description="Requests handled at once; more wait their turn. Keep it below database_pool_size, so that "
        "a request never waits for a database connection while holding a worker thread.",
    )
    http_queue_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest wait for a request slot; after it the answer is 503 with Retry-After."
    )
    database_pool_size: int = Field(
        default=20, ge=2, description="Database connections per process (requests, the outbox relay, the consumer)."
    )

    outbox_poll_interval_s: float = Field(default=0.05, gt=0, description="Pause between relay rounds when idle.")
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_max_backoff_s: float = Field(default=10.0, gt=0)

    consumer_max_attempts: int = Field(
        default=3, ge=1, description="Attempts at a failing handler before dead-lettering."
    )
    consumer_retry_backoff_s: float = Field(default=0.2, ge=0)
    consumer_batch_size: int = Field(
        default=500, ge=1, description="Most records applied in one database transaction (1: one per event)."
    )
    consumer_read_first: bool = Field(
        default=True,
        description=(
            "While catching up on a backlog, read the topics the service names to be read first (reporting:"
            " intake's people) before the others; false reads every topic as Kafka hands it out."
        ),
    )
    consumer_batch_wait_ms: int = Field(
        default=20, ge=1, le=5000, description="Longest wait for records to arrive before polling again."
    )
    consumer_infrastructure_backoff_s: float = Field(
        default=1.0, ge=0, description="Pause before re-reading a message when the database or Kafka failed."
    )

    auth_jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 key for tokens signed by a shared secret (development, small deployments)."
    )
    auth_jwt_public_key: str | None = Field(
        default=None, description="PEM public key of the identity provider (RS256/ES256)."
    )
    auth_jwks_url: str | None = Field(default=None, description="JWKS URL of the identity provider (e.g. Keycloak).")
    auth_issuer: str | None = Field(default=None, description="Expected `iss` claim; required in production.")
    auth_audience: str = Field(default="work4life", description="Expected `aud` claim.")
    auth_role_claim: str = Field(default="role", description="Claim holding the role (a string or a list of roles).")
    auth_organisation_claim: str = Field(default="org", description="Claim holding the user's organisation code.")
    docs_oauth_client_id: str | None = Field(
        default=None,
        description="A public client of the identity provider that /docs signs readers in with (authorization code "
        "with PKCE; needs AUTH_ISSUER). Ignored in production.",
    )
    docs_oauth_authorization_url: str | None = Field(
        default=None, description="Default: Keycloak's, `<AUTH_ISSUER>/protocol/openid-connect/auth`."
    )
    docs_oauth_token_url: str | None = Field(
        default=None, description="Default: Keycloak's, `<AUTH_ISSUER>/protocol/openid-connect/token`."
    )

    programme_starts_on: date | None = Field(
        default=None,
        description="First day of the programme: a day something happened before it is refused (ADR 16). "
        "Set the same dates for every service of a deployment.",
    )
    programme_ends_on: date | None = Field(
        default=None, description="Last day of the programme: a day after it is refused (ADR 16)."
    )

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _defaults_and_production_rules(self) -> "ServiceSettings":
        if not self.database_url:
            if self.environment == "production":
                raise ValueError("database_url must be set explicitly in production")
            self.database_url = f"sqlite:///{self.state_dir}/{self.service_name}.db"
        if not (self.auth_jwt_secret or self.auth_jwt_public_key or self.auth_jwks_url):
            raise ValueError(
                "no token verification key: set AUTH_JWT_SECRET (shared secret), AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL "
                "(identity provider); scripts/run.sh creates a development secret in .state/dev-jwt-secret"
            )
        if self.auth_jwt_secret is not None and len(self.auth_jwt_secret.get_secret_value()) < 32:
            raise ValueError("auth_jwt_secret must be at least 32 characters")
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"kafka_security_protocol {self.kafka_security_protocol} needs kafka_sasl_username and kafka_sasl_password"
            )
        if self.environment == "production" and not self.auth_issuer:
            raise ValueError("auth_issuer must be set in production")
        self.programme  # noqa: B018  (refuses an end before the start)
        return self

    @property
    def programme(self) -> Programme:
        """The programme's dates, which every day something happened must lie within."""
        return Programme(self.programme_starts_on, self.programme_ends_on)

    @property
    def kafka_bootstrap_list(self) -> list[str]:
        """The brokers one by one (aiokafka reads a comma-separated string as one host name)."""
        return [server.strip() for server in self.kafka_bootstrap_servers.split(",") if server.strip()]

    def topic(self, name: str) -> str:
        """The real topic name of a catalogue topic in this deployment."""
        return f"{self.topic_namespace}{name}"

    @property
    def dead_letter_topic(self) -> str:
        return self.topic(f"{self.service_name}.dead_letters")
