"""The case compilation workbook (案例汇编): one row per demonstration project, in the house style.

Sheets: 示范项目 (enterprise, project, type, investment, expected and verified savings, dates, state) and 说明.
Input: :class:`dualcarbon.projects.schemas.ProjectOut` rows as dicts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from dualcarbon.workbooks.style import HouseStyle

HEADERS = [
    "序号",
    "统一社会信用代码",
    "企业名称",
    "项目名称",
    "项目类型",
    "来源",
    "投资(元)",
    "预计节能量(tce/a)",
    "预计减排量(tCO2/a)",
    "核定节能量(tce/a)",
    "开工日期",
    "完成期限",
    "完成日期",
    "状态",
]


def write_cases_workbook(projects: Sequence[dict[str, Any]], title: str) -> bytes:
    """The demonstration projects as xlsx bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    style = HouseStyle(book)
    sheet = book.add_worksheet("示范项目")
    sheet.write(0, 0, title, style.title)
    rows = [
        [
            index,
            p["credit_code"],
            p["enterprise_name"],
            p["name"],
            p["project_type_zh"],
            p["origin_zh"],
            p["investment_yuan"],
            p["saving_tce_per_year"],
            p["saving_tco2_per_year"],
            p["verified_tce_per_year"],
            p["start_date"],
            p["deadline"],
            p["completed_on"],
            p["state_zh"],
        ]
        for index, p in enumerate(projects, start=1)
    ]
    style.write_table(
        sheet,
        HEADERS,
        rows,
        top=2,
        kinds={
            "序号": "int",
            "统一社会信用代码": "code",
            "投资(元)": "amount",
            "预计节能量(tce/a)": "amount",
            "预计减排量(tCO2/a)": "amount",
            "核定节能量(tce/a)": "amount",
            "开工日期": "date",
            "完成期限": "date",
            "完成日期": "date",
        },
        freeze_columns=3,
    )
    notes = book.add_worksheet("说明")
    for line, (label, value) in enumerate(
        [
            ("内容", "项目库中标记为示范项目的节能改造项目"),
            ("核定节能量", "按 GB/T 28750 测量与验证得到的年节能量，节能为正（GB/T 13234 口径）；未核定者为空"),
            ("项目数", len(rows)),
        ]
    ):
        notes.write(line, 0, label, style.label)
        style.write_value(notes, line, 1, value)
    style.set_widths(notes, [14, 100])
    style.print_setup(notes)
    book.close()
    return buffer.getvalue()
