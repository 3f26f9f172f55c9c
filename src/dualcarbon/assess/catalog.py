"""The efficiency catalog workbook (能效清单目录) written from an :class:`Assessment` (xlsxwriter).

Sheets: 汇总; one sheet per tier (policy: 能效标杆水平以上 / 介于标杆和基准之间 / 能效基准水平以下; gb: 1级 /
2级 / 3级 / 未达到3级限定值); 无法判定 and 校验问题 (only with keep-going); 参考数据说明 (every reference row
and coefficient used, with source, confidence and a note when any is unverified). The file is written
atomically: a temporary file in the target directory renamed over the target, so no half-written
catalog is ever left. Big sheets get their rows through :mod:`dualcarbon.workbooks.bulk`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from dualcarbon.assess.columns import ISSUES_SHEET, REFERENCE_SHEET, SUMMARY_SHEET, UNDETERMINED_SHEET
from dualcarbon.assess.files import atomic_path, temporary_beside
from dualcarbon.assess.pipeline import Assessment
from dualcarbon.assess.reader import ROW
from dualcarbon.assess.reference_sheet import write_reference_sheet
from dualcarbon.assess.summary import summary_tables, tier_labels
from dualcarbon.assess.validate import provinces
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.efficiency import REFERENCE_ZH
from dualcarbon.workbooks.bulk import BulkSheet, splice

Column = tuple[str, pl.Expr, str]  # header, expression, kind (text | number | pct | tce | int)
_WIDTH = {"text": 14, "number": 12, "pct": 10, "tce": 16, "int": 9}


def catalog_columns(basis: str) -> list[Column]:
    upper, lower = REFERENCE_ZH[basis]
    columns: list[Column] = [
        ("统一社会信用代码", pl.col("credit_code"), "text"),
        ("企业名称", pl.col("name"), "text"),
        ("行政区划代码", pl.col("region"), "text"),
        ("重点领域", pl.col("r_field"), "text"),
        ("产品或工序", pl.col("r_product"), "text"),
        ("能效指标", pl.col("r_indicator"), "text"),
        ("产量", pl.col("output"), "number"),
        ("产量单位", pl.col("output_unit"), "text"),
        ("单位产品能耗", pl.col("value_r"), "number"),
        ("能耗单位", pl.col("r_unit"), "text"),
        ("能效水平", pl.col("tier_zh"), "text"),
        (f"与{upper}差距", pl.col("gap_upper"), "number"),
        (f"与{upper}差距(%)", pl.col("gap_upper_pct"), "pct"),
        (f"与{lower}差距", pl.col("gap_lower"), "number"),
        (f"与{lower}差距(%)", pl.col("gap_lower_pct"), "pct"),
        (f"达到{upper}需节能量(tce/年)", pl.col("saving_upper_tce"), "tce"),
        (f"达到{lower}需节能量(tce/年)", pl.col("saving_lower_tce"), "tce"),
        ("参考行", pl.col("row_id"), "text"),
    ]
    if basis == "policy":
        columns += [("标杆水平", pl.col("benchmark"), "number"), ("基准水平", pl.col("baseline"), "number")]
    columns += [
        ("1级", pl.col("g1"), "number"),
        ("2级", pl.col("g2"), "number"),
        ("3级限定值", pl.col("g3"), "number"),
        ("填报产品名称", pl.col("product"), "text"),
        ("填报单位产品能耗", pl.col("value"), "number"),
        ("填报能耗单位", pl.col("value_unit"), "text"),
        ("数据来源", pl.col("value_source"), "text"),
        ("原表行号", pl.col(ROW), "int"),
        ("提示", pl.col("ref_warnings"), "text"),
    ]
    return columns


UNDETERMINED_COLUMNS: list[Column] = [
    ("原表行号", pl.col(ROW), "int"),
    ("统一社会信用代码", pl.col("credit_code"), "text"),
    ("企业名称", pl.col("name"), "text"),
    ("行政区划代码", pl.col("region"), "text"),
    ("重点领域", pl.col("r_field"), "text"),
    ("产品或工序", pl.col("r_product"), "text"),
    ("能效指标", pl.col("r_indicator"), "text"),
    ("产量", pl.col("output"), "number"),
    ("产量单位", pl.col("output_unit"), "text"),
    ("单位产品能耗", pl.col("value_r"), "number"),
    ("能耗单位", pl.col("r_unit"), "text"),
    ("参考行", pl.col("row_id"), "text"),
    ("无法判定原因", pl.col("undetermined"), "text"),
]


class _Book:
    """xlsxwriter workbook plus the bulk rows to splice in after it is saved."""

    def __init__(self, path: Path) -> None:
        self.workbook = xlsxwriter.Workbook(
            str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        wb = self.workbook
        self.formats: dict[str, Any] = {
            "header": wb.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
            ),
            "title": wb.add_format({"bold": True, "font_size": 13}),
            "note": wb.add_format({"font_color": "#7F3F00", "text_wrap": False}),
            "text": None,
            "number": wb.add_format({"num_format": "0.00##"}),
            "pct": wb.add_format({"num_format": "0.0"}),
            "tce": wb.add_format({"num_format": "#,##0.00"}),
            "int": wb.add_format({"num_format": "0"}),
        }
        self.bulk: list[BulkSheet] = []
        self.count = 0

    def sheet(self, name: str) -> Any:
        self.count += 1
        return self.workbook.add_worksheet(name)

    def table_sheet(self, name: str, frame: pl.DataFrame, columns: list[Column]) -> None:
        """A sheet with a header row and the rows of ``frame`` (spliced in bulk after saving)."""
        index = self.count
        sheet = self.sheet(name)
        # Gaps and savings are differences of decimals: show them without binary noise (12 digits).
        data = frame.select(
            [
                (expr.round_sig_figs(12) if kind in ("number", "pct", "tce") else expr).alias(header)
                for header, expr, kind in columns
            ]
        )
        for col, (header, _, kind) in enumerate(columns):
            sheet.write_string(0, col, header, self.formats["header"])
            sheet.set_column(col, col, max(_WIDTH[kind], min(len(header) * 2 + 2, 30)))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(frame.height, 1), len(columns) - 1)
        self.bulk.append(BulkSheet(index, data, [self.formats[kind] for _, _, kind in columns]))

    def small_table(self, sheet: Any, top: int, frame: pl.DataFrame, kinds: dict[str, str] | None = None) -> int:
        """Write ``frame`` at row ``top`` with xlsxwriter (small tables); returns the next free row."""
        kinds = kinds or {}
        for col, name in enumerate(frame.columns):
            sheet.write_string(top, col, name, self.formats["header"])
        for r, values in enumerate(frame.iter_rows(), start=top + 1):
            for col, value in enumerate(values):
                if value is None:
                    continue
                fmt = self.formats.get(kinds.get(frame.columns[col], ""), None)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(r, col, value, fmt)
                else:
                    sheet.write_string(r, col, str(value), fmt)
        return top + frame.height + 2


def _write_summary(book: _Book, assessment: Assessment) -> None:
    sheet = book.sheet(SUMMARY_SHEET)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 12, 14)
    basis_text = (
        f"能效标杆水平和基准水平（{assessment.edition}年版）"
        if assessment.basis == "policy"
        else "GB 单位产品能源消耗限额标准等级（1级/2级/3级限定值）"
    )
    sheet.write_string(0, 0, f"能效清单汇总 — 依据：{basis_text}", book.formats["title"])
    counts = (
        f"调查表：{Path(assessment.source).name}；有效行 {assessment.rows_total} 行；"
        f"已判定 {assessment.classified.height} 条；无法判定 {assessment.undetermined.height} 条；"
        f"校验问题 {len({i.row for i in assessment.issues})} 行"
    )
    sheet.write_string(1, 0, counts)
    top = 3
    kinds = {name: "tce" for name in ("产量合计",)}
    for title, table in summary_tables(assessment.classified, assessment.undetermined, assessment.basis, provinces()):
        sheet.write_string(top, 0, title, book.formats["title"])
        tce_kinds = {c: "tce" for c in table.columns if c.endswith("(tce/年)")}
        top = book.small_table(sheet, top + 1, table, {**kinds, **tce_kinds})
    sheet.write_string(
        top,
        0,
        (
            "说明：产量合计按指标的产品单位分列，同一企业同一产品的多个指标只计一次产量；"
            "需节能量按指标行合计，同一产品的电耗与综合能耗节能量有重叠，不宜相加。"
        ),
        book.formats["note"],
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
    raw = temporary_beside(Path(path), ".xlsxwriter.tmp")
    try:
        with atomic_path(Path(path)) as final:
            book = _Book(raw)
            _write_summary(book, assessment)
            columns = catalog_columns(assessment.basis)
            groups = assessment.classified.sort(ROW).partition_by("tier", as_dict=True, include_key=True)
            for tier, label in tier_labels(assessment.basis).items():
                frame = groups.get((tier,), assessment.classified.clear())
                book.table_sheet(label, frame, columns)
            if keep_going and not assessment.undetermined.is_empty():
                book.table_sheet(UNDETERMINED_SHEET, assessment.undetermined.sort(ROW), UNDETERMINED_COLUMNS)
            if keep_going and assessment.issues:
                issues = pl.DataFrame(
                    [(i.row, i.column, i.reason) for i in assessment.issues],
                    schema={"行号": pl.Int64, "列": pl.String, "问题": pl.String},
                    orient="row",
                )
                book.table_sheet(
                    ISSUES_SHEET,
                    issues,
                    [("行号", pl.col("行号"), "int"), ("列", pl.col("列"), "text"), ("问题", pl.col("问题"), "text")],
                )
            write_reference_sheet(book.sheet(REFERENCE_SHEET), book.formats, book.small_table, assessment)
            book.workbook.close()
            if progress:
                progress("write", 1, 2)
            splice(raw, final, book.bulk)
        if progress:
            progress("write", 2, 2)
    finally:
        with contextlib.suppress(FileNotFoundError):
            raw.unlink()
