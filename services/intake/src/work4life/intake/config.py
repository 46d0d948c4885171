from pydantic import Field
from pydantic_settings import SettingsConfigDict

from work4life.contracts.intake import Region
from work4life.runtime.settings import ServiceSettings

PROGRAMME_CITIES: dict[str, Region] = {
    "Tanger": Region.TANGER_TETOUAN_AL_HOCEIMA,
    "Rabat": Region.RABAT_SALE_KENITRA,
    "Oujda": Region.ORIENTAL,
    "Beni Mellal": Region.BENI_MELLAL_KHENIFRA,
}
CITY_ALIASES: dict[str, str] = {
    "Tangier": "Tanger",
    "Tangiers": "Tanger",
    "طنجة": "Tanger",
    "الرباط": "Rabat",
    "وجدة": "Oujda",
    "Oudjda": "Oujda",
    "بني ملال": "Beni Mellal",
}


class IntakeSettings(ServiceSettings):
    """Settings of the intake service; every one can be set as `W4L_INTAKE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="W4L_INTAKE_", extra="ignore")

    service_name: str = "intake"
    http_port: int = 8001
    minimum_age: int = 15
    consent_notice_version: str = "2026-01"
    footprint: dict[str, Region] = Field(
        default_factory=lambda: dict(PROGRAMME_CITIES),
        description="The programme's cities and the region of each, as JSON, e.g. "
        '{"Tanger": "tanger_tetouan_al_hoceima", "Oujda": "oriental"}. A city of the footprint is stored under '
        "this name however it was written, and a spreadsheet row with one where the region is expected is "
        "understood.",
    )
    city_aliases: dict[str, str] = Field(
        default_factory=lambda: dict(CITY_ALIASES),
        description='Other ways of writing a footprint city, as JSON, e.g. {"Tangier": "Tanger", "طنجة": "Tanger"} '
        "(letter case, accents and hyphens never matter).",
    )
