"""The printable certificate: a PDF that says what the public check says, with the name when
intake shows it, and that does not fail on a name its font lacks letters for."""

import re
import zlib

from work4life.web import certificate

CHECK = {
    "certificate_number": "W4L-2026-7KQ2M9XD-88",
    "course_kind": "vocational",
    "course_title": "Couture et retouche",
    "completed_on": "2026-11-28",
    "hours": 120,
    "provider": "OFPPT Rabat",
    "organisation": "amappe-rabat",
}


def page_text(pdf: bytes) -> bytes:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    out = b""
    for raw in streams:
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


def test_the_core_font_folds_letters_it_lacks(monkeypatch):
    monkeypatch.setattr(certificate, "FONT", certificate.FONT.with_name("absent.ttf"))
    pdf = certificate.render(CHECK, "Ngozi Ọkafor", "https://w4l.example/certificates/W4L-2026-7KQ2M9XD-88")
    assert pdf.startswith(b"%PDF-")
    text = page_text(pdf)
    assert b"Ngozi Okafor" in text, "the dotted O is written as O, not refused"
    assert b"W4L-2026-7KQ2M9XD-88" in text and b"Couture et retouche" in text
    assert b"28 novembre 2026" in text


def test_without_a_name_the_certificate_names_its_holder():
    pdf = certificate.render(CHECK, None, "https://w4l.example/certificates/W4L-2026-7KQ2M9XD-88")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000


def test_latin1_keeps_what_it_can():
    assert certificate.latin1("Aïcha Traoré") == "Aïcha Traoré"
    assert certificate.latin1("Ağa Ọ") == "Aga O"
