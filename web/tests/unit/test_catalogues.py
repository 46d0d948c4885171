"""Every text a person reads is in the catalogues, translated into French and Arabic, with the
same placeholders; and no template holds text outside a translation call."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from work4life.web import i18n

WEB = Path(i18n.__file__).parent
TEMPLATES = WEB / "templates"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def texts_in_the_code() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB, METHODS, keywords={"_": None, "gettext": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(language: str) -> Catalog:
    with (i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_text_is_translated_with_its_placeholders(language):
    texts = texts_in_the_code()
    assert len(texts) > 300  # the extraction found the application's texts
    translated = catalogue(language)
    missing = sorted(t for t in texts if not (translated.get(t) and translated.get(t).string))
    assert missing == [], f"untranslated in {language}: run web/scripts/catalogue.sh and translate: {missing[:20]}"
    wrong = [
        (m.id, m.string)
        for m in translated
        if m.id and sorted(re.findall(r"%\(\w+\)s", m.id)) != sorted(re.findall(r"%\(\w+\)s", m.string))
    ]
    assert wrong == []


def test_the_english_catalogue_knows_every_text():
    texts = texts_in_the_code()
    english = {m.id for m in catalogue("en") if m.id}
    assert sorted(texts - english) == []


def visible_text(template: str) -> str:
    """What a template would show outside translation calls and expressions."""
    text = re.sub(r"{#.*?#}", " ", template, flags=re.S)
    text = re.sub(r"{%.*?%}", " ", text, flags=re.S)
    text = re.sub(r"{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return text


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_no_template_shows_untranslated_words(template):
    leftover = visible_text((TEMPLATES / template).read_text()).replace("Work4Life", " ")  # the product's name
    words = re.findall(r"[^\W\d_]{2,}", leftover)
    assert words == [], f"{template} shows text outside _(): {words[:10]}"


def test_attributes_people_read_are_translated():
    """aria-label, title, placeholder and alt are read too (by screen readers)."""
    for path in TEMPLATES.rglob("*.html"):
        for attribute in re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', path.read_text()):
            assert attribute.startswith("{{") or attribute == "", f"{path.name}: {attribute}"
