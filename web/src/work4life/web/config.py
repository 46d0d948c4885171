"""The web application's settings, from `W4L_WEB_*` environment variables."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECTIONS = ("intake", "training", "enterprise", "employment", "reporting")


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="W4L_WEB_", extra="ignore")

    service_name: str = "web"
    environment: Literal["development", "test", "production"] = "development"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = Field(
        default="", description="The address people open (for the sign-in redirect). Default: http://<host>:<port>."
    )
    log_level: str = "INFO"
    log_json: bool = True

    intake_url: str | None = Field(
        default=None, description="Intake's API, e.g. http://intake:8000. Unset: no section."
    )
    training_url: str | None = None
    enterprise_url: str | None = None
    employment_url: str | None = None
    reporting_url: str | None = None
    service_timeout_s: float = Field(default=15.0, gt=0, description="Longest wait for a service's answer.")

    oidc_issuer: str | None = Field(
        default=None, description="The identity provider's issuer, e.g. https://id.example.org/realms/work4life."
    )
    oidc_client_id: str = "work4life-web"
    oidc_client_secret: SecretStr | None = None
    oidc_scope: str = "openid profile"

    dev_jwt_secret: SecretStr | None = Field(
        default=None,
        description="The services' development secret: outside production, offers a development sign-in that mints "
        "the same tokens as `w4l-token`.",
    )
    session_secret: SecretStr | None = Field(
        default=None, description="Signs the session cookie. Default outside production: a random one per process."
    )
    session_idle_minutes: int = Field(default=60, ge=1, description="A session unused this long ends.")
    session_max_hours: int = Field(default=12, ge=1, description="A session ends this long after sign-in.")
    secure_cookies: bool = Field(default=False, description="Send cookies over HTTPS only (set behind TLS).")
    page_size: int = Field(default=25, ge=5, le=200)
    consent_notice_version: str = Field(default="2026-01", description="The consent notice shown at registration.")
    organisations: list[str] = Field(
        default=["amappe-rabat", "oujda-solidarite", "caritas-tanger", "fondation-orient-occident"],
        description="Partner organisations offered in filters and in the development sign-in.",
    )

    @model_validator(mode="after")
    def _production_rules(self) -> "WebSettings":
        if self.environment == "production":
            if not self.oidc_issuer:
                raise ValueError("oidc_issuer must be set in production (people sign in with the identity provider)")
            if self.session_secret is None:
                raise ValueError("session_secret must be set in production")
        if not self.oidc_issuer and self.dev_jwt_secret is None:
            raise ValueError(
                "no way to sign in: set W4L_WEB_OIDC_ISSUER (identity provider) or, outside production, "
                "W4L_WEB_DEV_JWT_SECRET (the services' development secret)"
            )
        return self

    @property
    def dev_sign_in(self) -> bool:
        return self.environment != "production" and self.dev_jwt_secret is not None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    def service_url(self, section: str) -> str | None:
        url = getattr(self, f"{section}_url")
        return url.rstrip("/") if url else None

    @property
    def sections(self) -> list[str]:
        return [name for name in SECTIONS if self.service_url(name)]
