"""Layout of the annual-report workbook (能源利用状况报告), shared by the template writer and the reader.

Modelled on the national form's tables 表1 基本情况表, 表2 能源消费结构表 and 表4 单位产品综合能耗情况表
(docs/reports.md lists every column). Sheet names and headers are the Chinese ones a respondent sees;
the reader matches headers after normalising full-width characters and spaces.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

INSTRUCTIONS_SHEET = "填表说明"
BASIC_SHEET = "基本情况表"
ENERGY_SHEET = "能源消费结构表"
PRODUCTS_SHEET = "单位产品综合能耗表"
TITLES = {
    BASIC_SHEET: "表1 基本情况表",
    ENERGY_SHEET: "表2 能源消费结构表",
    PRODUCTS_SHEET: "表3 单位产品综合能耗情况表",
}
TITLE_ROW = 1  # Excel row of the title; the header row follows it
HEADER_ROW = 2

Kind = Literal["text", "number", "integer"]


@dataclass(frozen=True)
class Column:
    """One column of a list sheet: content key, Chinese header, kind, required, help for respondents."""

    key: str
    header: str
    kind: Kind
    required: bool
    help_zh: str
    width: int = 14


@dataclass(frozen=True)
class BasicItem:
    """One row of 基本情况表 (item | unit | value | note)."""

    key: str
    label: str
    unit: str
    kind: Kind
    required: bool
    help_zh: str


BASIC_HEADERS = ("项目", "计量单位", "本期值", "填报说明")
BASIC_LABEL_COLUMN, BASIC_VALUE_COLUMN = "项目", "本期值"
BASIC_ITEMS: tuple[BasicItem, ...] = (
    BasicItem("credit_code", "统一社会信用代码", "", "text", True, "18位统一社会信用代码，须与导入的企业一致。"),
    BasicItem("name", "单位名称", "", "text", False, "法人单位名称全称。"),
    BasicItem("year", "报告年度", "年", "integer", True, "报告所属年度，如 2024。"),
    BasicItem("gross_output_10k_yuan", "工业总产值（可比价）", "万元", "number", False, "按可比价计算。"),
    BasicItem(
        "value_added_10k_yuan",
        "工业增加值（可比价）",
        "万元",
        "number",
        False,
        "按可比价计算；用于万元工业增加值能耗。",
    ),
    BasicItem("sales_revenue_10k_yuan", "销售收入", "万元", "number", False, "营业收入。"),
    BasicItem("employees", "从业人员", "人", "integer", False, "期末从业人员数。"),
    BasicItem("energy_cost_10k_yuan", "能源消费成本", "万元", "number", False, "本期购入能源的费用。"),
)

ENERGY_COLUMNS: tuple[Column, ...] = (
    Column("carrier", "能源名称", "text", True, "能源品种，如 原煤、天然气、电力、热力（从下拉列表选择）。", 16),
    Column("unit", "计量单位", "text", True, "实物量单位，如 吨、万立方米、万千瓦时、百万千焦。", 12),
    Column("consumption", "消费量", "number", False, "本期消费量合计（含用作原料和加工转换投入的部分）。"),
    Column("feedstock", "其中：用作原料", "number", False, "消费量中用作原料、材料的部分（原料用能）。"),
    Column(
        "conversion", "其中：加工转换投入", "number", False, "消费量中投入加工转换（自备电厂、锅炉供热外供等）的部分。"
    ),
    Column("sold", "外供量", "number", False, "本期输出、外销给其他单位的量（从综合能耗中扣除）。"),
    Column(
        "reference_coefficient", "折标系数（参考）", "number", False, "GB/T 2589 参考折标系数，模板已填，仅供参考。"
    ),
    Column(
        "measured_coefficient",
        "折标系数（实测）",
        "number",
        False,
        "有实测值时填写（单位见“折标系数单位”）；电力不填。",
        14,
    ),
    Column("coefficient_unit", "折标系数单位", "text", False, "如 kgce/kg、kgce/m³、kgce/kWh。", 14),
    Column("ncv", "实测低位发热量", "number", False, "有实测低位发热量时填写（与实测折标系数二选一）。", 14),
    Column("ncv_unit", "低位发热量单位", "text", False, "如 kJ/kg、MJ/kg、kcal/kg、GJ/万Nm³。", 14),
    Column(
        "reported_tce",
        "折标准量（当量值，吨标准煤）",
        "number",
        False,
        "本行消费量折标准煤（当量值），与平台计算值比对。",
        18,
    ),
)

PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column("product", "产品名称", "text", False, "产品或工序名称，如 电石、水泥熟料（填写名称或生产单元编号）。", 18),
    Column(
        "benchmark_row_id",
        "对标指标编号",
        "text",
        False,
        "可选：能效标杆基准指标编号，如 BM2023-061；空白时按产品名称识别。",
        16,
    ),
    Column("production_unit_id", "生产单元编号", "integer", False, "可选：平台登记的生产单元编号。", 12),
    Column("quantity", "产量", "number", True, "本期产品产量。"),
    Column("unit", "产量计量单位", "text", True, "如 吨、万吨、重量箱。", 12),
    Column("reported_unit_consumption", "单位产品综合能耗", "number", False, "本期单位产品综合能耗（填报值）。", 16),
    Column("unit_consumption_unit", "单位产品综合能耗计量单位", "text", False, "如 kgce/t、kgce/重量箱。", 18),
)

#: Carriers listed in a fresh template with the unit the national form uses for them.
TEMPLATE_CARRIERS: tuple[tuple[str, str], ...] = (
    ("raw_coal", "吨"),
    ("cleaned_coal", "吨"),
    ("coke", "吨"),
    ("natural_gas", "万立方米"),
    ("lng", "吨"),
    ("gasoline", "吨"),
    ("diesel", "吨"),
    ("fuel_oil", "吨"),
    ("lpg", "吨"),
    ("coke_oven_gas", "万立方米"),
    ("heat", "百万千焦"),
    ("steam", "吨"),
    ("electricity", "万千瓦时"),
    ("fresh_water", "吨"),
)


def header_key(text: object) -> str:
    """Header as compared: NFKC (full-width → half-width), no spaces, lower-case."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()
