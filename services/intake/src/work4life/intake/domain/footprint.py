"""The programme's footprint: its cities, the region of each, and the ways people write them.

Partners write "Tanger", "Tangier", "TANGER" or "طنجة"; the programme counts one city. A city of
the footprint is stored under its one name (so reporting's breakdown by city adds up), and a
spreadsheet that names one where the region is expected is understood. Letter case, accents,
hyphens and extra spaces do not matter; an Arabic name is compared letter for letter."""

import re
import unicodedata
from dataclasses import dataclass, field

from work4life.contracts.intake import Region


def place_key(text: str) -> str:
    """A place's name as it is compared."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().casefold())
    latin = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", latin).strip() or " ".join(str(text).split())


@dataclass(frozen=True)
class Footprint:
    cities: dict[str, Region] = field(default_factory=dict)  # the city's name -> its region
    aliases: dict[str, str] = field(default_factory=dict)  # another way of writing it -> the city's name

    def place(self, text: str | None) -> tuple[str, Region] | None:
        """The footprint's city `text` names, with its region; None for any other place."""
        if not text:
            return None
        names = {place_key(name): name for name in self.cities}
        names |= {place_key(alias): name for alias, name in self.aliases.items() if name in self.cities}
        name = names.get(place_key(text))
        return (name, self.cities[name]) if name else None

    def city(self, text: str) -> str:
        """A city as it is stored: the footprint's name for one of its cities, otherwise as written."""
        found = self.place(text)
        return found[0] if found else text
