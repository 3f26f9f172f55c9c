"""The report list as an Excel workbook (Chinese headers, English on request) for download.

Takes the summaries of :func:`dualcarbon.reports.service.list_reports` and writes one sheet; no
database access here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

SHEET_ZH, SHEET_EN = "报告列表", "reports"
KIND_LABELS = {"year": ("年报", "annual"), "quarter": ("季报", "quarterly"), "month": ("月报", "monthly")}

#: (summary key, Chinese header, English header, width, number format or None)
COLUMNS: tuple[tuple[str, str, str, int, str | None], ...] = (
    ("credit_code", "统一社会信用代码", "credit code", 22, None),
    ("enterprise_name", "企业名称", "enterprise", 30, None),
    ("region_code", "行政区划代码", "region code", 12, None),
    ("period_kind", "报告类型", "report kind", 10, None),
    ("period_label", "报告期", "period", 14, None),
    ("state_label", "状态", "state", 10, None),
    ("version", "版本", "version", 8, "0"),
    ("total_tce_equivalent", "综合能耗（当量值，吨标准煤）", "energy, equivalent (tce)", 18, "#,##0.00"),
    ("total_tce_equal", "综合能耗（等价值，吨标准煤）", "energy, equal value (tce)", 18, "#,##0.00"),
    ("total_tco2", "二氧化碳排放量（吨）", "CO2 (t)", 16, "#,##0.00"),
    (
        "tce_per_10k_yuan_value_added",
        "万元工业增加值能耗（吨标准煤/万元）",
        "tce per 10k yuan value added",
        20,
        "0.0000",
    ),
    ("has_flagged_deviation", "填报与核算偏差超限", "deviation flagged", 14, None),
    ("submitted_at", "提交时间", "submitted at", 20, None),
    ("approved_at", "审核时间", "approved at", 20, None),
)


def _cell(key: str, item: dict[str, Any], english: bool) -> Any:
    value = item.get(key)
    if key == "period_kind":
        zh, en = KIND_LABELS.get(str(value), (value, value))
        return en if english else zh
    if key == "state_label" and english:
        return item.get("state_label_en", value)
    if key == "has_flagged_deviation":
        return ("yes" if value else "no") if english else ("是" if value else "否")
    if key in ("submitted_at", "approved_at") and isinstance(value, str):
        return value[:19].replace("T", " ")
    return value


def write_report_list(items: Sequence[dict[str, Any]], *, language: str = "zh") -> bytes:
    """The summaries as .xlsx bytes: one header row, one row per report, numbers as numbers."""
    english = language == "en"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(SHEET_EN if english else SHEET_ZH)
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    formats = {key: book.add_format({"num_format": fmt}) for key, _, _, _, fmt in COLUMNS if fmt}
    for col, (key, zh, en, width, _) in enumerate(COLUMNS):
        sheet.write(0, col, en if english else zh, header)
        sheet.set_column(col, col, width, formats.get(key))
    for row, item in enumerate(items, start=1):
        for col, (key, *_rest) in enumerate(COLUMNS):
            value = _cell(key, item, english)
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row, col, value, formats.get(key))
            else:
                sheet.write_string(row, col, str(value), text if key == "credit_code" else None)
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, max(len(items), 1), len(COLUMNS) - 1)
    book.close()
    return buffer.getvalue()
