"""What the synthetic demo city is made of: its regions, the key fields (重点领域) its industry works in,
and the word lists its enterprise names are drawn from.

Everything here is invented for the demo. The province is a real one (浙江省, so the provincial grid
emission factor applies), but 示范市 (code 339900) and its districts (3399xx) do not exist: GB/T 2260 has
no prefecture 99 under 33. Field profiles name a benchmark row of the shipped 2023 edition that carries
GB limit grades (1级/2级/3级限定值); typical outputs, energy mixes and prices are round illustrative
figures chosen to give plausible tce and CO₂ magnitudes, not statistics of any real industry.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = ("330000", "浙江省")
CITY = ("339900", "示范市")
#: (code, name) of the synthetic districts; the demo takes the first ``districts`` of them.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("339901", "东城区"),
    ("339902", "西城区"),
    ("339903", "南湖区"),
    ("339904", "北山区"),
    ("339905", "滨江新区"),
    ("339906", "高新区"),
)
SYNTHETIC_NOTE_ZH = "示范市及其各区为虚构地区，代码 3399xx 不属于 GB/T 2260，企业与数据均为合成演示数据。"
SYNTHETIC_NOTE_EN = (
    "示范市 (demo city) and its districts are invented (codes 3399xx are not in GB/T 2260); "
    "every enterprise and figure is synthetic demo data."
)


@dataclass(frozen=True)
class EnergyShare:
    """One carrier of a field's energy mix: its share of the 当量值 total, the unit it is reported in,
    its use (fuel | feedstock) and its price in yuan per that unit (for the energy cost)."""

    carrier: str
    unit: str
    share: float
    yuan_per_unit: float
    use: str = "fuel"
    decimals: int = 0  # quantities are reported rounded to this many decimals


@dataclass(frozen=True)
class FieldProfile:
    """A key field of the demo city's industry, tied to one benchmark row with GB grades."""

    key: str
    product: str  # product name on the production unit and the report's output line
    row_id: str  # shipped 2023 edition row with grade_1/2/3 (kgce per unit of output)
    trade_word: str  # what the enterprise name says it makes
    industry_code: str  # GB/T 4754-2017 class
    output_unit: str
    output_range: tuple[float, float]  # annual output in output_unit
    capacity_unit: str
    capacity_per_output: float  # capacity in capacity_unit per unit of annual output at full load
    unit_name: str  # production unit name, ``{n}`` is its number
    mix: tuple[EnergyShare, ...]
    yuan_per_output: float  # ex-works price per output unit (for gross output)
    weight: int  # relative number of enterprises in the city


def _e(carrier: str, unit: str, share: float, price: float, use: str = "fuel", decimals: int = 0) -> EnergyShare:
    return EnergyShare(carrier, unit, share, price, use, decimals)


ELECTRICITY = ("electricity", "万kWh")  # price 0.62 yuan/kWh = 6,200 yuan per 万kWh
_POWER_PRICE = 6_200.0
_GAS_PRICE = 32_000.0  # 3.2 yuan/m³ = 32,000 yuan per 万m³
_PER_10K_T_YEAR = 1.0 / 10_000.0  # 万吨/年 of capacity per tonne of annual output

