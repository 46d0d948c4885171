"""Reading a partner's registration spreadsheet (CSV or XLSX) into registration requests.

Column names may be the API's field names or their usual French headings; values accept the
spellings found in practice (F/M, femme/homme, oui/non, 31/12/1990, Excel dates, "fr:fluent, ar").
Every row comes back either as a request or as the reasons it is refused, never dropped.
"""

import csv
import gettext
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import pycountry
from pydantic import ValidationError

from work4life.contracts.intake import ConsentPurpose, Region
from work4life.runtime.http import CONTROL

from .footprint import Footprint
from .model import BeneficiaryBase, ConsentRequest

ALIASES = {
    "prenom": "given_name",
    "prenoms": "given_name",
    "first_name": "given_name",
    "nom": "family_name",
    "nom_de_famille": "family_name",
    "last_name": "family_name",
    "surname": "family_name",
    "prenom_arabe": "given_name_ar",
    "nom_arabe": "family_name_ar",
    "sexe": "sex",
    "genre": "sex",
    "gender": "sex",
    "date_de_naissance": "date_of_birth",
    "naissance": "date_of_birth",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "nationalite": "nationality",
    "statut": "legal_status",
    "statut_juridique": "legal_status",
    "type_de_document": "document_type",
    "numero_de_document": "document_number",
    "expiration_document": "document_expiry",
    "handicap": "disability",
    "taille_du_menage": "household_size",
    "menage": "household_size",
    "region": "region",
    "ville": "city",
    "telephone": "phone",
    "tel": "phone",
    "courriel": "email",
    "mail": "email",
    "langues": "languages",
    "niveau_d_etudes": "education_level",
    "niveau_etudes": "education_level",
    "organisation": "partner_organisation",
    "partenaire": "partner_organisation",
    "consentement_service": "consent_service_delivery",
    "consentement_statistiques": "consent_statistics",
    "version_notice": "notice_version",
}
VALUE_ALIASES = {
    "sex": {
        "f": "female",
        "femme": "female",
        "feminin": "female",
        "m": "male",
        "h": "male",
        "homme": "male",
        "masculin": "male",
        "nsp": "undisclosed",
    },
    "legal_status": {
        "refugie": "refugee",
        "demandeur_d_asile": "asylum_seeker",
        "demandeur_asile": "asylum_seeker",
        "migrant_regulier": "regular_migrant",
        "migrant_en_situation_reguliere": "regular_migrant",
        "autre_migrant": "other_migrant",
        "migrant_irregulier": "other_migrant",
        "communaute_d_accueil": "host_community",
        "marocain": "host_community",
    },
}
TRUE = {"yes", "y", "oui", "o", "true", "1", "x", "vrai"}
FALSE = {"no", "n", "non", "false", "0", "", "faux"}


def slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", ascii_only).strip("_")


@dataclass
class RowError:
    row: int
    field: str
    reason: str


@dataclass
class ParsedRow:
    row: int
    details: BeneficiaryBase | None = None
    consents: list[ConsentRequest] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


def read_rows(content: bytes, filename: str) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Headers and (spreadsheet row number, cells) of the first sheet."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise SpreadsheetError(f"not a readable .xlsx file: {exc}") from exc
        cells = workbook.worksheets[0].iter_rows(values_only=True)
        first = next(cells, None)
        if first is None:
            raise SpreadsheetError("the sheet is empty")
        return [str(h or "") for h in first], ((i, list(r)) for i, r in enumerate(cells, start=2))
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        header = next(reader, None)
        if header is None:
            raise SpreadsheetError("the file is empty")
        return header, ((i, r) for i, r in enumerate(reader, start=2))
    raise SpreadsheetError("only .csv and .xlsx files can be imported")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    if match:
        day, month, year = map(int, match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return text
    return text or None


def _name_key(text: str) -> str:
    """A country's name compared without case, accents, vowel marks or punctuation, in any script."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return "_".join(re.findall(r"\w+", kept))


@cache
def _country_names() -> dict[str, str]:
    """Every country's names in English, French and Arabic (pycountry's ISO 3166-1 list and its
    translations), its alpha-2 and alpha-3 codes, each to the alpha-3 code."""
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
        for language in ("fr", "ar")
    ]
    names: dict[str, str] = {}
    for country in pycountry.countries:
        own = [getattr(country, a, None) for a in ("name", "common_name", "official_name")]
        spellings = [country.alpha_2, country.alpha_3, *own]
        spellings += [t.gettext(n) for t in translations for n in own if n]
        for spelling in spellings:
            if spelling:
                names.setdefault(_name_key(spelling), country.alpha_3)
    return names


def _nationality(value: Any) -> str | None:
    """A nationality cell as an alpha-3 code when it names a country ("Sénégal", "Côte d'Ivoire",
    "السنغال", "sn"); otherwise the text as it is, for the model to refuse by name."""
    text = _text(value)
    return _country_names().get(_name_key(text), text) if text else None


def _whole(value: Any) -> Any:
    """A cell holding a whole number (3, 3.0 or "3") as an int; other text as it is, for the model
    to refuse by name."""
    text = _text(value)
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else (text or None)


def _bool(value: Any, column: str) -> bool:
    text = slug(_text(value))
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{column}: {value!r} is not yes/no")


def _languages(value: Any) -> list[Any]:
    items = []
    for part in re.split(r"[,;/]", _text(value)):
        if not part.strip():
            continue
        code, _, level = part.strip().partition(":")
        items.append({"code": code.strip(), "level": level.strip() or None})
    return items


def map_header(header: list[str]) -> dict[int, str]:
    columns = {}
    for index, name in enumerate(header):
        key = slug(name)
        columns[index] = ALIASES.get(key, key)
    missing = {
        "given_name",
        "family_name",
        "sex",
        "date_of_birth",
        "nationality",
        "legal_status",
        "region",
        "city",
    } - set(columns.values())
    if missing:
        raise SpreadsheetError(f"missing columns: {', '.join(sorted(missing))}")
    return columns


def region_of(text: str, footprint: Footprint) -> tuple[str | None, str | None]:
    """The region a spreadsheet's region cell names, and the city when it names one of the
    programme's cities instead ("Tanger" for tanger_tetouan_al_hoceima)."""
    value = slug(text) or None
    if value in {r.value for r in Region}:
        return value, None
    found = footprint.place(text)
    return (found[1].value, found[0]) if found else (value, None)


