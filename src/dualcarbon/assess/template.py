"""The survey workbook 企业能效调查情况表 (xlsxwriter): instructions, the data sheet, product names.

``write_survey_workbook`` writes the empty template (``dualcarbon template assess``) or, given rows, a
filled survey (the bundled example). Deterministic: fixed document dates, so the same input gives the
same bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from dualcarbon.assess.columns import (
    DATA_SHEET,
    INSTRUCTIONS_SHEET,
    OUTPUT_UNITS,
    PRODUCTS_SHEET,
    SURVEY_COLUMNS,
    SURVEY_TITLE,
)
from dualcarbon.assess.files import atomic_path
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference import ReferenceSet
from dualcarbon.workbooks.style import HouseStyle

FIXED_DATE = datetime(2024, 1, 1)
VALIDATION_ROWS = 20000
VALUE_UNITS = ("kgce/t", "kWh/t", "kgoe/t", "kgce/重量箱", "kgce/m²", "kgce/kg", "kgce/Adt", "kgce/m³", "kgce/toe")

EXAMPLE_ROW: dict[str, object] = {
    # 91 (工商, 企业) + 329901 (示例市甲区, synthetic) + MA1EXAMP1 (synthetic 主体标识码) + check character
    "credit_code": make_credit_code("91329901MA1EXAMP1"),
    "name": "示例恒泰水泥有限公司",
    "region": "329901",
    "field": "水泥熟料",
    "product": "水泥熟料",
    "indicator": "熟料单位产品综合能耗",
    "output": 1200000,
    "output_unit": "吨",
    "value": 105.2,
    "value_unit": "kgce/t",
}

_INSTRUCTIONS = [
    "本表用于收集重点用能企业主要产品（工序）的产量和单位产品能耗，"
    "据此按能效标杆水平和基准水平或 GB 能耗限额标准等级分档。",
    "1. 在“企业能效调查情况表”工作表中逐行填写，一行一个产品（工序）的一个能效指标；"
    "表头在第1行，请勿在表头上方插入行或修改表头。",
    "2. 同一企业多个产品（工序）各填一行；同一产品有多个指标（如电石的综合能耗和电炉电耗）也各填一行。",
    "3. 重点领域、产品或工序请按“产品名称对照”表填写；常用简称（如 高炉、转炉、熟料、硅锰合金）也可识别。",
    "4. 单位产品能耗可直接填写；也可留空，填写综合能耗(tce)或各能源品种消费量，"
    "系统按 GB/T 2589 参考折标系数（当量值）计算。",
    "5. 能耗单位须与该指标单位同类：综合能耗类 kgce/t（也可 kgce/kg、kgoe/t，会自动换算），"
    "电耗类 kWh/t；电耗与标准煤不互相换算。",
    "6. 产量单位须能换算为指标的产品单位，如 吨、万吨（→t）、重量箱、平方米、Adt。",
    "7. 统一社会信用代码须为18位并通过校验码检查（GB 32100-2015）；行政区划代码为6位（GB/T 2260）。",
    "8. 数值请填数字，不要带单位或文字；转炉工序等能耗可以为负数，产量不能为负数。",
]


def _write_instructions(sheet: Any, style: HouseStyle) -> None:
    style.set_widths(sheet, (22, 10, 90))
    sheet.write_string(0, 0, f"{SURVEY_TITLE} 填表说明", style.title)
    for row, line in enumerate(_INSTRUCTIONS, start=2):
        sheet.write_string(row, 0, line)
    top = len(_INSTRUCTIONS) + 3
    style.write_header(sheet, top, ("列名", "是否必填", "说明"))
    for row, column in enumerate(SURVEY_COLUMNS, start=top + 1):
        sheet.write_string(row, 0, column.header)
        required = "必填" if column.required else "选填"
        if column.key in ("value", "value_unit"):
            required = "必填（或由能源消费量计算）"
        sheet.write_string(row, 1, required)
        sheet.write_string(row, 2, column.help_zh, style.wrap)
    top += len(SURVEY_COLUMNS) + 2
    sheet.write_string(top, 0, "填写示例（合成数据，仅示意格式）", style.subtitle)
    style.write_header(sheet, top + 1, [column.header for column in SURVEY_COLUMNS])
    for col, column in enumerate(SURVEY_COLUMNS):
        value = EXAMPLE_ROW.get(column.key)
        if isinstance(value, int | float):
            sheet.write_number(top + 2, col, value)
        elif value is not None:
            sheet.write_string(top + 2, col, str(value))
    style.print_setup(sheet)


def _write_products(sheet: Any, style: HouseStyle, catalog: ProductCatalog) -> int:
    """Product names per field; returns how many fields (listed in column H for the drop-down)."""
    headers = ("重点领域", "产品或工序", "能效指标", "能耗单位", "可识别的简称", "参考行")
    style.write_header(sheet, 0, headers)
    style.set_widths(sheet, (18, 34, 24, 16, 26, 12))
    row_number = 1
    for field in catalog.fields():
        aliases = catalog.product_aliases(field)
        for row in catalog.field_rows(field):
            values = (
                row.field,
                row.product,
                row.indicator,
                row.unit,
                "、".join(aliases.get(row.product, [])),
                row.row_id,
            )
            for col, value in enumerate(values):
                sheet.write_string(row_number, col, value)
            row_number += 1
    sheet.write_string(0, 7, "重点领域列表", style.header)
    sheet.set_column(7, 7, 18)
    for index, field in enumerate(catalog.fields(), start=1):
        sheet.write_string(index, 7, field)
    style.finish_sheet(sheet, row_number - 1, len(headers))
    return len(catalog.fields())


def _write_data(sheet: Any, style: HouseStyle, rows: pl.DataFrame | None, fields: int) -> None:
    style.write_header(sheet, 0, [c.header for c in SURVEY_COLUMNS], required=[c.required for c in SURVEY_COLUMNS])
    for col, column in enumerate(SURVEY_COLUMNS):
        sheet.set_column(
            col,
            col,
            20 if column.key in ("credit_code", "name", "product", "indicator") else 13,
            style.kind("code") if column.kind == "text" else None,
        )
    sheet.set_row(0, 32)
    style.finish_sheet(sheet, 0, len(SURVEY_COLUMNS), autofilter=False)
    last = max(VALIDATION_ROWS, (rows.height if rows is not None else 0) + 1000)
    keys = [c.key for c in SURVEY_COLUMNS]
    field_col, unit_col, value_unit_col = keys.index("field"), keys.index("output_unit"), keys.index("value_unit")
    sheet.data_validation(
        1,
        field_col,
        last,
        field_col,
        {
            "validate": "list",
            "source": f"='{PRODUCTS_SHEET}'!$H$2:$H${fields + 1}",
            "error_title": "重点领域",
            "error_message": "请从列表中选择重点领域（见“产品名称对照”表）",
            "error_type": "warning",
        },
    )
    sheet.data_validation(
        1,
        unit_col,
        last,
        unit_col,
        {
            "validate": "list",
            "source": list(OUTPUT_UNITS),
            "error_type": "information",
            "error_message": "不在常用单位列表中，请确认能换算为指标的产品单位",
        },
    )
    sheet.data_validation(
        1,
        value_unit_col,
        last,
        value_unit_col,
        {
            "validate": "list",
            "source": list(VALUE_UNITS),
            "error_type": "information",
            "error_message": "不在常用单位列表中，请确认与指标单位同类",
        },
    )
    if rows is None:
        return
    for r, record in enumerate(rows.iter_rows(named=True), start=1):
        for col, column in enumerate(SURVEY_COLUMNS):
            value = record.get(column.key)
            if value is None:
                continue
            if column.kind == "number":
                sheet.write_number(r, col, float(value))
            else:
                sheet.write_string(r, col, str(value), style.kind("code"))


def write_survey_workbook(
    path: Path, reference: ReferenceSet, edition: str = "2023", rows: pl.DataFrame | None = None
) -> None:
    """Write the survey workbook to ``path`` (atomically); ``rows`` (column keys) fill the data sheet."""
    catalog = ProductCatalog.for_edition(reference, edition)
    with atomic_path(Path(path)) as temp:
        workbook = xlsxwriter.Workbook(
            str(temp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        workbook.set_properties(
            {
                "title": SURVEY_TITLE,
                "created": FIXED_DATE,
                "comments": f"dualcarbon survey template, benchmark edition {edition}",
            }
        )
        style = HouseStyle(workbook)
        instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
        data = workbook.add_worksheet(DATA_SHEET)
        products = workbook.add_worksheet(PRODUCTS_SHEET)
        _write_instructions(instructions, style)
        fields = _write_products(products, style, catalog)
        _write_data(data, style, rows, fields)
        data.activate()
        workbook.close()
