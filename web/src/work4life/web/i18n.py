"""French (the default), Arabic (right to left) and English: Babel message catalogues compiled at
start-up, locale-aware dates and numbers, and the services' errors in the person's language.

Source texts are English and written in the code and templates (`_("...")`, `N_("...")`); the
catalogues in `locales/<lang>/LC_MESSAGES/messages.po` translate them. `scripts/catalogue.sh`
extracts new texts and merges them into the catalogues; a test fails while any text is untranslated."""

import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = {"fr": "Français", "ar": "العربية", "en": "English"}
DEFAULT_LANGUAGE = "fr"
COOKIE = "w4l_lang"


def N_(message: str) -> str:
    """Marks a text for the catalogues; it is translated where it is shown."""
    return message


def load_translations() -> dict[str, Translations]:
    """Every language's catalogue, compiled in memory (English falls back to the source texts)."""
    loaded: dict[str, Translations] = {}
    for language in LANGUAGES:
        path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as po:
            catalogue = read_po(po, locale=language)
        compiled = BytesIO()
        write_mo(compiled, catalogue)
        compiled.seek(0)
        loaded[language] = Translations(fp=compiled)
    return loaded


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The language kept in the cookie; else the browser's first supported one; else French."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def direction(language: str) -> str:
    return (Locale.parse(language).character_order == "right-to-left" and "rtl") or "ltr"


class Formatter:
    """Dates and numbers written as the person's language writes them (Latin digits in Arabic,
    as Moroccan administration does: `ar_MA`)."""

    def __init__(self, language: str) -> None:
        self.locale = Locale.parse("ar_MA" if language == "ar" else "fr_MA" if language == "fr" else "en_GB")

    def date(self, value: Any) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            except ValueError:
                return value
        if isinstance(value, datetime):
            return format_datetime(value, "medium", locale=self.locale)
        return format_date(value, "medium", locale=self.locale)

    def month(self, value: Any) -> str:
        """A month as a chart's axis writes it: "nov. 26" in French."""
        return format_date(value, "MMM yy", locale=self.locale)

    def number(self, value: Any) -> str:
        return "" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale)

    def money(self, value: Any) -> str:
        """An exact amount (the services send decimal strings) with its two decimals, as the
        language writes them: 12 500,00 in French."""
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(str(value)), format="#,##0.00", locale=self.locale)


# -- the services' errors in the person's language ------------------------------------------------

