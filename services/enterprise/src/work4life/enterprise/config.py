from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from work4life.contracts.training import CourseKind
from work4life.runtime.settings import ServiceSettings


class EnterpriseSettings(ServiceSettings):
    """Settings of the enterprise service; every one can be set as `W4L_ENTERPRISE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_ENTERPRISE_", extra="ignore")

    service_name: str = "enterprise"
    http_port: int = 8003
    eur_rate: Decimal = Field(
        default=Decimal("10.8000"), gt=0, max_digits=10, decimal_places=4, description="MAD per EUR for reports."
    )
    grant_prerequisites: list[CourseKind] = Field(
        default=[CourseKind.FINANCIAL_EDUCATION],
        description="Kinds of course every member in the programme must have completed before a grant "
        '(JSON list, e.g. ["financial_education"]; [] for none).',
    )
    follow_up_months: list[int] = Field(
        default=[6, 12, 24, 36], description="When follow-up visits fall due, in months after launch."
    )
