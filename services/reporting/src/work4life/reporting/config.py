from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from work4life.runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Settings of the reporting service; every one can be set as `W4L_REPORTING_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8005
    consumer_batch_size: int = Field(
        default=2000,
        ge=1,
        description="Most records applied in one database transaction. Larger than other services' 500: the roll-ups "
        "are recounted once a transaction for the people it touched (ADR 26), so fewer, larger transactions recount "
        "each person less often; the API's few writes (targets, approvals) wait for at most one of them.",
    )
    targets: dict[str, float] = Field(
        default_factory=dict,
        description='Target per indicator code, as JSON, e.g. {"1.4": 5000, "placements": 1500}; results show progress.',
    )
    snapshot_check_interval_s: float = Field(
        default=3600.0, gt=0, description="How often to check whether a month closed and its snapshot is due."
    )
    rollups: bool = Field(
        default=True,
        description="Keep the roll-ups of the unique-people indicators (ADR 26) and count from them. Off: every count "
        "reads the facts (slower at scale; for measuring); turned on again, the service rebuilds them when it starts.",
    )
    research_id_key: SecretStr | None = Field(
        default=None,
        description="The key of the research extract's ids (HMAC-SHA256 of the person's id): the same person keeps "
        "the same research id across extracts. Unset: each extract draws its own key, and its ids link nothing.",
    )
    iati_activity_id: str = Field(
        default="XI-W4L-MA-2025", description="The programme's IATI activity identifier (reporting org's ref + own id)"
    )
    iati_reporting_org_ref: str = Field(default="XI-W4L", description="The lead NGO's IATI organisation identifier")
    iati_reporting_org_name: str = "Work4Life lead NGO"
    iati_reporting_org_type: str = Field(default="21", description="IATI OrganisationType: 21 international NGO")
    iati_title: str = "Work4Life: integration of migrants and refugees in Morocco"
    iati_description: str = (
        "Intake and orientation, vocational and financial training, enterprise incubation with co-financing grants, "
        "and job placement for migrants, refugees and host communities in four Moroccan regions."
    )
    iati_funder_ref: str = Field(default="XI-IATI-EC_INTPA", description="The funder's IATI organisation identifier")
    iati_funder_name: str = "European Union Emergency Trust Fund for Africa"
    iati_start_date: str = Field(
        default="2025-01-01", pattern=r"^\d{4}-\d{2}-\d{2}$", description="The programme's actual start (YYYY-MM-DD)"
    )

    def iati(self) -> dict[str, str]:
        """The programme's identity in the IATI file, by the names the file uses."""
        return {
            name.removeprefix("iati_"): str(getattr(self, name))
            for name in type(self).model_fields
            if name.startswith("iati_")
        }
