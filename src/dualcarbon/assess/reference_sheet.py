"""The 参考数据说明 sheet: every reference row and coefficient an assessment used, with provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from dualcarbon.reference.citation import benchmark_citations
from dualcarbon.workbooks.catalog import REFERENCE_SHEET, InfoSheet, Table

if TYPE_CHECKING:
    from dualcarbon.assess.pipeline import Assessment


def reference_rows_frame(assessment: Assessment) -> pl.DataFrame:
    """One line per benchmark row used: values, sources, confidences, version, verified, rows assessed."""
    records = []
    for use in sorted(assessment.uses.values(), key=lambda u: u.row.row_id):
        row = use.row
        policy_citation, grade_citation = benchmark_citations(row)
        records.append(
            {
                "参考行": row.row_id,
                "版本": row.edition,
                "重点领域": row.field,
                "产品或工序": row.product,
                "能效指标": row.indicator,
                "单位": row.unit,
                "标杆水平": row.benchmark,
                "基准水平": row.baseline,
                "政策值依据": policy_citation,
                "政策值来源": row.policy_provenance.source,
                "政策值可信度": row.policy_provenance.confidence,
                "政策值已核实": "是" if row.policy_provenance.verified else "否",
                "限额标准": row.limit_standard,
                "1级": row.grade_1,
                "2级": row.grade_2,
                "3级限定值": row.grade_3,
                "等级值依据": grade_citation,
                "等级值来源": row.grade_provenance.source,
                "等级值可信度": row.grade_provenance.confidence,
                "等级值已核实": "是" if row.grade_provenance.verified else "否",
                "数据版本": row.grade_provenance.version,
                "使用条数": use.count,
                "无法判定原因": use.reason or "",
            }
        )
    return pl.DataFrame(records)


def coefficient_frame(assessment: Assessment) -> pl.DataFrame:
    """The GB/T 2589 coefficients used (electricity 当量值 for kWh savings, carriers for derived values)."""
    records = []
    electricity_rows = sum(use.count for use in assessment.uses.values() if use.electricity_row)
    if assessment.electricity is not None and electricity_rows:
        e = assessment.electricity
        records.append(
            {
                "参考行": e.row_id,
                "名称": e.row_name,
                "系数": e.value,
                "单位": e.unit,
                "依据": assessment.citations.get(e.row_id, ""),
                "来源": e.provenance.source,
                "可信度": e.provenance.confidence,
                "已核实": "是" if e.provenance.verified else "否",
                "用途": "电耗指标需节能量折算为 tce",
                "使用条数": electricity_rows,
            }
        )
    for use in assessment.coefficients:
        records.append(
            {
                "参考行": use.row_id,
                "名称": use.name,
                "系数": use.value,
                "单位": use.unit,
                "依据": assessment.citations.get(use.row_id, ""),
                "来源": use.source,
                "可信度": use.confidence,
                "已核实": "是" if use.verified else "否",
                "用途": f"由“{use.column}”计算单位产品能耗",
                "使用条数": use.rows,
            }
        )
    return pl.DataFrame(records)


def reference_sheet(assessment: Assessment) -> InfoSheet:
    """The 参考数据说明 sheet: what the assessment was based on, a warning when any value is unverified,
    then the reference rows and the coefficients used."""
    rows = reference_rows_frame(assessment)
    coefficients = coefficient_frame(assessment)
    basis_column = "政策值已核实" if assessment.basis == "policy" else "等级值已核实"
    unverified = 0 if rows.is_empty() else rows.filter(pl.col(basis_column) == "否").height
    unverified += 0 if coefficients.is_empty() else coefficients.filter(pl.col("已核实") == "否").height
    basis = "政策标杆/基准水平" if assessment.basis == "policy" else "GB 限额标准等级"
    lines = [
        f"评估依据：{basis}（{assessment.edition}年版产品表）。",
        "所有数值取自参考数据表，每行注明依据（文件或标准、附录、表）、取得来源与可信度；空白数值不推算，"
        "导入官方表格：dualcarbon reference import FILE。",
    ]
    if assessment.basis == "gb":
        lines.append("注意：GB 限额标准的等级值不是政策文件的标杆水平/基准水平，二者不可混用。")
    if unverified:
        lines.append(
            f"警告：本目录使用了 {unverified} 项未经核实的参考数据（“已核实”为“否”的行），"
            "据此得出的结论仅供参考，请以官方文本核对。"
        )
    else:
        lines.append("本目录使用的参考数据均标注为已核实（二手来源转录，尚未与标准原文逐一核对）。")
    lines.append("数据表版本：" + "；".join(f"{name}={version}" for name, version in assessment.versions.items()))
    tables = [Table(rows.columns, rows.rows(), title="能效参考行")]
    if not coefficients.is_empty():
        tables.append(Table(coefficients.columns, coefficients.rows(), title="折标系数（GB/T 2589）"))
    return InfoSheet(REFERENCE_SHEET, title="参考数据说明", lines=lines, tables=tables)
