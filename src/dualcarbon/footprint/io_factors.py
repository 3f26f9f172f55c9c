"""Reading an administrator's material emission-factor file (材料排放因子表) and writing its template.

Layout: one header row, then one row per material — CSV (UTF-8, a BOM tolerated) or an .xlsx workbook (its first
sheet; the header is the first row naming ``material``/``材料``). Columns (English or Chinese header):

======================  ===========================  ==========================================================
column                  中文表头                      meaning
======================  ===========================  ==========================================================
``material``            材料                          the material as a bill of materials names it (required)
``unit``                单位                          the unit the factor is per: t, kg, m3, kWh … (required)
``kgco2e_per_unit``     排放因子                      kgCO₂e per unit, > 0 (required)
``data_year``           数据年份                      the year the factor describes (required)
``boundary``            边界                          ``cradle-to-gate`` for a footprint (required; other
                                                      boundaries mark a study incomplete)
``source``              来源                          where the number was read: database, report, page (required)
``confidence``          可信度                        ``verified: …`` or ``uncertain: …`` (required)
``document``            文件                          document title and number (optional)
``clause``              条款                          table / clause / record id (optional)
``aliases``             别名                          other names, separated by ``|`` (optional)
``gases``               气体                          CO2e (default) or CO2 (optional)
``notes``               备注                          (optional)
======================  ===========================  ==========================================================

Cells are read as text; the checks are in :mod:`dualcarbon.footprint.service_factors`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dualcarbon.core.errors import InvalidInput

COLUMNS = (
    "material",
    "unit",
    "kgco2e_per_unit",
    "data_year",
    "boundary",
    "source",
    "confidence",
    "document",
    "clause",
    "aliases",
    "gases",
    "notes",
)
REQUIRED = ("material", "unit", "kgco2e_per_unit", "data_year", "boundary", "source", "confidence")
HEADERS_ZH = {
    "材料": "material",
    "单位": "unit",
    "排放因子": "kgco2e_per_unit",
    "数据年份": "data_year",
    "边界": "boundary",
    "来源": "source",
    "可信度": "confidence",
    "文件": "document",
    "条款": "clause",
    "别名": "aliases",
    "气体": "gases",
    "备注": "notes",
}
ZH_OF = {column: zh for zh, column in HEADERS_ZH.items()}
MAX_ROWS = 5000
Row = dict[str, str]


def _column(cell: str) -> str:
    text = cell.strip()
    return HEADERS_ZH.get(text, text.lower())


def _records_csv(content: bytes, name: str) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'",
            field="file",
            zh=f"{name} 不是 UTF-8 编码，请另存为“CSV UTF-8”",
        ) from None
    return list(csv.reader(io.StringIO(text, newline="")))


def _records_xlsx(content: bytes, name: str) -> list[list[str]]:
    import openpyxl  # only when a workbook is given

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise InvalidInput(
            f"{name}: not a readable .xlsx workbook ({type(exc).__name__})", field="file", zh=f"{name} 无法读取"
        ) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_factor_rows(content: bytes, name: str) -> tuple[int, list[tuple[int, Row]]]:
    """(header row number, [(file row number, {column: text})]) of a CSV or .xlsx factor file.

    ``InvalidInput`` for an unreadable file, no header, or an unknown column (naming it)."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise InvalidInput("give a .csv (UTF-8) or .xlsx file", field="file", zh="请提供 .csv 或 .xlsx 文件")
    records = _records_xlsx(content, name) if suffix == ".xlsx" else _records_csv(content, name)
    start = next(
        (i for i, record in enumerate(records) if any(_column(c) == "material" for c in record)),
        None,
    )
    if start is None:
        raise InvalidInput(
            f"{name}: no header row naming 'material' (材料)", field="file", zh=f"{name} 缺少表头（需含“材料”列）"
        )
    header = [_column(cell) for cell in records[start]]
    width = max((i + 1 for i, column in enumerate(header) if column), default=0)
    unknown = [column for column in header[:width] if column and column not in COLUMNS]
    if unknown or len(set(header[:width])) != width:
        problem = f"unknown column(s): {', '.join(unknown)}" if unknown else "a column is blank or appears twice"
        raise InvalidInput(
            f"{name} row {start + 1}: {problem} (columns: {', '.join(COLUMNS)})",
            field="file",
            zh=f"{name} 第 {start + 1} 行表头有误：{problem}",
        )
    rows: list[tuple[int, Row]] = []
    for number, record in enumerate(records[start + 1 :], start=start + 2):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if any(cells[width:]):
            raise InvalidInput(
                f"{name} row {number}: more cells than header columns",
                field="file",
                zh=f"{name} 第 {number} 行多出单元格",
            )
        rows.append((number, {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header[:width])}))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"{name}: more than {MAX_ROWS} rows", field="file", zh=f"{name} 超过 {MAX_ROWS} 行")
    return start + 1, rows


def template_csv() -> bytes:
    """The fill-in template: the header row only (no rows: the numbers come from a cited source, never from us)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """The template as a workbook: sheet 1 the header to fill, sheet 2 (说明) what each column means."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "材料排放因子"
    sheet.append([ZH_OF[column] for column in COLUMNS])
    help_sheet = book.create_sheet("说明")
    help_sheet.append(["列", "column", "必填 required"])
    for column in COLUMNS:
        help_sheet.append([ZH_OF[column], column, "是" if column in REQUIRED else ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
