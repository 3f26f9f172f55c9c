"""The enterprise-list spreadsheet shared by the registry import, its template and the export.

Owns the columns of the sheet (field name, default Chinese header, English name, note for the template),
the region-name column the export adds, and reading the rows of an ``.xlsx`` (first sheet) or ``.csv``
(UTF-8 or GB18030) file with their spreadsheet row numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualcarbon.core.errors import InvalidInput


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    note_zh: str


COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "统一社会信用代码", "Unified social credit code", "必填，18位，含校验码 (GB 32100)"),
    Column("name", "企业名称", "Name", "新企业必填"),
    Column("region_code", "行政区划代码", "Region code", "新企业必填，6位 GB/T 2260 代码，须在本辖区内"),
    Column("industry_code", "行业代码", "Industry code (GB/T 4754)", "新企业必填，门类字母+2~4位数字，如 C3011"),
    Column("above_scale", "规模以上", "Above designated size", "是/否"),
    Column("land_area_mu", "用地面积(亩)", "Land area (mu)", "数字，≥0"),
    Column("key_energy_user", "重点用能单位", "Key energy-using unit", "是/否"),
    Column("address", "地址", "Address", "选填"),
    Column("contact", "联系人", "Contact", "选填"),
)
#: The Chinese name of each enterprise field, as messages for a Chinese reader name it.
FIELD_ZH: dict[str, str] = {column.field: column.zh for column in COLUMNS}
REGION_NAME_HEADER = "行政区划名称"  # written by the export, ignored by the import


def read_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cell values) of the first sheet of an .xlsx, or of a .csv file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl  # exact row numbers, blank rows included (calamine trims them)

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InvalidInput(
                f"{path.name} is not a readable .xlsx workbook ({exc})",
                field="file",
                zh=f"无法读取 {path.name}：不是有效的 .xlsx 工作簿",
            ) from None
        try:
            for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                yield number, list(values)
        finally:
            workbook.close()
    elif suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        for number, values in enumerate(csv.reader(io.StringIO(text)), start=1):
            yield number, list(values)
    else:
        raise InvalidInput(f"{path.name}: use an .xlsx or .csv file", field="file", zh="请使用 .xlsx 或 .csv 文件")