FIELDS = {
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "given_name_ar": N_("Given name (Arabic script)"),
    "family_name_ar": N_("Family name (Arabic script)"),
    "sex": N_("Sex"),
    "date_of_birth": N_("Date of birth"),
    "nationality": N_("Nationality"),
    "legal_status": N_("Legal status"),
    "document_type": N_("Identity document"),
    "document_number": N_("Document number"),
    "document_expiry": N_("Document expiry"),
    "disability": N_("Disability"),
    "household_size": N_("Household size"),
    "region": N_("Region"),
    "city": N_("City"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "partner_organisation": N_("Partner organisation"),
    "languages": N_("Languages"),
    "education_level": N_("Education"),
    "consents": N_("Consents"),
    "purpose": N_("Purpose"),
    "organisation": N_("Organisation"),
    "digital_skills": N_("Digital skills"),
    "aspirations": N_("Aspirations"),
    "occupations": N_("Occupations"),
    "skills": N_("Skills"),
    "notes": N_("Notes"),
    "assessed_on": N_("Assessment date"),
    "service": N_("Service"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "campaign": N_("Campaign"),
    "held_on": N_("Date held"),
    "topic": N_("Topic"),
    "people_reached": N_("People reached"),
    "effective_on": N_("Effective on"),
    "file": N_("File"),
    "name": N_("Name"),
    "keep": N_("Record to keep"),
    "registered_from": N_("Registered from"),
    "registered_to": N_("Registered to"),
    "body": N_("Form"),
    "request": N_("Form"),
    "header.idempotency-key": N_("Registration key"),
    # training
    "title": N_("Title"),
    "kind": N_("Kind of course"),
    "provider": N_("Provider"),
    "hours": N_("Hours"),
    "sector": N_("Sector"),
    "description": N_("Description"),
    "certifying": N_("Issues a certificate"),
    "completion_rule": N_("Completion rule"),
    "min_attendance_percent": N_("Attendance needed (percent)"),
    "pass_mark": N_("Pass mark (out of 100)"),
    "final_assessment_required": N_("A passed final assessment is needed"),
    "label": N_("Name of the cohort"),
    "starts_on": N_("First day"),
    "ends_on": N_("Last day"),
    "place": N_("Venue and city"),
    "capacity": N_("Seats"),
    "trainer": N_("Trainer"),
    "sessions": N_("Session days"),
    "session_days": N_("Session days"),
    "starts_at": N_("Starts at"),
    "score": N_("Score out of 100"),
    "beneficiary_id": N_("Person"),
    "entries": N_("Roll-call"),
    "correction_reason": N_("Why marks change"),
    "certificate_number": N_("Certificate number"),
    "enrolled_on": N_("Enrolled on"),
    "made_on": N_("Referred on"),
    "shortlisted_on": N_("Shortlisted on"),
    "hired_on": N_("Hired on"),
    "on": N_("On"),
    "checked_on": N_("Called on"),
    "outcome": N_("Outcome"),
    "left_on": N_("If they left: when"),
    "left_reason": N_("If they left: why"),
}

ERROR_TYPES = {
    "missing": N_("is required"),
    "string_too_short": N_("is too short"),
    "string_too_long": N_("is too long"),
    "too_short": N_("needs at least one choice"),
    "too_long": N_("has too many entries"),
    "enum": N_("is not one of the choices"),
    "date_from_datetime_parsing": N_("is not a date"),
    "date_parsing": N_("is not a date"),
    "date_type": N_("is not a date"),
    "int_parsing": N_("must be a whole number"),
    "int_type": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "greater_than_equal": N_("is too small"),
    "less_than_equal": N_("is too large"),
    "greater_than": N_("is too small"),
    "less_than": N_("is too large"),
    "string_pattern_mismatch": N_("is not in the expected form"),
    "uuid_parsing": N_("is not a valid identifier"),
    "bool_parsing": N_("must be yes or no"),
    "extra_forbidden": N_("is not expected here"),
}

# Reasons the services give in their own words (intake's rules), translated as they are.
REASONS = {
    "must not be blank": N_("must not be blank"),
    "must be written in Arabic script": N_("must be written in Arabic script"),
    "must be an ISO 3166-1 alpha-3 country code such as CIV or SYR": N_(
        "must be a three-letter country code such as CIV or SYR"
    ),
    "must be an international number starting with + and the country code, e.g. +212612345678": N_(
        "must be an international number starting with + and the country code, e.g. +212612345678"
    ),
    "is not an e-mail address": N_("is not an e-mail address"),
    "is in the future": N_("is in the future"),
    "is before 1900": N_("is before 1900"),
    "consent to service delivery is required to register a person": N_(
        "consent to service delivery is required to register a person"
    ),
    "lists the same consent twice": N_("lists the same consent twice"),
    "lists a language twice": N_("lists a language twice"),
    "document_type is required when document_number is given": N_("is required when a document number is given"),
    "may hold only letters, digits, '/' and '-' (3 to 50 of them)": N_(
        "may hold only letters, digits, '/' and '-' (3 to 50 of them)"
    ),
    'must be an amount written with two decimals, e.g. "12500.00"': N_(
        'must be an amount written with two decimals, e.g. "12500.00"'
    ),
    # training's certificate numbers
    "expected PREFIX-YEAR-XXXXXXXX-CC, e.g. W4L-2026-7KQ2M9XD-88": N_(
        "expected PREFIX-YEAR-XXXXXXXX-CC, e.g. W4L-2026-7KQ2M9XD-88"
    ),
    "expected eight letters or digits and two check digits after the year": N_(
        "expected eight letters or digits and two check digits after the year"
    ),
    "the check digits do not match: a character was probably mistyped": N_(
        "the check digits do not match: a character was probably mistyped"
    ),
}


def field_label(field: str) -> str:
    """The label of a service's field path (`consents.0.organisation` → Organisation)."""
    parts = [p for p in field.split(".") if not p.isdigit()]
    for part in reversed(parts):
        if part in FIELDS:
            return FIELDS[part]
    return FIELDS.get(field, field)


# Reasons that name a value (a stage, an amount): the pattern, and the sentence shown instead.
PATTERNS = [
    (re.compile(r"^\w+ is decided by the selection committee: give its decision \(committee\)$"),
     N_("a selection is decided by the committee: give the committee and its session")),
    (re.compile(r"^reason is required to move a venture to \w+$"), N_("a reason is needed to reject or abandon")),
    (re.compile(r"^the tranches add up to (?P<total>[\d,.]+) MAD, not the (?P<approved>[\d,.]+) MAD approved$"),
     N_("the tranches add up to %(total)s MAD, not the %(approved)s MAD approved")),
]  # fmt: skip


def reason_text(reason: str, gettext) -> str:
    """A reason a service gave in its own words, translated when it is one of its known rules."""
    core = reason.removeprefix("Value error, ")
    if core in REASONS:
        return gettext(REASONS[core])
    for pattern, text in PATTERNS:
        found = pattern.match(core)
        if found:
            values = {k: v.replace(",", "") for k, v in found.groupdict().items()}  # 25,000.00: 25000.00
            return gettext(text) % values if values else gettext(text)
    if core.startswith("the person is ") and "registers people aged" in core:
        return gettext("the person is too young for the programme")
    return reason


def error_message(error: dict[str, Any], gettext) -> str:
    """One error of a service's 422 body (`{field, reason, type}`) as a sentence in the person's
    language: the field's label and the reason."""
    reason = str(error.get("reason", ""))
    known = reason_text(reason, gettext)
    if known != reason:
        text = known
    elif error.get("type") in ERROR_TYPES:
        text = gettext(ERROR_TYPES[error["type"]])
    else:
        text = gettext("is not accepted") + f" ({reason})"
    return text
