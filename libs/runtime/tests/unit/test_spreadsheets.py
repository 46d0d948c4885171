"""Text bound for a spreadsheet cell is never a formula."""

import csv
import io

from openpyxl import Workbook, load_workbook

from work4life.runtime.spreadsheets import append_row, csv_cell, csv_text

PLANTED = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"]


def test_csv_texts_that_a_spreadsheet_would_evaluate_get_an_apostrophe():
    assert [csv_cell(v) for v in PLANTED] == ["'" + v for v in PLANTED]
    assert [csv_cell(v) for v in ("Oujda", "a=b", "", -5, 3.5, None)] == ["Oujda", "a=b", "", -5, 3.5, None]
    rows = list(csv.reader(io.StringIO(csv_text([["name", "value"], ["=cmd", -12]]))))
    assert rows == [["name", "value"], ["'=cmd", "-12"]]


def test_xlsx_texts_are_stored_as_texts_exactly_as_typed():
    workbook = Workbook()
    append_row(workbook.active, [*PLANTED, 42, "bell\x07"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    row = next(load_workbook(buffer).active.iter_rows())
    assert [c.data_type for c in row] == ["s"] * len(PLANTED) + ["n", "s"]
    # (XML keeps a carriage return as a line feed)
    assert [c.value for c in row] == [*(v.replace("\r", "\n") for v in PLANTED), 42, "bell"]