FIELDS: tuple[FieldProfile, ...] = (
    FieldProfile(
        "cement",
        "水泥熟料",
        "BM2023-061",
        "水泥",
        "C3011",
        "t",
        (300_000, 2_400_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号熟料生产线",
        (
            _e("cleaned_coal", "t", 0.82, 950.0),
            _e(*ELECTRICITY, 0.16, _POWER_PRICE, decimals=2),
            _e("diesel", "t", 0.02, 7_600.0, decimals=1),
        ),
        360.0,
        40,
    ),
    FieldProfile(
        "glass",
        "平板玻璃",
        "BM2023-068",
        "玻璃",
        "C3041",
        "重量箱",
        (5_500_000, 9_000_000),
        "t/d",
        0.05 / 330.0,
        "{n}号浮法玻璃熔窑",
        (
            _e("natural_gas", "万m³", 0.80, _GAS_PRICE, decimals=2),
            _e(*ELECTRICITY, 0.18, _POWER_PRICE, decimals=2),
            _e("diesel", "t", 0.02, 7_600.0, decimals=1),
        ),
        85.0,
        20,
    ),
    FieldProfile(
        "carbide",
        "电石",
        "BM2023-039",
        "电石化工",
        "C2619",
        "t",
        (100_000, 400_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号密闭电石炉",
        (
            _e(*ELECTRICITY, 0.47, _POWER_PRICE, decimals=2),
            _e("coke", "t", 0.50, 2_300.0),
            _e("natural_gas", "万m³", 0.03, _GAS_PRICE, decimals=2),
        ),
        3_100.0,
        20,
    ),
    FieldProfile(
        "ferroalloy",
        "硅铁",
        "BM2023-086",
        "铁合金",
        "C3140",
        "t",
        (30_000, 150_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号硅铁矿热炉",
        (
            _e(*ELECTRICITY, 0.80, _POWER_PRICE, decimals=2),
            _e("coke", "t", 0.18, 2_300.0),
            _e("diesel", "t", 0.02, 7_600.0, decimals=1),
        ),
        7_200.0,
        25,
    ),
    FieldProfile(
        "ironmaking",
        "生铁（高炉工序）",
        "BM2023-078",
        "钢铁",
        "C3110",
        "t",
        (1_000_000, 4_000_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号高炉",
        (
            _e("coke", "t", 0.72, 2_300.0),
            _e("cleaned_coal", "t", 0.20, 1_100.0),
            _e(*ELECTRICITY, 0.06, _POWER_PRICE, decimals=2),
            _e("natural_gas", "万m³", 0.02, _GAS_PRICE, decimals=2),
        ),
        2_900.0,
        15,
    ),
    FieldProfile(
        "eaf_steel",
        "电炉钢",
        "BM2023-082",
        "特钢",
        "C3120",
        "t",
        (150_000, 1_200_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号电弧炉（≥70t）",
        (
            _e(*ELECTRICITY, 0.85, _POWER_PRICE, decimals=2),
            _e("natural_gas", "万m³", 0.12, _GAS_PRICE, decimals=2),
            _e("diesel", "t", 0.03, 7_600.0, decimals=1),
        ),
        3_900.0,
        20,
    ),
    FieldProfile(
        "aluminium",
        "铝锭",
        "BM2023-102",
        "铝业",
        "C3216",
        "t",
        (100_000, 500_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号电解系列",
        (_e(*ELECTRICITY, 0.97, _POWER_PRICE, decimals=2), _e("natural_gas", "万m³", 0.03, _GAS_PRICE, decimals=2)),
        18_500.0,
        15,
    ),
    FieldProfile(
        "paper",
        "箱纸板",
        "BM2023-133",
        "纸业",
        "C2221",
        "t",
        (20_000, 500_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号箱纸板机",
        (
            _e("heat", "GJ", 0.42, 95.0),
            _e(*ELECTRICITY, 0.43, _POWER_PRICE, decimals=2),
            _e("natural_gas", "万m³", 0.15, _GAS_PRICE, decimals=2),
        ),
        3_600.0,
        50,
    ),
    FieldProfile(
        "fibre",
        "聚酯切片",
        "BM2023-137",
        "化纤",
        "C2822",
        "t",
        (40_000, 700_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号聚酯聚合装置",
        (
            _e("natural_gas", "万m³", 0.45, _GAS_PRICE, decimals=2),
            _e(*ELECTRICITY, 0.35, _POWER_PRICE, decimals=2),
            _e("heat", "GJ", 0.20, 95.0),
        ),
        7_000.0,
        40,
    ),
    FieldProfile(
        "ammonia",
        "合成氨",
        "BM2023-047",
        "化肥",
        "C2621",
        "t",
        (150_000, 450_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号合成氨装置（天然气）",
        (
            _e("natural_gas", "万m³", 0.62, _GAS_PRICE, use="feedstock", decimals=2),
            _e("natural_gas", "万m³", 0.28, _GAS_PRICE, decimals=2),
            _e(*ELECTRICITY, 0.08, _POWER_PRICE, decimals=2),
            _e("diesel", "t", 0.02, 7_600.0, decimals=1),
        ),
        3_000.0,
        20,
    ),
    FieldProfile(
        "caustic",
        "离子膜烧碱（液碱≥30%）",
        "BM2023-022",
        "氯碱",
        "C2612",
        "t",
        (30_000, 400_000),
        "万吨/年",
        _PER_10K_T_YEAR,
        "{n}号离子膜烧碱装置",
        (_e(*ELECTRICITY, 0.85, _POWER_PRICE, decimals=2), _e("heat", "GJ", 0.15, 95.0)),
        2_600.0,
        35,
    ),
)

#: Two-character trade names (字号) combined into enterprise names; all invented.
TRADE_NAMES = (
    "华信",
    "金源",
    "恒通",
    "鑫达",
    "宏远",
    "永盛",
    "瑞丰",
    "嘉禾",
    "泰和",
    "盛世",
    "鼎新",
    "源泰",
    "中天",
    "东方",
    "明珠",
    "天成",
    "富海",
    "长兴",
    "新亚",
    "建华",
    "立德",
    "汇丰",
    "广利",
    "凯达",
    "振兴",
    "同创",
    "荣昌",
    "宝丰",
    "昌隆",
    "海纳",
    "兴发",
    "锦程",
    "博远",
    "益民",
    "安康",
    "信和",
)
COMPANY_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")
ROADS = ("工业大道", "创业路", "滨海路", "东兴路", "科技大道", "临港路", "经发路", "纬三路")
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "胡", "郭", "何")

#: Review comments a regulator writes when returning a report (chosen by the reason).
RETURN_DEVIATION = "单位产品综合能耗填报值与核算值偏差超过2%，请核实产量与能源消费量后重新提交。"
RETURN_ECONOMICS = "请补充工业增加值（可比价）并说明同比变化原因。"
