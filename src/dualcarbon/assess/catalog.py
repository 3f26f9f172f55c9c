"""The efficiency catalog (能效清单目录) of a survey assessment, written by the shared catalog writer.

Maps an :class:`Assessment` to a :class:`~dualcarbon.workbooks.catalog.CatalogBook` in the survey layout: the
classified rows (and, with keep-going, the undetermined ones) as one polars frame of CatalogRow columns — no
Python object per row, so 100,000 rows go to the bulk path of the writer as they are — the 汇总 sheet (counts,
output and needed savings by region and field), 校验问题 (keep-going only) and 参考数据说明 (every reference
row and coefficient used, with source, confidence and a note when any is unverified). The file is written
atomically: a temporary file in the target directory renamed over the target, so no half-written catalog is
ever left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from dualcarbon.assess.files import atomic_path
from dualcarbon.assess.pipeline import Assessment
from dualcarbon.assess.reader import ROW
from dualcarbon.assess.reference_sheet import reference_sheet
from dualcarbon.assess.summary import summary_tables
from dualcarbon.assess.validate import provinces
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.vocab import TIER_ZH, UNDETERMINED
from dualcarbon.workbooks.catalog import (
    SUMMARY_SHEET,
    CatalogBook,
    InfoSheet,
    Table,
    catalog_frame,
    write_catalog_book,
)

#: CatalogRow field → the assessment frame's column that holds it.
SURVEY_FIELDS: dict[str, str] = {
    "tier": "tier", "tier_zh": "tier_zh", "credit_code": "credit_code", "enterprise_name": "name",
    "region_code": "region", "field": "r_field", "product": "r_product", "indicator": "r_indicator",
    "output": "output", "output_unit": "output_unit", "value": "value_r", "unit": "r_unit",
    "benchmark": "benchmark", "baseline": "baseline", "grade_1": "g1", "grade_2": "g2", "grade_3": "g3",
    "gap_upper": "gap_upper", "gap_upper_pct": "gap_upper_pct", "gap_lower": "gap_lower",
    "gap_lower_pct": "gap_lower_pct", "saving_upper_tce": "saving_upper_tce", "saving_lower_tce": "saving_lower_tce",
    "row_id": "row_id", "source": "value_source", "notes": "ref_warnings", "reported_product": "product",
    "reported_value": "value", "reported_unit": "value_unit", "source_row": ROW, "reason": "undetermined",
}  # fmt: skip


def catalog_rows(assessment: Assessment, *, keep_going: bool = False) -> pl.DataFrame:
    """The classified rows in survey order, then (with keep-going) the undetermined ones, as CatalogRow columns."""

    def mapped(frame: pl.DataFrame, **fixed: pl.Expr) -> pl.DataFrame:
        sources = {field: pl.col(name) for field, name in SURVEY_FIELDS.items() if name in frame.columns}
        return catalog_frame(frame.sort(ROW), {**sources, **fixed})

    rows = mapped(assessment.classified)
    if keep_going and not assessment.undetermined.is_empty():
        undetermined = mapped(assessment.undetermined, tier=pl.lit(UNDETERMINED), tier_zh=pl.lit(TIER_ZH[UNDETERMINED]))
        rows = pl.concat([rows, undetermined])
    return rows


def summary_sheet(assessment: Assessment) -> InfoSheet:
    """汇总: what was assessed, then counts, output and needed savings by region and field, then a caveat."""
    basis_text = (
        f"能效标杆水平和基准水平（{assessment.edition}年版）"
        if assessment.basis == "policy"
        else "GB 单位产品能源消耗限额标准等级（1级/2级/3级限定值）"
    )
    counts = (
        f"调查表：{Path(assessment.source).name}；有效行 {assessment.rows_total} 行；"
        f"已判定 {assessment.classified.height} 条；无法判定 {assessment.undetermined.height} 条；"
        f"校验问题 {len({i.row for i in assessment.issues})} 行"
    )
    tables = []
    for title, table in summary_tables(assessment.classified, assessment.undetermined, assessment.basis, provinces()):
        kinds = {c: "amount" for c in table.columns if c == "产量合计" or c.endswith("(tce/年)")}
        tables.append(Table(table.columns, table.rows(), kinds, title=title))
    caveat = (
        "说明：产量合计按指标的产品单位分列，同一企业同一产品的多个指标只计一次产量；"
        "需节能量按指标行合计，同一产品的电耗与综合能耗节能量有重叠，不宜相加。"
    )
    return InfoSheet(
        SUMMARY_SHEET, title=f"能效清单汇总 — 依据：{basis_text}", lines=[counts], tables=tables, notes=[caveat]
    )


def write_catalog(
    assessment: Assessment,
    path: Path,
    *,
    keep_going: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Write the catalog workbook to ``path`` atomically. Refuses a blocked assessment unless keep_going."""
    if assessment.blocked and not keep_going:
        raise InvalidInput(
            "the survey has problems or undetermined rows; nothing written (use --keep-going "
            "to write the good rows and list the others)",
            field="output",
        )
    book = CatalogBook(
        layout="survey",
        basis=assessment.basis,
        rows=catalog_rows(assessment, keep_going=keep_going),
        summary=summary_sheet(assessment),
        reference=reference_sheet(assessment),
        problems=[(i.row, i.column, i.reason) for i in assessment.issues] if keep_going else (),
    )

    def step(done: int, total: int) -> None:
        if progress:
            progress("write", done, total)

    with atomic_path(Path(path)) as final:
        write_catalog_book(book, final, progress=step)
