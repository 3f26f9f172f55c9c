"""Writing the annual-report workbook: the empty template, or a report's content filled in.

``write_annual_report_template(path)`` lists the common carriers with their form units and GB/T 2589
reference coefficients so a respondent only types quantities; ``write_annual_report(path, report)``
writes a stored report in the same layout (downloads, tests), which :mod:`.reader` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.reference.model import Carrier
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.reports.io.layout import (
    BASIC_HEADERS,
    BASIC_ITEMS,
    BASIC_SHEET,
    ENERGY_COLUMNS,
    ENERGY_SHEET,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    PRODUCT_COLUMNS,
    PRODUCTS_SHEET,
    TEMPLATE_CARRIERS,
    TITLES,
    Column,
)
from dualcarbon.reports.service_content import ReportContent
from dualcarbon.workbooks.style import HouseStyle

CARRIER_LIST_SHEET = "能源品种"
TEMPLATE_ENERGY_ROWS = 60  # rows with the carrier drop-down
COEFFICIENT_NUMERATORS = ("kgce", "tce", "gce", "千克标准煤", "吨标准煤")


@dataclass(frozen=True)
class AnnualReport:
    """The content of an annual-report workbook and the enterprise and year it names."""

    credit_code: str
    name: str | None
    year: int
    content: ReportContent


def _headers(sheet: Worksheet, columns: Sequence[Column], style: HouseStyle) -> None:
    widths = [column.width for column in columns]
    headers = [column.header for column in columns]
    style.write_header(sheet, HEADER_ROW - 1, headers, required=[c.required for c in columns], widths=widths)
    for index, column in enumerate(columns):
        sheet.write_comment(HEADER_ROW - 1, index, column.help_zh)
    style.set_widths(sheet, widths)
    style.finish_sheet(sheet, 0, len(columns), top=HEADER_ROW - 1, autofilter=False)


def _instructions(book: Workbook, style: HouseStyle) -> None:
    sheet = book.add_worksheet(INSTRUCTIONS_SHEET)
    sheet.set_column(0, 0, 110)
    lines = [
        "能源利用状况报告（年报）填报说明",
        "1. 本工作簿包括“基本情况表”“能源消费结构表”“单位产品综合能耗表”三张表，请勿修改表名和表头。",
        "2. 基本情况表：统一社会信用代码和报告年度必填，须与导入的企业和报告期一致；金额单位为万元，按可比价计算。",
        "3. 能源消费结构表：每种能源一行。消费量为合计，“其中：用作原料”“其中：加工转换投入”为其中数；"
        "外供量为输出给其他单位的量，从综合能耗中扣除。未消费的能源留空即可。",
        "4. 有实测折标系数或实测低位发热量时填写其一（含单位），平台按实测值折算；电力不填实测值。",
        "5. 折标准量（当量值）为企业自行计算的数值，平台按 GB/T 2589-2020 重新计算并标出偏差。",
        "6. 单位产品综合能耗表：每个产品一行，填写产品名称（或生产单元编号）、产量及计量单位、"
        "单位产品综合能耗及其单位。",
        "7. 红色表头为必填列。导入时逐格校验，任何一格有误则整份报告不导入，并列出表名、行号、列名和原因。",
    ]
    for row, line in enumerate(lines):
        sheet.write(row, 0, line, style.title if row == 0 else style.wrap)
    style.print_setup(sheet)


def _listed_carriers(reference: ReferenceSet) -> list[Carrier]:
    return [c for c in reference.carriers() if c.kind != "reference"]


def _carrier_list(book: Workbook, reference: ReferenceSet) -> None:
    sheet = book.add_worksheet(CARRIER_LIST_SHEET)
    sheet.write(0, 0, "能源名称")
    sheet.write(0, 1, "英文名称")
    sheet.write(0, 2, "常用单位")
    for row, carrier in enumerate(_listed_carriers(reference), start=1):
        sheet.write(row, 0, carrier.name_zh)
        sheet.write(row, 1, carrier.name_en)
        sheet.write(row, 2, carrier.default_unit)
    sheet.hide()


def _basic(book: Workbook, style: HouseStyle, report: AnnualReport | None) -> None:
    sheet = book.add_worksheet(BASIC_SHEET)
    sheet.write(0, 0, TITLES[BASIC_SHEET], style.title)
    style.write_header(sheet, HEADER_ROW - 1, BASIC_HEADERS)
    style.set_widths(sheet, (24, 10, 24, 50))
    style.finish_sheet(sheet, len(BASIC_ITEMS), len(BASIC_HEADERS), top=HEADER_ROW - 1, autofilter=False)
    values: dict[str, Any] = {}
    if report is not None:
        values = {"credit_code": report.credit_code, "name": report.name, "year": report.year}
        if report.content.economics is not None:
            values.update(report.content.economics.model_dump())
    for offset, item in enumerate(BASIC_ITEMS):
        row = HEADER_ROW + offset
        sheet.write(row, 0, item.label, style.required if item.required else None)
        sheet.write(row, 1, item.unit)
        value = values.get(item.key)
        if item.kind == "text":
            sheet.write_string(row, 2, "" if value is None else str(value), style.kind("code"))
        elif value is not None:
            sheet.write_number(row, 2, value)
        sheet.write(row, 3, item.help_zh, style.wrap)


def _coefficient_text(reference: ReferenceSet, carrier_id: str) -> tuple[float | None, str]:
    try:
        coefficient = reference.conversion_coefficient(reference.carrier(carrier_id))
    except DualcarbonError:
        return None, ""
    return coefficient.value, coefficient.unit


def energy_rows(content: ReportContent) -> list[dict[str, Any]]:
    """Energy lines folded into form rows: one per carrier, unit and measured value (use → its column)."""
    rows: dict[tuple[str, str, float | None, str | None], dict[str, Any]] = {}
    for line in content.energy_lines:
        key = (line.carrier, line.unit, line.ncv, line.ncv_unit)
        row = rows.setdefault(
            key,
            {
                "carrier": line.carrier,
                "unit": line.unit,
                "consumption": 0.0,
                "feedstock": 0.0,
                "conversion": 0.0,
                "sold": 0.0,
                "reported_tce": None,
                "ncv": line.ncv,
                "ncv_unit": line.ncv_unit,
            },
        )
        if line.use == "sold":
            row["sold"] += line.quantity
        else:
            row["consumption"] += line.quantity
            if line.use in ("feedstock", "conversion"):
                row[line.use] += line.quantity
        if line.reported_tce is not None:
            row["reported_tce"] = (row["reported_tce"] or 0.0) + line.reported_tce
    return list(rows.values())


def _energy(
    book: Workbook, style: HouseStyle, reference: ReferenceSet, report: AnnualReport | None, carrier_count: int
) -> None:
    sheet = book.add_worksheet(ENERGY_SHEET)
    sheet.write(0, 0, TITLES[ENERGY_SHEET], style.title)
    _headers(sheet, ENERGY_COLUMNS, style)
    col = {c.key: i for i, c in enumerate(ENERGY_COLUMNS)}
    if report is None:
        rows = [{"carrier": cid, "unit": unit} for cid, unit in TEMPLATE_CARRIERS]
    else:
        rows = energy_rows(report.content)
    for offset, item in enumerate(rows):
        row = HEADER_ROW + offset
        carrier = reference.carrier(item["carrier"])
        sheet.write_string(row, col["carrier"], carrier.name_zh)
        sheet.write_string(row, col["unit"], item["unit"])
        value, unit = _coefficient_text(reference, carrier.id)
        if value is not None:
            sheet.write_number(row, col["reference_coefficient"], value, style.muted)
        if unit:
            sheet.write_string(row, col["coefficient_unit"], unit)
        for key in ("consumption", "feedstock", "conversion", "sold", "reported_tce"):
            if item.get(key):
                sheet.write_number(row, col[key], item[key])
        if item.get("ncv") is not None:
            ncv_unit = item["ncv_unit"] or ""
            if ncv_unit.split("/")[0].strip() in COEFFICIENT_NUMERATORS:
                sheet.write_number(row, col["measured_coefficient"], item["ncv"])
                sheet.write_string(row, col["coefficient_unit"], ncv_unit)
            else:
                sheet.write_number(row, col["ncv"], item["ncv"])
                sheet.write_string(row, col["ncv_unit"], ncv_unit)
    last = HEADER_ROW + max(TEMPLATE_ENERGY_ROWS, len(rows))
    sheet.data_validation(
        HEADER_ROW,
        col["carrier"],
        last,
        col["carrier"],
        {
            "validate": "list",
            "source": f"='{CARRIER_LIST_SHEET}'!$A$2:$A${carrier_count + 1}",
            "error_type": "information",
            "error_message": "不在能源品种列表中；可填写别名，导入时校验。",
        },
    )
    for key in ("consumption", "feedstock", "conversion", "sold", "measured_coefficient", "ncv", "reported_tce"):
        sheet.data_validation(
            HEADER_ROW,
            col[key],
            last,
            col[key],
            {"validate": "decimal", "criteria": ">=", "value": 0, "error_message": "请填写非负数值"},
        )


def _products(book: Workbook, style: HouseStyle, report: AnnualReport | None) -> None:
    sheet = book.add_worksheet(PRODUCTS_SHEET)
    sheet.write(0, 0, TITLES[PRODUCTS_SHEET], style.title)
    _headers(sheet, PRODUCT_COLUMNS, style)
    if report is None:
        return
    for offset, line in enumerate(report.content.outputs):
        values = line.model_dump()
        for index, column in enumerate(PRODUCT_COLUMNS):
            value = values.get(column.key)
            if value is None or value == "":
                continue
            if column.kind == "text":
                sheet.write_string(HEADER_ROW + offset, index, str(value))
            else:
                sheet.write_number(HEADER_ROW + offset, index, value)


def _write(path: Path, reference: ReferenceSet | None, report: AnnualReport | None) -> Path:
    reference = reference or load_reference()
    book = xlsxwriter.Workbook(str(path))
    try:
        style = HouseStyle(book)
        _instructions(book, style)
        _basic(book, style, report)
        count = len(_listed_carriers(reference))
        _energy(book, style, reference, report, count)
        _products(book, style, report)
        _carrier_list(book, reference)
        book.worksheets()[1].activate()
    finally:
        book.close()
    return path


def write_annual_report_template(path: Path | str, *, reference: ReferenceSet | None = None) -> Path:
    """Write the empty annual-report workbook (instructions, 基本情况表, 能源消费结构表, 单位产品综合能耗表)."""
    return _write(Path(path), reference, None)


def write_annual_report(path: Path | str, report: AnnualReport, *, reference: ReferenceSet | None = None) -> Path:
    """Write ``report`` into the annual-report layout (readable again by ``read_annual_report``)."""
    return _write(Path(path), reference, report)
