"""The house style: header, frozen panes, autofilter, print setup, number formats, China time, CJK widths."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import openpyxl
import xlsxwriter
from openpyxl.worksheet.worksheet import Worksheet

from dualcarbon.workbooks.catalog import write_catalog_workbook
from dualcarbon.workbooks.style import HouseStyle, display_width, fit_widths


def _table(headers: list[str], rows: list[list[Any]], **options: Any) -> Worksheet:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    HouseStyle(book).write_table(book.add_worksheet("名录"), headers, rows, **options)
    book.close()
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["名录"]


def _assert_print_setup(sheet: Worksheet, header_row: int) -> None:
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # absent means 1 page wide (ECMA-376 default)
    assert sheet.page_setup.fitToHeight == 0  # as many pages tall as needed
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9  # A4
    assert sheet.oddHeader.center.text == "&A"  # the sheet name
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_a_table_sheet_is_finished_in_the_house_style() -> None:
    submitted = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    sheet = _table(
        ["企业名称", "综合能耗（吨标准煤）", "提交时间"],
        [["示例甲有限公司", 93090.5, submitted], ["乙", None, "2024-03-02T00:00:00+00:00"]],
        kinds=["text", "amount", "datetime"],
    )
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    header = sheet["A1"]
    assert header.font.b and header.alignment.horizontal == "center" and header.alignment.wrap_text
    assert header.border.left.style == "thin" and header.fill.fgColor.rgb.endswith("DDEBF7")
    _assert_print_setup(sheet, 1)
    assert sheet["B2"].value == 93090.5 and sheet["B2"].number_format == "#,##0.00"
    assert sheet["B3"].value is None
    # aware times (and ISO texts) are shown in China time
    assert sheet["C2"].value == datetime(2024, 3, 1, 16, 0) and sheet["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["C3"].value == datetime(2024, 3, 2, 8, 0)
    # 示例甲有限公司: 7 wide characters = 14 columns, plus a margin of 2
    assert round(sheet.column_dimensions["A"].width) == 17


def test_widths_count_wide_characters_twice() -> None:
    assert display_width("GB 16780") == 8
    assert display_width("水泥熟料") == 8
    assert display_width("ＡＢ") == 4  # full-width
    assert fit_widths(["序号", "企业名称"], [[1, "很" * 40]], maximum=60) == [8, 60]


def test_the_catalog_workbook_uses_the_house_style() -> None:
    entry = {
        "credit_code": "91530102MA6K00001X",
        "enterprise_name": "示例企业有限公司",
        "region_code": "530102",
        "region_name": "五华区",
        "product": "水泥熟料",
        "value": 118,
        "unit": "kgce/t",
        "tier": "fails_limit",
        "tier_zh": "未达到3级限定值",
        "gap_to_benchmark": 18.0,
        "gap_to_baseline": 1.0,
        "saving_to_benchmark_tce": 21600.0,
        "benchmark_row_id": "BM2023-061",
        "evidence": {
            "reference": {"grade_1": 100, "grade_2": 105, "grade_3": 117},
            "row": {"id": "BM2023-061", "field": "水泥熟料", "indicator": "熟料单位产品综合能耗"},
            "output": {"quantity": 1200000, "unit": "t"},
            "gap_to_benchmark_pct": 18.0,
        },
    }
    catalog = {"basis": "gb", "region_code": "530100", "half": "2026-H1", "edition": "2023", "state": "draft"}
    book = openpyxl.load_workbook(io.BytesIO(write_catalog_workbook(catalog, [entry], [])))
    sheet = book["未达到3级限定值"]
    assert sheet.freeze_panes == "A4"  # title, blank line, header
    assert sheet.auto_filter.ref == "A3:X4"
    assert sheet["A3"].font.b and sheet["A3"].value == "序号"
    _assert_print_setup(sheet, 3)
    header = [cell.value for cell in sheet[3]]
    row = dict(zip(header, sheet[4], strict=True))
    # the bulk-written rows carry the number formats of their columns
    assert row["单位产品能耗"].value == 118 and row["单位产品能耗"].number_format == "0.00##"
    assert row["与1级差距(%)"].number_format == "0.0"
    assert row["达到1级需节能量(tce/年)"].number_format == "#,##0.00"
    assert row["序号"].value == 1 and row["序号"].number_format == "0"
    _assert_print_setup(book["汇总"], 3)
