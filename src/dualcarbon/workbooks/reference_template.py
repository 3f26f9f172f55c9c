"""The fill-in workbook of a reference table, and reading it back for ``dualcarbon reference import``.

The 2023 policy 标杆/基准 values (发改产业〔2023〕723号) are blank in the shipped data because the official text is
not in the package. An administrator who has the text gets a workbook of every row — id, field, product,
indicator and unit, with the value, source and confidence columns to fill — and imports it back unchanged
(``dualcarbon reference import FILE.xlsx`` or the 参考数据导入 page).

Layout of the sheet 填写: a title (row 1), how to fill it in (row 2), the Chinese name of each column (row 3),
then the header row of the import — the table's own column names, ``row_id`` first — and one row per
reference row. :func:`template_csv` reads the sheet back from the header row on and gives the CSV the import
validates; nothing else of the workbook is read, so the title and explanations may stay as they are.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.catalogue import TableSpec, spec_for, template_columns
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.workbooks.style import HouseStyle, fit_widths

SHEET = "填写"
HEADER_ROW = 3  # 0-based: title, instructions, Chinese names, then the import header
#: What each column means, for the row above the import header (columns not listed show their own name).
COLUMN_ZH = {
    "row_id": "参考行编号（勿改）",
    "sector": "行业",
    "field_重点领域": "重点领域",
    "product_or_process": "产品或工序",
    "indicator": "能效指标",
    "unit": "单位（数值按此单位填写）",
    "benchmark_标杆水平": "标杆水平（填写）",
    "baseline_基准水平": "基准水平（填写）",
    "policy_value_source": "来源（文号、表、条款，填写）",
    "policy_value_confidence": "可信度（verified: … 或 uncertain: …，填写）",
}
INSTRUCTIONS = (
    "按官方文本填写数值列（单位见“单位”列），并在同一行填写来源（文号、表号、条款）与可信度"
    "（核对过官方原文写 “verified: 原文页码”，否则写 “uncertain: 原因”）。不知道的留空，不要估计。"
    "不要改动编号、列名和第4行；填好后用 `dualcarbon reference import 本文件` 或“参考数据导入”页面导入。"
)


def template_title(table: str) -> str:
    return f"{table} 参考数据填写表"


def write_template(reference: ReferenceSet, table: str) -> bytes:
    """The fill-in workbook of ``table`` as xlsx bytes: every row, current values where there are some."""
    columns = template_columns(table, reference)
    spec = spec_for(table, reference)
    to_fill = set(spec.primary.values if spec.primary else ()) | (
        {spec.primary.source, spec.primary.confidence} if spec.primary else set()
    )
    rows = [_template_row(row, columns, spec) for row in reference.tables[table].rows]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    style = HouseStyle(book)
    sheet = book.add_worksheet(SHEET)
    text = book.add_format({"num_format": "@"})  # typed values stay as written (no 1.20 → 1.2 surprises)
    sheet.write_string(0, 0, template_title(table), style.title)
    sheet.write_string(1, 0, INSTRUCTIONS, style.note)
    labels = [COLUMN_ZH.get(column, column) for column in columns]
    for col, name in enumerate(labels):
        sheet.write_string(2, col, name, style.label)
    widths = fit_widths(list(columns), [*rows, labels], maximum=40)
    style.write_header(sheet, HEADER_ROW, list(columns), required=[c in to_fill for c in columns], widths=widths)
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for col, value in enumerate(values):
            sheet.write_string(r, col, value or "", text)
    style.set_widths(sheet, widths)
    style.finish_sheet(sheet, len(rows), len(columns), top=HEADER_ROW)
    book.close()
    return buffer.getvalue()


def _template_row(row: dict[str, str], columns: tuple[str, ...], spec: TableSpec) -> list[str]:
    """A row's cells; where its values are blank, its source and confidence are left blank too: they speak for
    the values, so whoever fills a value must say where it comes from (the import refuses a value without)."""
    cells = {column: row.get(column, "") for column in columns}
    primary = spec.primary
    if primary is not None and not any(cells[c].strip() for c in primary.values):
        cells[primary.source] = cells[primary.confidence] = ""
    return [cells[column] for column in columns]


def _cell_text(value: Any) -> str:
    """A cell as the import reads it: numbers without a spurious ``.0``, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def template_csv(path: Path) -> bytes:
    """The import CSV (UTF-8) of a filled-in template: the rows from the header row (first cell ``row_id``) on.

    ``InvalidInput`` when the workbook has no such header row (not a template of ours, or row 4 was changed).
    """
    return template_records(path)[0]


def template_records(path: Path) -> tuple[bytes, list[int]]:
    """:func:`template_csv` and the sheet row (1-based, as Excel shows it) of each CSV record, header first."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not an xlsx workbook
        raise InvalidInput(f"not a readable .xlsx workbook ({type(exc).__name__})", field=str(path)) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        records = [[_cell_text(value) for value in row] for row in sheet.iter_rows(min_row=1, values_only=True)]
    finally:
        book.close()
    start = next((i for i, record in enumerate(records) if record and record[0] == "row_id"), None)
    if start is None:
        raise InvalidInput(
            f"no header row starting with 'row_id' in sheet {SHEET}; use the template as written", field=str(path)
        )
    header = records[start]
    width = max((i + 1 for i, name in enumerate(header) if name), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    sheet_rows: list[int] = []
    for index, record in enumerate(records[start:], start=start + 1):
        cells = (record + [""] * width)[:width]
        if any(cells):
            writer.writerow(cells)
            sheet_rows.append(index)
    return out.getvalue().encode("utf-8"), sheet_rows


def as_import_file(path: Path, directory: Path) -> Path:
    """``path`` itself when it is a CSV; for a filled-in template (.xlsx) its CSV written to ``directory`` under
    the workbook's name (``bm.xlsx`` → ``bm.csv``, the name the version manifest records)."""
    return import_source(path, directory)[0]


def import_source(path: Path, directory: Path) -> tuple[Path, list[int] | None]:
    """:func:`as_import_file` and, for a workbook, the sheet row of each CSV record (header first) so that
    problems name the rows a person sees in Excel (``None`` for a CSV: its own lines are those rows)."""
    if path.suffix.lower() != ".xlsx":
        return path, None
    content, sheet_rows = template_records(path)
    target = directory / f"{path.stem}.csv"
    target.write_bytes(content)
    return target, sheet_rows
