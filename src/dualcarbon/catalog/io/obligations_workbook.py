"""The obligations-list workbook (重点用能单位义务清单): one row per enterprise, one column per obligation.

Sheets: 义务清单 (enterprise, 综合能耗, a 适用/待定 mark per obligation kind, rule ids), 规则依据 (every rule that
applied: rule id, conditions, source clause and text), 说明 (pack, year, basis). Input: the dict returned by
:func:`dualcarbon.catalog.service_obligations.list_obligations`.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

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
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    title = book.add_format({"bold": True, "font_size": 14})
    number = book.add_format({"num_format": "#,##0.00"})
    pack = listing["pack"]
    heading = (
        f"{listing['region_code']} {listing['year']}年 节能义务清单"
        f"（{pack['title_zh']}，综合能耗{listing['basis_zh']}）"
    )

    sheet = book.add_worksheet("义务清单")
    sheet.write(0, 0, heading, title)
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
    sheet.write_row(2, 0, headers, header)
    rules: list[list[Any]] = []
    for index, item in enumerate(listing["items"], start=1):
        row = 2 + index
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
        sheet.write_row(
            row, 0, [index, item["credit_code"], item["name"], item["region_code"], item.get("region_name") or ""]
        )
        if item["annual_energy_tce"] is None:
            sheet.write_blank(row, 5, None)
        else:
            sheet.write_number(row, 5, item["annual_energy_tce"], number)
        for offset, (kind, _) in enumerate(OBLIGATION_COLUMNS):
            sheet.write(row, 6 + offset, marks.get(kind, ""))
        column = 6 + len(OBLIGATION_COLUMNS)
        sheet.write(row, column, ", ".join(f["rule_id"] for f in item["obligations"]))
        sheet.write(row, column + 1, item.get("note") or "")
    sheet.freeze_panes(3, 3)
    sheet.autofilter(2, 0, 2 + len(listing["items"]), len(headers) - 1)
    for column, width in enumerate([6, 22, 30, 12, 12, 14, 12, 10, 10, 12, 14, 40, 30]):
        sheet.set_column(column, column, width)

    basis = book.add_worksheet("规则依据")
    basis.write_row(
        0, 0, ["统一社会信用代码", "企业名称", "义务", "状态", "规则", "条件", "文件", "条款", "原文"], header
    )
    for offset, values in enumerate(rules, start=1):
        basis.write_row(offset, 0, values)
    for column, width in enumerate([22, 30, 14, 12, 36, 40, 24, 30, 80]):
        basis.set_column(column, column, width)

    notes = book.add_worksheet("说明")
    bold = book.add_format({"bold": True})
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
        notes.write(line, 0, label, bold)
        notes.write(line, 1, value)
    book.close()
    return buffer.getvalue()
