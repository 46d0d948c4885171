"""The printable certificate of a completed course (PDF, A4 landscape), in French with English
beneath, as the programme's certificates are: the person's name (when intake shows it to whoever
prints), the course, its provider and hours, the day of completion, the number and where anyone
can check it.

Written with fpdf2. Debian's DejaVu Sans is used where installed (`fonts-dejavu-core`), for names
written with letters beyond Latin-1; without it, the PDF core font is used and such letters lose
their marks (Ọ → O) rather than the certificate failing."""

import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fpdf import FPDF

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

KINDS = {
    "vocational": ("Formation professionnelle", "Vocational training"),
    "digital": ("Compétences numériques", "Digital skills"),
    "financial_education": ("Éducation financière", "Financial education"),
    "pre_employment": ("Préparation à l'emploi", "Pre-employment"),
    "language": ("Cours de langue", "Language course"),
}
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def latin1(text: str) -> str:
    """`text` in the core font's characters: marks dropped from letters it lacks."""
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base.isascii() and base else "?")
    return "".join(out)


def french_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def render(check: dict[str, Any], name: str | None, verify_url: str) -> bytes:
    """`check`: training's answer for the certificate number; `name`: None when not shown."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Certificat {check['certificate_number']}")
    pdf.set_author("Work4Life")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    clean: Callable[[str], str] = latin1
    family = "Helvetica"
    if FONT.exists() and FONT_BOLD.exists():
        pdf.add_font("body", "", str(FONT))
        pdf.add_font("body", "B", str(FONT_BOLD))
        family, clean = "body", str

    def line(text: str, size: float, style: str = "", gap: float = 4, colour: tuple[int, int, int] = (27, 31, 36)):
        pdf.set_font(family, style, size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, size * 0.5, clean(text), align="C")
        pdf.ln(gap)

    pdf.set_draw_color(11, 92, 173)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 271, 184)
    pdf.set_xy(20, 26)
    kind_fr, kind_en = KINDS.get(check["course_kind"], (check["course_kind"], check["course_kind"]))
    completed = date.fromisoformat(check["completed_on"])
    line("CERTIFICAT DE RÉUSSITE", 26, "B", 1, (11, 92, 173))
    line("Certificate of completion", 13, "", 10, (74, 83, 96))
    line("Le présent certificat atteste que · This certifies that", 11, "", 4, (74, 83, 96))
    line(name or "le ou la titulaire de ce certificat · the holder of this certificate", 22 if name else 14, "B", 6)
    line("a suivi avec succès · has completed", 11, "", 4, (74, 83, 96))
    line(check["course_title"], 20, "B", 2)
    line(f"{kind_fr} · {kind_en} — {check['hours']} heures · hours", 12, "", 2)
    line(f"{check['provider']}", 12, "", 8)
    line(f"Le {french_date(completed)} · on {completed.isoformat()}", 12, "", 14)
    line(f"N° {check['certificate_number']}", 13, "B", 2)
    line(f"Vérifier · Check: {verify_url}", 10, "", 2, (74, 83, 96))
    line(f"Délivré par · Issued by {check['organisation']}", 9, "", 0, (74, 83, 96))
    return bytes(pdf.output())