def parse_row(
    number: int,
    cells: list[Any],
    columns: dict[int, str],
    default_organisation: str,
    footprint: Footprint | None = None,
) -> ParsedRow | None:
    """One row as a registration request; None for an empty row."""
    raw = {columns[i]: cell for i, cell in enumerate(cells) if i in columns}
    if all(_text(v) == "" for v in raw.values()):
        return None
    parsed = ParsedRow(row=number)
    city_named: str | None = None
    # The same rule as every request (runtime.http.ControlCharacters): a cell is text too. Such a
    # row is reported for those cells alone, not also for what the rest would make of it.
    for name, cell in raw.items():
        if isinstance(cell, str) and (found := CONTROL.search(cell)):
            reason = f"control characters are not allowed (found U+{ord(found.group()):04X})"
            parsed.errors.append(RowError(number, name, reason))
    if parsed.errors:
        return parsed
    values: dict[str, Any] = {}
    for name, cell in raw.items():
        if name in ("date_of_birth", "document_expiry"):
            values[name] = _date(cell)
        elif name == "languages":
            values[name] = _languages(cell)
        elif name in ("disability",):
            try:
                values[name] = _bool(cell, name)
            except ValueError as exc:
                parsed.errors.append(RowError(number, name, str(exc).split(": ", 1)[1]))
        elif name == "household_size":
            values[name] = _whole(cell)
        elif name == "nationality":
            values[name] = _nationality(cell)
        elif name in VALUE_ALIASES:
            text = _text(cell)
            values[name] = VALUE_ALIASES[name].get(slug(text), slug(text) if text else text)
        elif name == "region":
            values[name], city_named = region_of(_text(cell), footprint or Footprint())
        elif name in ("education_level", "document_type"):
            values[name] = slug(_text(cell)) or None
        elif name.startswith("consent_") or name == "notice_version":
            continue
        else:
            values[name] = _text(cell) or None
    if city_named and not values.get("city"):
        values["city"] = city_named  # "Tanger" in the region column: the city too
    values.setdefault("partner_organisation", default_organisation)
    if not values.get("partner_organisation"):
        values["partner_organisation"] = default_organisation
    try:
        parsed.details = BeneficiaryBase.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            field_name = ".".join(str(p) for p in error["loc"]) or "(row)"
            parsed.errors.append(RowError(number, field_name, error["msg"]))
    notice = _text(raw.get("notice_version")) or None
    for column, purpose in (
        ("consent_service_delivery", ConsentPurpose.SERVICE_DELIVERY),
        ("consent_statistics", ConsentPurpose.STATISTICS),
    ):
        if column not in raw:
            continue
        try:
            if _bool(raw[column], column):
                parsed.consents.append(ConsentRequest(purpose=purpose, notice_version=notice))
        except ValueError as exc:
            parsed.errors.append(RowError(number, column, str(exc).split(": ", 1)[1]))
    if not any(c.purpose is ConsentPurpose.SERVICE_DELIVERY for c in parsed.consents):
        parsed.errors.append(
            RowError(number, "consent_service_delivery", "must be yes: consent to service delivery is required")
        )
    if parsed.errors:
        parsed.details = None
    return parsed
