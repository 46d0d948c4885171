"""Personal data stays in intake (ADR 5): no event carries a name, a phone number, an e-mail
address, a document or a birth date. The contracts test holds field names to that; this module
holds the values, since a free-text field (a city, a campaign, a reason) can carry what a person
typed into it: "Rabat, appeler le 06 12 34 56 78".

`personal_data_in` finds e-mail addresses and phone numbers in every text of an event's data. A
phone number is one that exists in its numbering plan (libphonenumber's rules, Moroccan numbers
also as dialled in Morocco), so a certificate number or a date is not taken for one. The runtime
refuses to build an event that carries either (`work4life.runtime.events.new_envelope`).
"""

import re
from typing import Any

from phonenumbers import Leniency, PhoneNumberMatcher

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""An id as JSON writes it: nobody types into it, and its digits can spell a number that exists
(`...-006493191502` is dialled as +64 9 319 1502), so it is not searched."""
HOME_REGION = "MA"


def personal_data_in(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(field, what) for each text in `value` (an event's data as JSON: dicts, lists, strings) that
    holds an e-mail address or a phone number; fields as dotted paths (`figures.0.name`)."""
    if isinstance(value, str):
        if UUID_TEXT.fullmatch(value):
            return []
        found = []
        if EMAIL.search(value):
            found.append((path, "an e-mail address"))
        if any(True for _ in PhoneNumberMatcher(value, HOME_REGION, leniency=Leniency.VALID)):
            found.append((path, "a phone number"))
        return found
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in personal_data_in(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [
            hit for i, item in enumerate(value) for hit in personal_data_in(item, f"{path}.{i}" if path else str(i))
        ]
    return []
