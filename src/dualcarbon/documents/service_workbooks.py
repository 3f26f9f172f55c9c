"""Yunnan's annexes as Excel (seeds/004 附件 1–3), in the house style of :mod:`dualcarbon.workbooks.style`.

Annex 3 (能效清单目录) is the catalog subject's own workbook (:func:`export_catalog_xlsx`: one sheet per tier,
汇总, 参考数据说明); annexes 1 (调查情况表) and 2 (企业名录) are written here from the same context as their PDF
(:func:`dualcarbon.documents.service_content.yunnan_annex`), one table sheet each, with the title and the
catalog's snapshot hash above the table.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from sqlalchemy.orm import Session

from dualcarbon.catalog.service_export import export_catalog_xlsx
from dualcarbon.core.access import Principal
from dualcarbon.documents.service_content import yunnan_annex
from dualcarbon.workbooks.style import HouseStyle

ANNEX_1 = (
    "序号",
    "企业名称",
    "统一社会信用代码",
    "重点领域",
    "产品",
    "年产量",
    "产量单位",
    "单位产品能耗",
    "单位",
    "标杆水平",
    "基准水平",
    "能效水平",
)
ANNEX_1_KINDS = ("int", "text", "code", "text", "text", "amount", "text", "number", "text", "number", "number", "text")
ANNEX_2 = ("序号", "企业名称", "统一社会信用代码", "所在地区", "重点领域产品")
ANNEX_2_KINDS = ("int", "text", "code", "code", "text")


def _annex_1_rows(context: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for index, entry in enumerate(context["entries"], start=1):
        evidence = entry.evidence
        output = evidence.output
        reference = evidence.reference
        rows.append(
            [
                index,
                entry.enterprise_name,
                entry.credit_code,
                entry.field or "",
                entry.product,
                output.quantity if output else None,
                (output.unit or "") if output else "",
                entry.value,
                entry.unit,
                reference.benchmark if reference else None,
                reference.baseline if reference else None,
                entry.tier_zh,
            ]
        )
    return rows


def annex_workbook(session: Session, actor: Principal, params: dict[str, str]) -> tuple[bytes, str]:
    """The annex as a workbook and its file name; annex 3 is the published catalog's workbook."""
    context = yunnan_annex(session, actor, params)
    if context["annex"] == "3":
        return export_catalog_xlsx(session, actor, context["catalog"].id), f"{context['file_stem']}.xlsx"
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    style = HouseStyle(workbook)
    sheet = workbook.add_worksheet(f"附件{context['annex']}")
    sheet.write(0, 0, context["title"], style.title)
    sheet.write(
        1,
        0,
        f"能效清单目录 #{context['catalog'].id}（{context['catalog'].half}）快照 sha256 "
        f"{context['catalog'].snapshot_hash or '—'}",
        style.muted,
    )
    if context["annex"] == "1":
        style.write_table(sheet, ANNEX_1, _annex_1_rows(context), top=3, kinds=ANNEX_1_KINDS)
    else:
        rows = [
            [index, item["name"], item["credit_code"], item["region"], "、".join(item["products"])]
            for index, item in enumerate(context["enterprises"], start=1)
        ]
        style.write_table(sheet, ANNEX_2, rows, top=3, kinds=ANNEX_2_KINDS)
    workbook.close()
    return buffer.getvalue(), f"{context['file_stem']}.xlsx"
