"""The survey form 企业能效调查情况表: its columns, their Chinese headers, and the catalog's sheet names.

One place for the layout shared by the template writer, the reader, the validator and the catalog writer
(docs/survey-template.md describes it for respondents).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

SURVEY_TITLE = "企业能效调查情况表"
DATA_SHEET = SURVEY_TITLE
INSTRUCTIONS_SHEET = "填表说明"
PRODUCTS_SHEET = "产品名称对照"


@dataclass(frozen=True)
class Column:
    """One survey column. ``key`` is also accepted as header (CSV written by programs)."""

    key: str
    header: str
    kind: Literal["text", "number"]
    required: bool
    help_zh: str
    carrier: str | None = None  # energy columns: carrier id in carriers.csv
    unit: str | None = None  # energy columns: the unit the column is in


SURVEY_COLUMNS: tuple[Column, ...] = (
    Column(
        "credit_code",
        "统一社会信用代码",
        "text",
        True,
        "18位统一社会信用代码（GB 32100-2015），含校验码；请按文本填写，勿用科学计数法。",
    ),
    Column("name", "企业名称", "text", True, "企业法人名称全称。"),
    Column("region", "行政区划代码", "text", True, "企业所在县（市、区）的6位行政区划代码（GB/T 2260），如 320505。"),
    Column(
        "field",
        "重点领域",
        "text",
        True,
        "能效标杆水平和基准水平文件中的重点领域名称，从下拉列表选择（见“产品名称对照”表）。",
    ),
    Column(
        "product",
        "产品或工序",
        "text",
        True,
        "产品或工序名称，如 电石、硅铁、铝锭、水泥熟料、高炉、转炉、捣固焦炉（见“产品名称对照”表）。",
    ),
    Column(
        "indicator",
        "能效指标",
        "text",
        False,
        "同一产品有多个指标且能耗单位相同时必填，如 熟料单位产品综合能耗 / 熟料单位产品综合煤耗；其余可空。",
    ),
    Column("output", "产量", "number", True, "统计期（年度）产品产量，非负数。"),
    Column("output_unit", "产量单位", "text", True, "产量的计量单位，如 吨、万吨、重量箱、平方米、Adt。"),
    Column("value", "单位产品能耗", "number", True, "单位产品能耗（或电耗）。空白时按本行能源消费量和产量计算。"),
    Column(
        "value_unit",
        "能耗单位",
        "text",
        True,
        "单位产品能耗的单位，如 kgce/t、kWh/t、kgoe/t、kgce/重量箱；须与该产品指标的单位同类。",
    ),
    Column(
        "comprehensive_tce",
        "综合能耗(tce)",
        "number",
        False,
        "可选：综合能耗（吨标准煤，GB/T 2589 当量值口径）。单位产品能耗空白时用于计算。",
    ),
    Column(
        "electricity",
        "电力(万千瓦时)",
        "number",
        False,
        "可选：电力消费量。电耗类指标（kWh/t）空白时用于计算；也计入综合能耗。",
        carrier="electricity",
        unit="万千瓦时",
    ),
    Column("raw_coal", "原煤(吨)", "number", False, "可选：原煤消费量。", carrier="raw_coal", unit="t"),
    Column("cleaned_coal", "洗精煤(吨)", "number", False, "可选：洗精煤消费量。", carrier="cleaned_coal", unit="t"),
    Column("coke", "焦炭(吨)", "number", False, "可选：焦炭消费量。", carrier="coke", unit="t"),
    Column(
        "natural_gas",
        "天然气(万立方米)",
        "number",
        False,
        "可选：天然气消费量。",
        carrier="natural_gas",
        unit="万立方米",
    ),
    Column("fuel_oil", "燃料油(吨)", "number", False, "可选：燃料油消费量。", carrier="fuel_oil", unit="t"),
    Column("diesel", "柴油(吨)", "number", False, "可选：柴油消费量。", carrier="diesel", unit="t"),
    Column("lpg", "液化石油气(吨)", "number", False, "可选：液化石油气消费量。", carrier="lpg", unit="t"),
    Column("heat", "热力(吉焦)", "number", False, "可选：外购热力。", carrier="heat", unit="GJ"),
    Column("steam", "蒸汽(吨)", "number", False, "可选：外购低压蒸汽。", carrier="steam", unit="t"),
    Column("note", "备注", "text", False, "可选：说明。"),
)
COLUMNS_BY_KEY: dict[str, Column] = {c.key: c for c in SURVEY_COLUMNS}
ENERGY_COLUMNS: tuple[Column, ...] = tuple(c for c in SURVEY_COLUMNS if c.carrier)
NUMBER_KEYS: tuple[str, ...] = tuple(c.key for c in SURVEY_COLUMNS if c.kind == "number")
TEXT_KEYS: tuple[str, ...] = tuple(c.key for c in SURVEY_COLUMNS if c.kind == "text")

OUTPUT_UNITS: tuple[str, ...] = ("吨", "万吨", "千克", "重量箱", "平方米", "立方米", "Adt", "toe", "t·能量因数")


def header_key(header: str) -> str:
    """Normalised header text: full-width → half-width, no spaces, lower-case (for matching only)."""
    return "".join(unicodedata.normalize("NFKC", str(header)).split()).lower()


HEADER_INDEX: dict[str, str] = {}
for _column in SURVEY_COLUMNS:
    HEADER_INDEX[header_key(_column.header)] = _column.key
    HEADER_INDEX[header_key(_column.key)] = _column.key


def header_of(key: str) -> str:
    """The Chinese header of a column key (messages name columns by the header the respondent sees)."""
    column = COLUMNS_BY_KEY.get(key)
    return column.header if column else key


# ---- catalog ---------------------------------------------------------------------------------------------
POLICY_SHEETS: dict[str, str] = {
    "benchmark": "能效标杆水平以上",
    "between": "介于标杆和基准之间",
    "below_baseline": "能效基准水平以下",
}
GB_SHEETS: dict[str, str] = {"grade_1": "1级", "grade_2": "2级", "grade_3": "3级", "fails_limit": "未达到3级限定值"}
