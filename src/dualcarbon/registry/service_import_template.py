"""The enterprise import template: an empty workbook with the default headers and a sheet explaining them.

The columns come from :mod:`dualcarbon.registry.service_sheet`; the import rules from
:mod:`dualcarbon.registry.service_import`.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import xlsxwriter

from dualcarbon.registry.service_sheet import COLUMNS
from dualcarbon.workbooks.style import HouseStyle


def write_import_template(dest: Path | BinaryIO) -> None:
    """The import workbook: sheet 企业名录 with the default headers, sheet 说明 explaining each column."""
    workbook = xlsxwriter.Workbook(dest)
    style = HouseStyle(workbook)
    sheet = workbook.add_worksheet("企业名录")
    widths = [22 if column.field in ("credit_code", "name", "address") else 14 for column in COLUMNS]
    style.write_header(sheet, 0, [column.zh for column in COLUMNS], widths=widths)
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, widths[index], style.kind("code"))
        if column.field in ("above_scale", "key_energy_user"):
            sheet.data_validation(1, index, 10000, index, {"validate": "list", "source": ["是", "否"]})
    style.finish_sheet(sheet, 0, len(COLUMNS), autofilter=False)
    notes = workbook.add_worksheet("说明")
    rows = [[column.zh, column.field, column.en, column.note_zh] for column in COLUMNS]
    style.write_table(notes, ["列名", "字段", "English", "说明"], rows, widths=[18, 26, 26, 52], finish=False)
    notes.write(
        len(COLUMNS) + 2,
        0,
        "按统一社会信用代码匹配：已有企业只更新有变化的字段，空白单元格不修改；有任何错误则全部不导入。",
    )
    style.finish_sheet(notes, len(COLUMNS), 4, autofilter=False)
    workbook.close()
