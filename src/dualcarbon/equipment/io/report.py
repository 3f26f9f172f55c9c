"""Shanghai's 设备对标 workbook of one enterprise, in the house style (workbooks/style.py).

Sheets: 设备对标 (one row per register line: type, model, rated kW, poles, efficiency, the grade row and its
grade 1/2/3 values, the item's grade, gaps, load factor, energy at stake, obsolete-list matches, notes), 汇总
(the totals) and 说明 (the formula and the sources). Input: :class:`~dualcarbon.equipment.schemas.BenchmarkReport`.
"""

from __future__ import annotations

import io

import xlsxwriter

from dualcarbon.equipment.models import EQUIPMENT_TYPE_ZH
from dualcarbon.equipment.schemas import Benchmark, BenchmarkReport
from dualcarbon.workbooks.style import HouseStyle

HEADERS = [
    "序号",
    "设备编号",
    "设备类型",
    "型号",
    "额定功率(kW)",
    "极数",
    "台数",
    "额定效率(%)",
    "对标行",
    "1级(%)",
    "2级(%)",
    "3级限定值(%)",
    "能效等级",
    "距1级(百分点)",
    "距限定值(百分点)",
    "负载率",
    "节能潜力(kWh/a)",
    "节能潜力(tce/a)",
    "淘汰目录",
    "说明",
]
KINDS = {
    "序号": "int",
    "设备编号": "code",
    "额定功率(kW)": "number",
    "极数": "int",
    "台数": "int",
    "额定效率(%)": "pct",
    "1级(%)": "pct",
    "2级(%)": "pct",
    "3级限定值(%)": "pct",
    "距1级(百分点)": "fixed2",
    "距限定值(百分点)": "fixed2",
    "负载率": "fixed2",
    "节能潜力(kWh/a)": "amount",
    "节能潜力(tce/a)": "fixed3",
}


def grade_label(item: Benchmark) -> str:
    if item.below_limit:
        return "未达3级（低于限定值）"
    if item.grade is not None:
        return f"{item.grade}级"
    return "未对标"


def _row(index: int, item: Benchmark) -> list[object]:
    obsolete = "；".join(f"{m.catalogue} {m.entry_code}（{m.reason}）" for m in item.obsolete)
    return [
        index,
        item.asset_code,
        EQUIPMENT_TYPE_ZH.get(item.equipment_type, item.equipment_type),
        item.model,
        item.rated_power_kw,
        item.poles,
        item.quantity,
        item.efficiency_pct,
        item.row_id,
        item.grade1_pct,
        item.grade2_pct,
        item.grade3_pct,
        grade_label(item),
        item.gap_to_grade1_pp,
        item.gap_to_limit_pp,
        item.load_factor,
        item.energy_at_stake_kwh,
        item.energy_at_stake_tce,
        obsolete,
        "；".join(item.notes),
    ]


def write_benchmark_workbook(report: BenchmarkReport) -> bytes:
    """The 设备对标 workbook as xlsx bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    style = HouseStyle(book)
    sheet = book.add_worksheet("设备对标")
    sheet.write(0, 0, f"{report.enterprise_name}（{report.credit_code}）重点用能设备能效对标", style.title)
    rows = [_row(index, item) for index, item in enumerate(report.items, start=1)]
    style.write_table(sheet, HEADERS, rows, top=2, kinds=KINDS, freeze_columns=2)
    totals = report.totals
    summary = book.add_worksheet("汇总")
    summary_rows = [
        ["设备条目", totals.items],
        ["设备台数", totals.units],
        ["已对标条目", totals.benchmarked],
        ["1级", totals.grade1],
        ["2级", totals.grade2],
        ["3级", totals.grade3],
        ["未达3级（低于限定值）", totals.below_limit],
        ["未对标（无对标行或缺数据）", totals.not_benchmarked],
        ["列入淘汰目录", totals.obsolete],
        ["节能潜力合计(kWh/a)", totals.energy_at_stake_kwh],
        ["节能潜力合计(tce/a)", totals.energy_at_stake_tce],
        ["已对标但缺负载率或运行小时的条目", totals.without_energy_figure],
    ]
    style.write_table(summary, ["项目", "数值"], summary_rows, kinds=["text", "number"])
    notes = book.add_worksheet("说明")
    lines = [
        "能效等级：电动机按 GB 18613-2020（额定功率与极数须与表中一致，不插值）；其他设备按管理员导入的等级表。",
        "3级即能效限定值；低于3级列为“未达3级（低于限定值）”。",
        "节能潜力 = 额定功率 × 负载率 × 年运行小时 × (1/η − 1/η₁) × 台数；负载率取设备填报值，缺省值无来源时留空。",
        "折标：电力（当量值）GB/T 2589 折标系数。",
        "淘汰目录：按导入的淘汰目录（型号规则、出厂年份）匹配。",
    ]
    for line, text in enumerate(lines):
        notes.write(line, 0, text, style.wrap)
    notes.set_column(0, 0, 100)
    style.print_setup(notes, landscape=False)
    book.close()
    return buffer.getvalue()
