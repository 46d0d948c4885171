"""From the pages' forms to the services' request bodies (what the person typed, trimmed; empty
fields left out so the service applies its defaults and names what is missing)."""

from typing import Any

PROGRAMME_SERVICES = ("training", "enterprise", "employment")

TEXT_FIELDS = (
    "given_name",
    "family_name",
    "given_name_ar",
    "family_name_ar",
    "sex",
    "date_of_birth",
    "nationality",
    "legal_status",
    "document_type",
    "document_number",
    "document_expiry",
    "region",
    "city",
    "phone",
    "email",
    "education_level",
    "partner_organisation",
)


def text(form: dict[str, Any], name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    value = " ".join(str(value).split()) if value is not None else ""
    return value or None


def many(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name)
    if value is None or value == "":
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v).strip()]


def number(form: dict[str, Any], name: str) -> Any:
    value = text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value  # the service names the field and says it must be a whole number


def registration(form: dict[str, Any], notice_version: str) -> dict[str, Any]:
    body: dict[str, Any] = {name: text(form, name) for name in TEXT_FIELDS}
    if body.get("nationality"):
        body["nationality"] = body["nationality"].upper()
    body["household_size"] = number(form, "household_size")
    body["disability"] = bool(form.get("disability"))
    languages = [code.strip().lower() for code in (text(form, "languages") or "").replace(";", ",").split(",")]
    body["languages"] = [code for code in languages if code]
    consents: list[dict[str, Any]] = []
    if form.get("consent_service_delivery"):
        consents.append({"purpose": "service_delivery", "notice_version": notice_version})
    if form.get("consent_statistics"):
        consents.append({"purpose": "statistics", "notice_version": notice_version})
    for service in many(form, "consent_referral"):
        if service in PROGRAMME_SERVICES:
            consents.append({"purpose": "referral", "organisation": service, "notice_version": notice_version})
    body["consents"] = consents
    body["registered_on"] = text(form, "registered_on")  # set by the device for a registration made offline
    return {k: v for k, v in body.items() if v is not None and v != []} | {"consents": consents}


def assessment(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assessed_on": text(form, "assessed_on"),
        "digital_skills": text(form, "digital_skills"),
        "education_level": text(form, "education_level"),
        "notes": text(form, "notes"),
        "aspirations": many(form, "aspirations"),
        "skills": [s.strip() for s in (text(form, "skills") or "").split(",") if s.strip()],
    }
    languages = []
    for code in (text(form, "languages") or "").replace(";", ",").split(","):
        code = code.strip().lower()
        if code:
            languages.append({"code": code})
    body["languages"] = languages
    occupations: list[dict[str, str | float | None]] = []
    for index in range(3):
        isco = text(form, f"occupation_{index}")
        if isco:
            years = text(form, f"occupation_{index}_years")
            try:
                occupations.append({"isco08": isco, "years": float(years) if years else 0})
            except ValueError:
                occupations.append({"isco08": isco, "years": years})
    body["occupations"] = occupations
    return {k: v for k, v in body.items() if v is not None}


def referral(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reason": text(form, "reason"),
        "note": text(form, "note"),
        "made_on": text(form, "made_on"),
    }
    target = text(form, "target") or ""
    if target in PROGRAMME_SERVICES:
        body["service"] = target
    elif target:
        body["organisation"] = text(form, "organisation") if target == "other" else target
    return {k: v for k, v in body.items() if v is not None}


def outreach(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        name: text(form, name) for name in ("campaign", "held_on", "region", "city", "topic", "partner_organisation")
    }
    body["people_reached"] = number(form, "people_reached")
    return {k: v for k, v in body.items() if v is not None}
