"""The annual-report workbook: template, round trip write → read, every bad cell named; the list export."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dualcarbon.reports.io import (
    AnnualReport,
    WorkbookInvalid,
    read_annual_report,
    write_annual_report,
    write_annual_report_template,
    write_report_list,
)
from dualcarbon.reports.io.layout import BASIC_SHEET, ENERGY_COLUMNS, ENERGY_SHEET, PRODUCT_COLUMNS, PRODUCTS_SHEET
from dualcarbon.reports.schemas import ReportSummary
from dualcarbon.reports.service_content import parse_content

CODE = "91330302MA2AA00017"

CONTENT = parse_content(
    {
        "energy_lines": [
            {"carrier": "electricity", "quantity": 1200, "unit": "万千瓦时", "reported_tce": 1474.8},
            {"carrier": "electricity", "quantity": 100, "unit": "万千瓦时", "use": "sold"},
            {"carrier": "natural_gas", "quantity": 50, "unit": "万立方米"},
            {"carrier": "natural_gas", "quantity": 10, "unit": "万立方米", "use": "feedstock"},
            {"carrier": "raw_coal", "quantity": 3000, "unit": "吨", "ncv": 20908, "ncv_unit": "kJ/kg"},
            {"carrier": "coke", "quantity": 500, "unit": "吨", "ncv": 0.9714, "ncv_unit": "kgce/kg"},
            {"carrier": "diesel", "quantity": 80, "unit": "吨", "use": "conversion"},
        ],
        "outputs": [
            {
                "product": "电石",
                "benchmark_row_id": "BM2023-039",
                "quantity": 20000,
                "unit": "吨",
                "reported_unit_consumption": 850.5,
                "unit_consumption_unit": "kgce/t",
            },
            {"product": "硅铁", "quantity": 300, "unit": "吨"},
        ],
        "economics": {
            "gross_output_10k_yuan": 52000,
            "value_added_10k_yuan": 9800,
            "sales_revenue_10k_yuan": 50100,
            "employees": 420,
            "energy_cost_10k_yuan": 7300.5,
        },
    }
)


def _written(tmp_path: Path) -> Path:
    return write_annual_report(tmp_path / "report.xlsx", AnnualReport(CODE, "鹿城甲阀门有限公司", 2023, CONTENT))


def _cell(path: Path, sheet: str, header: str, row: int, value: Any) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    column = next(cell.column for cell in ws[2] if cell.value == header)
    ws.cell(row=row, column=column).value = value
    book.save(path)


def _problems(path: Path) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(WorkbookInvalid) as caught:
        read_annual_report(path)
    return [(p.sheet, p.row, p.column) for p in caught.value.problems]


def test_template_has_the_three_tables_with_chinese_headers(tmp_path: Path) -> None:
    path = write_annual_report_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:4] == ["填表说明", BASIC_SHEET, ENERGY_SHEET, PRODUCTS_SHEET]
    assert [c.value for c in book[ENERGY_SHEET][2]] == [c.header for c in ENERGY_COLUMNS]
    assert [c.value for c in book[PRODUCTS_SHEET][2]] == [c.header for c in PRODUCT_COLUMNS]
    energy = book[ENERGY_SHEET]
    listed = {energy.cell(row=r, column=1).value: energy.cell(row=r, column=7).value for r in range(3, 17)}
    assert listed["电力"] == pytest.approx(0.1229) and listed["柴油"] == pytest.approx(1.4571)
    # the untouched template lacks the credit code and the year, and says where
    problems = _problems(path)
    assert (BASIC_SHEET, 3, "本期值") in problems and (BASIC_SHEET, 5, "本期值") in problems


def test_round_trip(tmp_path: Path) -> None:
    read = read_annual_report(_written(tmp_path))
    assert (read.credit_code, read.name, read.year) == (CODE, "鹿城甲阀门有限公司", 2023)
    assert read.content == CONTENT
    assert read.origins["energy_lines[3].quantity"] == (ENERGY_SHEET, 4, "其中：用作原料")
    assert read.origins["outputs[1].unit"] == (PRODUCTS_SHEET, 4, "产量计量单位")


def test_consumption_split_into_uses(tmp_path: Path) -> None:
    path = write_annual_report_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    basic = book[BASIC_SHEET]
    basic["C3"], basic["C5"] = CODE, 2024
    energy = book[ENERGY_SHEET]
    # 天然气 row of the template: 消费量 80 (万立方米) of which 用作原料 20, 加工转换投入 15; 外供 5
    row = next(r for r in range(3, 20) if energy.cell(row=r, column=1).value == "天然气")
    for column, value in ((3, 80), (4, 20), (5, 15), (6, 5), (12, 980.0)):
        energy.cell(row=row, column=column, value=value)
    book.save(path)
    lines = [(x.carrier, x.use, x.quantity, x.reported_tce) for x in read_annual_report(path).content.energy_lines]
    assert lines == [
        ("natural_gas", "fuel", 45.0, 980.0),
        ("natural_gas", "feedstock", 20.0, None),
        ("natural_gas", "conversion", 15.0, None),
        ("natural_gas", "sold", 5.0, None),
    ]


@pytest.mark.parametrize(
    ("sheet", "header", "row", "value", "reason"),
    [
        (ENERGY_SHEET, "消费量", 5, "abc", "不是数字"),
        (ENERGY_SHEET, "消费量", 5, -3, "负数"),
        (ENERGY_SHEET, "能源名称", 5, "暗物质", "未知的能源品种"),
        (ENERGY_SHEET, "计量单位", 5, "桶桶", "无法识别"),
        (ENERGY_SHEET, "其中：用作原料", 4, 999, "小于其中"),  # named at 消费量, see below
        (ENERGY_SHEET, "实测低位发热量", 6, 30000, "只填一个"),
        (PRODUCTS_SHEET, "产量", 3, "二万", "不是数字"),
        (PRODUCTS_SHEET, "产量计量单位", 4, None, "必填"),
        (BASIC_SHEET, "本期值", 5, "二〇二三", "不是数字"),
        (BASIC_SHEET, "本期值", 9, 12.5, "整数"),
    ],
)
def test_a_bad_cell_is_named(tmp_path: Path, sheet: str, header: str, row: int, value: Any, reason: str) -> None:
    path = _written(tmp_path)
    _cell(path, sheet, header, row, value)
    with pytest.raises(WorkbookInvalid) as caught:
        read_annual_report(path)
    [problem] = caught.value.problems
    expected = "消费量" if reason == "小于其中" else header
    assert (problem.sheet, problem.row, problem.column) == (sheet, row, expected)
    assert reason in problem.reason
    assert f"第{row}行" in caught.value.message


def test_missing_sheet_and_column(tmp_path: Path) -> None:
    path = _written(tmp_path)
    book = openpyxl.load_workbook(path)
    del book[PRODUCTS_SHEET]
    book[ENERGY_SHEET].delete_cols(2)  # 计量单位
    book.save(path)
    problems = _problems(path)
    assert (PRODUCTS_SHEET, None, None) in problems
    assert (ENERGY_SHEET, 2, "计量单位") in problems


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_text("hello")
    assert _problems(path) == [("x.xlsx", None, None)]


def test_report_list_export_has_chinese_headers() -> None:
    items = [
        ReportSummary(
            id=1,
            credit_code=CODE,
            enterprise_name="甲",
            region_code="330302",
            period_kind="year",
            year=2023,
            period=0,
            period_label="2023年",
            state="approved",
            state_label="已审核",
            state_label_en="approved",
            version=2,
            created_at="2024-02-01T08:00:00+00:00",
            total_tce_equivalent=2127.57,
            total_tce_equal=None,
            total_tco2=6674.28,
            tce_per_10k_yuan_value_added=0.4255,
            has_flagged_deviation=True,
            submitted_at="2024-03-01T08:00:00+00:00",
            approved_at=None,
        )
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(write_report_list(items))).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["统一社会信用代码", "企业名称", "行政区划代码"]
    row = [c.value for c in sheet[2]]
    assert row[0] == CODE and row[3] == "年报" and row[5] == "已审核" and row[7] == pytest.approx(2127.57)
    # times are date cells in China time (08:00 UTC is 16:00 in Asia/Shanghai)
    assert row[8] is None and row[11] == "是" and row[12] == datetime(2024, 3, 1, 16, 0)
    english = openpyxl.load_workbook(io.BytesIO(write_report_list(items, language="en"))).active
    assert english is not None and english["A1"].value == "credit code" and english["F2"].value == "approved"
