"""Text that reaches a spreadsheet cell, neutralised against formula injection.

A value that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel or
LibreOffice as a formula when a CSV file is opened (OWASP's "CSV injection"), and openpyxl writes
a string starting with `=` as a formula. Names of breakdown cells, indicators, import errors and
anything else a person typed can reach a cell, so every CSV and XLSX the services write goes
through here:

- CSV: such a text gets a leading apostrophe, which spreadsheets show as text and do not evaluate;
- XLSX: such a text is stored as a string cell, shown exactly as typed, never evaluated.

Numbers stay numbers (a negative amount is a number, not a text)."""

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """`sheet.append(values)` (an openpyxl worksheet), with texts kept as texts, never formulas."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
