"""The report list as an Excel workbook (Chinese headers, English on request) for download.

Takes the summaries of :func:`dualcarbon.reports.service.list_reports` and writes one sheet; no
database access here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from dualcarbon.reports.schemas import ReportSummary
from dualcarbon.workbooks.style import HouseStyle, time_header

SHEET_ZH, SHEET_EN = "报告列表", "reports"
KIND_LABELS = {"year": ("年报", "annual"), "quarter": ("季报", "quarterly"), "month": ("月报", "monthly")}

#: (summary key, Chinese header, English header, width, kind of value — see dualcarbon.workbooks.style)
COLUMNS: tuple[tuple[str, str, str, int, str], ...] = (
    ("credit_code", "统一社会信用代码", "credit code", 22, "code"),
    ("enterprise_name", "企业名称", "enterprise", 30, "text"),
    ("region_code", "行政区划代码", "region code", 12, "text"),
    ("period_kind", "报告类型", "report kind", 10, "text"),
    ("period_label", "报告期", "period", 14, "text"),
    ("state_label", "状态", "state", 10, "text"),
    ("version", "版本", "version", 8, "int"),
    ("total_tce_equivalent", "综合能耗（当量值，吨标准煤）", "energy, equivalent (tce)", 18, "amount"),
    ("total_tce_equal", "综合能耗（等价值，吨标准煤）", "energy, equal value (tce)", 18, "amount"),
    ("total_tco2", "二氧化碳排放量（吨）", "CO2 (t)", 16, "amount"),
    (
        "tce_per_10k_yuan_value_added",
        "万元工业增加值能耗（吨标准煤/万元）",
        "tce per 10k yuan value added",
        20,
        "fixed4",
    ),
    ("has_flagged_deviation", "填报与核算偏差超限", "deviation flagged", 14, "text"),
    ("submitted_at", "提交时间", "submitted at", 20, "datetime"),
    ("approved_at", "审核时间", "approved at", 20, "datetime"),
)


def _cell(key: str, item: ReportSummary, english: bool) -> Any:
    value = getattr(item, key)
    if key == "period_kind":
        zh, en = KIND_LABELS.get(str(value), (value, value))
        return en if english else zh
    if key == "state_label" and english:
        return item.state_label_en
    if key == "has_flagged_deviation":
        return ("yes" if value else "no") if english else ("是" if value else "否")
    return value


def _header(zh: str, en: str, kind: str, english: bool) -> str:
    text = en if english else zh
    return time_header(text, "en" if english else "zh") if kind == "datetime" else text


def write_report_list(items: Sequence[ReportSummary], *, language: str = "zh") -> bytes:
    """The summaries as .xlsx bytes: one header row, one row per report, numbers as numbers, times in the display zone
    (labelled in the header)."""
    english = language == "en"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(SHEET_EN if english else SHEET_ZH)
    HouseStyle(book).write_table(
        sheet,
        [_header(zh, en, kind, english) for _, zh, en, _, kind in COLUMNS],
        [[_cell(key, item, english) for key, *_rest in COLUMNS] for item in items],
        kinds=[kind for *_rest, kind in COLUMNS],
        widths=[width for _, _, _, width, _ in COLUMNS],
        freeze_columns=2,
    )
    book.close()
    return buffer.getvalue()
