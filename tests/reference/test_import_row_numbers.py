"""Problems of a reference import name the row a person sees: the sheet row in Excel, the line of the CSV.

The values typed here ('abc', 91.5) are test inputs, not policy values.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.reference import shipped_reference
from dualcarbon.reference.imports import validate_file
from dualcarbon.workbooks.reference_template import SHEET, import_source

runner = CliRunner()
WIDE = {"COLUMNS": "250", "DUALCARBON_DATA_DIR": ""}
TABLE = "efficiency_benchmarks_2023"


def _template(tmp_path: Path) -> Path:
    target = tmp_path / "bm.xlsx"
    result = runner.invoke(app, ["reference", "template", TABLE, "-o", str(target)], env=WIDE)
    assert result.exit_code == 0, result.output
    return target


def _plant(path: Path, row_id: str, value: str, *, blank_rows_before: int = 0) -> int:
    """Type ``value`` as 标杆 of ``row_id``; return the sheet row it ends up on."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    header = [cell.value for cell in sheet[4]]
    number = next(row[0].row for row in sheet.iter_rows(min_row=5) if row[0].value == row_id)
    if blank_rows_before:
        sheet.insert_rows(number, blank_rows_before)
        number += blank_rows_before
    sheet.cell(number, header.index("benchmark_标杆水平") + 1, value)
    book.save(path)
    return number


def test_workbook_problems_name_the_sheet_row(tmp_path: Path) -> None:
    path = _template(tmp_path)
    first = _plant(path, "BM2023-001", "abc")
    assert first == 5  # title, instructions, Chinese names, header, then the first row
    result = runner.invoke(app, ["reference", "validate", str(path)], env=WIDE)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "BM2023-001" in line]
    assert lines and all(line.split("│")[1].strip() == "5" for line in lines), result.output


def test_blank_rows_in_the_sheet_do_not_shift_the_numbers(tmp_path: Path) -> None:
    path = _template(tmp_path)
    number = _plant(path, "BM2023-010", "abc", blank_rows_before=2)
    csv_file, sheet_rows = import_source(path, tmp_path)
    report = validate_file(csv_file, shipped_reference(), None, sheet_rows=sheet_rows)
    assert {p.row for p in report.problems if p.row_id == "BM2023-010"} == {number}
    assert sheet_rows is not None and sheet_rows[0] == 4  # the header row


def test_csv_problems_name_the_line_blank_lines_counted(tmp_path: Path) -> None:
    path = tmp_path / "bm.csv"
    path.write_text(
        "row_id,benchmark_标杆水平\n\nBM2023-001,\n\n\nBM2023-002,abc\n",
        encoding="utf-8",
    )
    report = validate_file(path, shipped_reference(), TABLE)
    assert {p.row for p in report.problems if p.row_id == "BM2023-002"} == {6}
