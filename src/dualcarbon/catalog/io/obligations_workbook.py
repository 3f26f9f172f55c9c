"""The obligations-list workbook (重点用能单位义务清单): one row per enterprise, one column per obligation.

Sheets: 义务清单 (enterprise, 综合能耗, a 适用/待定 mark per obligation kind, rule ids), 规则依据 (every rule that
applied: rule id, conditions, source clause and text), 说明 (pack, year, basis). Input: the dict returned by
:func:`dualcarbon.catalog.service_obligations.list_obligations`.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from dualcarbon.workbooks.style import HouseStyle

OBLIGATION_COLUMNS = (
    ("key_energy_using_unit", "重点用能单位"),
    ("energy_audit", "能源审计"),
    ("energy_saving_diagnosis", "节能诊断"),
    ("energy_management_centre", "能源管理中心"),
    ("high_consumption_screening", "高耗能企业排查"),
)


def write_obligations_workbook(listing: dict[str, Any]) -> bytes:
    """The obligations list as xlsx bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    style = HouseStyle(book)
    pack = listing["pack"]
    heading = (
        f"{listing['region_code']} {listing['year']}年 节能义务清单"
        f"（{pack['title_zh']}，综合能耗{listing['basis_zh']}）"
    )

    sheet = book.add_worksheet("义务清单")
    sheet.write(0, 0, heading, style.title)
    headers = [
        "序号",
        "统一社会信用代码",
        "企业名称",
        "行政区划代码",
        "地区",
        "年综合能耗(tce)",
        *[label for _, label in OBLIGATION_COLUMNS],
        "依据规则",
        "备注",
    ]
    rows: list[list[Any]] = []
    rules: list[list[Any]] = []
    for index, item in enumerate(listing["items"], start=1):
        marks = {}
        for finding in item["obligations"]:
            marks[finding["obligation"]] = "适用" if finding["status"] == "applies" else "待定"
            rules.append(
                [
                    item["credit_code"],
                    item["name"],
                    finding["obligation_zh"],
                    finding["status_zh"],
                    finding["rule_id"],
                    "; ".join(c["condition"] for c in finding["checks"]),
                    finding["source"]["document"],
                    finding["source"]["clause"],
                    finding["source"]["text"],
                ]
            )
        rows.append(
            [
                index,
                item["credit_code"],
                item["name"],
                item["region_code"],
                item.get("region_name") or "",
                item["annual_energy_tce"],
                *[marks.get(kind, "") for kind, _ in OBLIGATION_COLUMNS],
                ", ".join(f["rule_id"] for f in item["obligations"]),
                item.get("note") or "",
            ]
        )
    style.write_table(
        sheet,
        headers,
        rows,
        top=2,
        kinds={"序号": "int", "年综合能耗(tce)": "amount"},
        widths=[6, 22, 30, 12, 12, 14, 12, 10, 10, 12, 14, 40, 30],
        freeze_columns=3,
    )

    basis = book.add_worksheet("规则依据")
    style.write_table(
        basis,
        ["统一社会信用代码", "企业名称", "义务", "状态", "规则", "条件", "文件", "条款", "原文"],
        rules,
        widths=[22, 30, 14, 12, 36, 40, 24, 30, 80],
    )

    notes = book.add_worksheet("说明")
    for line, (label, value) in enumerate(
        [
            ("地区", listing["region_code"]),
            ("年度", listing["year"]),
            ("政策包", f"{pack['id']} {pack['title_zh']}"),
            ("文件", f"{pack['document']} {pack['number']}"),
            ("综合能耗口径", listing["basis_zh"]),
            (
                "说明",
                "年综合能耗取该企业当年已审核年报的计算值；无已审核年报者不判定义务，并在备注中注明。"
                "阈值与边界（“以上”是否含本数）以政策包为准。",
            ),
        ]
    ):
        notes.write(line, 0, label, style.label)
        style.write_value(notes, line, 1, value)
    style.set_widths(notes, [14, 100])
    style.print_setup(notes)
    book.close()
    return buffer.getvalue()
