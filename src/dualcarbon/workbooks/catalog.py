"""The efficiency-catalog workbook (高耗能行业重点领域企业能效清单目录): one writer for every catalog we write.

Two catalogs are written here, in the form the 云南 plan's annex 3 asks for:

* the **published** catalog (the catalog subject's export; :func:`write_catalog_workbook` maps its dicts);
* the **survey** catalog of a batch assessment (``dualcarbon assess … -o catalog.xlsx``;
  :mod:`dualcarbon.assess.catalog` maps its polars frames).

Input: a :class:`CatalogBook` — the rows (:class:`CatalogRow` objects, or for 100,000 rows a polars frame with
the same column names, see :func:`catalog_frame`), the 汇总 and 参考数据说明 sheets as :class:`InfoSheet`
(title, label/value facts, text lines, small tables), and the layout. The layout fixes the columns of each
variant (:func:`catalog_columns`); a header means the same figure in both.

Sheets: one per tier of the basis (empty ones too — policy: 能效标杆水平以上 / 介于标杆和基准之间 / 能效基准水平以下;
gb: 1级 / 2级 / 3级 / 未达到3级限定值), 无法判定 when a row has that tier, 校验问题 when problems are given, 汇总
(first in the survey layout, after the tiers in the published one) and 参考数据说明. Rows of the row sheets are
rendered by polars and spliced in (:mod:`dualcarbon.workbooks.bulk`); the look is :mod:`.style`.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any, Literal

import polars as pl
import xlsxwriter

from dualcarbon.core.vocab import TIER_ZH, TIERS_BY_BASIS, UNDETERMINED
from dualcarbon.domain.efficiency import REFERENCE_ZH
from dualcarbon.reference.citation import document_citation, standard_citation
from dualcarbon.workbooks.bulk import BulkSheet, splice
from dualcarbon.workbooks.style import HouseStyle, display_width, fit_widths, local_time, time_header

Layout = Literal["published", "survey"]
SUMMARY_SHEET, REFERENCE_SHEET, PROBLEMS_SHEET = "汇总", "参考数据说明", "校验问题"
FACT_WIDTH = 18  # room for a date and time in the value column of the facts


@dataclass(frozen=True)
class CatalogRow:
    """One line of a catalog: an enterprise's indicator, its tier, the references, gaps and savings.

    ``gap_upper``/``saving_upper_tce`` are measured against the basis's upper reference (标杆水平 or 1级),
    ``*_lower*`` against the lower one (基准水平 or 3级限定值); percentages are in percent.
    """

    tier: str
    tier_zh: str
    credit_code: str
    enterprise_name: str
    region_code: str
    region_name: str | None = None
    field: str | None = None
    product: str | None = None
    indicator: str | None = None
    output: float | None = None
    output_unit: str | None = None
    value: float | None = None
    unit: str | None = None
    benchmark: float | None = None
    baseline: float | None = None
    grade_1: float | None = None
    grade_2: float | None = None
    grade_3: float | None = None
    gap_upper: float | None = None
    gap_upper_pct: float | None = None
    gap_lower: float | None = None
    gap_lower_pct: float | None = None
    saving_upper_tce: float | None = None
    saving_lower_tce: float | None = None
    row_id: str | None = None
    source: str | None = None  # where the value comes from (a report version, or how a survey row gave it)
    notes: str | None = None
    reported_product: str | None = None  # survey: the product name, value and unit as the respondent wrote them
    reported_value: float | None = None
    reported_unit: str | None = None
    source_row: int | None = None  # survey: the row number in the survey file
    reason: str | None = None  # why the row is undetermined


_FLOATS = {f.name for f in fields(CatalogRow) if f.type == "float | None"}
ROW_SCHEMA: dict[str, pl.DataType] = {
    f.name: pl.Float64() if f.name in _FLOATS else pl.Int64() if f.name == "source_row" else pl.String()
    for f in fields(CatalogRow)
}
#: Per column field: number-format kind and width. "index" is the 序号 of a row within its sheet.
_FIELD_LOOK: dict[str, tuple[str, int]] = {
    "index": ("int", 6), "credit_code": ("text", 22), "enterprise_name": ("text", 30), "region_code": ("text", 12),
    "region_name": ("text", 12), "field": ("text", 14), "product": ("text", 20), "indicator": ("text", 24),
    "output": ("amount", 14), "output_unit": ("text", 8), "value": ("number", 12), "unit": ("text", 12),
    "tier_zh": ("text", 16), "benchmark": ("number", 10), "baseline": ("number", 10), "grade_1": ("number", 10),
    "grade_2": ("number", 10), "grade_3": ("number", 10), "gap_upper": ("number", 12), "gap_upper_pct": ("pct", 12),
    "gap_lower": ("number", 12), "gap_lower_pct": ("pct", 12), "saving_upper_tce": ("amount", 16),
    "saving_lower_tce": ("amount", 16), "row_id": ("text", 12), "source": ("text", 18), "notes": ("text", 50),
    "reported_product": ("text", 20), "reported_value": ("number", 12), "reported_unit": ("text", 12),
    "source_row": ("int", 9), "reason": ("text", 50),
}  # fmt: skip


def catalog_columns(layout: Layout, basis: str, *, undetermined: bool = False) -> list[tuple[str, str]]:
    """(header, CatalogRow field) of a row sheet, in order; ``undetermined`` for the 无法判定 sheet."""
    upper, lower = REFERENCE_ZH[basis]
    up, low = ("benchmark", "baseline") if basis == "policy" else ("grade_1", "grade_3")
    who = [("统一社会信用代码", "credit_code"), ("企业名称", "enterprise_name"), ("行政区划代码", "region_code")]
    what = [("重点领域", "field"), ("产品或工序", "product"), ("能效指标", "indicator"), ("产量", "output"),
            ("产量单位", "output_unit"), ("单位产品能耗", "value"), ("能耗单位", "unit")]  # fmt: skip
    gaps = [(f"与{upper}差距", "gap_upper"), (f"与{upper}差距(%)", "gap_upper_pct"), (f"与{lower}差距", "gap_lower"),
            (f"与{lower}差距(%)", "gap_lower_pct"), (f"达到{upper}需节能量(tce/年)", "saving_upper_tce"),
            (f"达到{lower}需节能量(tce/年)", "saving_lower_tce")]  # fmt: skip
    if layout == "published":
        return [("序号", "index"), *who, ("所在地区", "region_name"), *what, ("能效水平", "tier_zh"), (upper, up),
                (lower, low), *gaps, ("参考行", "row_id"), ("数据来源", "source"), ("备注", "notes")]  # fmt: skip
    if undetermined:
        return [("原表行号", "source_row"), *who, *what, ("参考行", "row_id"), ("无法判定原因", "reason")]
    policy = [("标杆水平", "benchmark"), ("基准水平", "baseline")] if basis == "policy" else []
    return [*who, *what, ("能效水平", "tier_zh"), *gaps, ("参考行", "row_id"), *policy, ("1级", "grade_1"),
            ("2级", "grade_2"), ("3级限定值", "grade_3"), ("填报产品名称", "reported_product"),
            ("填报单位产品能耗", "reported_value"), ("填报能耗单位", "reported_unit"), ("数据来源", "source"),
            ("原表行号", "source_row"), ("提示", "notes")]  # fmt: skip


def catalog_frame(frame: pl.DataFrame, sources: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """``frame`` as CatalogRow columns: each field from its expression in ``sources``, null when absent."""
    unknown = set(sources) - set(ROW_SCHEMA)
    if unknown:
        raise ValueError(f"not CatalogRow fields: {sorted(unknown)}")
    return frame.select([sources.get(name, pl.lit(None)).cast(dtype).alias(name) for name, dtype in ROW_SCHEMA.items()])


@dataclass(frozen=True)
class Table:
    """A small table of an information sheet: optional title line, headers, rows, kinds per header."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    kinds: Mapping[str, str] | None = None
    title: str | None = None


@dataclass(frozen=True)
class InfoSheet:
    """A sheet of text and small tables (汇总, 参考数据说明), top to bottom in this order.

    ``lines`` starting with 警告 or 注意 are highlighted; ``notes`` follow the tables.
    """

    name: str
    title: str | None = None
    facts: Sequence[tuple[str, Any]] = ()
    lines: Sequence[str] = ()
    tables: Sequence[Table] = ()
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class CatalogBook:
    """Everything the catalog workbook shows (see the module docstring)."""

    layout: Layout
    basis: str
    rows: Sequence[CatalogRow] | pl.DataFrame
    summary: InfoSheet
    reference: InfoSheet
    title: str | None = None  # a title line above each row sheet: "{title} — {sheet name}"
    problems: Sequence[tuple[int, str, str]] = ()  # (row, column, reason) for the 校验问题 sheet


def rows_frame(rows: Sequence[CatalogRow] | pl.DataFrame) -> pl.DataFrame:
    """The rows as a polars frame with the CatalogRow schema."""
    if isinstance(rows, pl.DataFrame):
        return rows.select([pl.col(name).cast(dtype) for name, dtype in ROW_SCHEMA.items()])
    records = [tuple(getattr(row, name) for name in ROW_SCHEMA) for row in rows]
    return pl.DataFrame(records, schema=ROW_SCHEMA, orient="row", strict=False)


class _Writer:
    def __init__(self, target: IO[bytes]) -> None:
        options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
        self.workbook = xlsxwriter.Workbook(target, {**options, "strings_to_urls": False})
        self.style = HouseStyle(self.workbook)
        self.bulk: list[BulkSheet] = []

    def row_sheet(self, name: str, frame: pl.DataFrame, columns: Sequence[tuple[str, str]], title: str | None) -> None:
        """A header row and the rows of ``frame`` (spliced in after saving); under a title line if given."""
        index = len(self.workbook.worksheets())
        sheet = self.workbook.add_worksheet(name)
        top = 0
        if title:
            sheet.merge_range(0, 0, 0, max(len(columns) - 1, 1), f"{title} — {name}", self.style.title)
            top = 2
        kinds = [_FIELD_LOOK[field][0] for _, field in columns]
        widths = [_FIELD_LOOK[field][1] for _, field in columns]
        self.style.write_header(sheet, top, [header for header, _ in columns], widths=widths)
        for col, width in enumerate(widths):  # the column format also gives the bulk cells their style
            sheet.set_column(col, col, width, self.style.kind(kinds[col]))
        self.style.finish_sheet(sheet, frame.height, len(columns), top=top)
        cells = []
        for col, (_, field) in enumerate(columns):
            expr = pl.int_range(1, pl.len() + 1, dtype=pl.Int64) if field == "index" else pl.col(field)
            if field in _FLOATS:  # gaps are differences of decimals: 12 significant digits drop the binary noise
                expr = expr.round_sig_figs(12)
            cells.append(expr.alias(f"c{col}"))
        data = frame.select(cells)
        self.bulk.append(BulkSheet(index, data, [self.style.kind(kind) for kind in kinds], first_row=top + 2))

    def info_sheet(self, info: InfoSheet) -> None:
        sheet, style = self.workbook.add_worksheet(info.name), self.style
        row = 0
        if info.title:
            sheet.write_string(row, 0, info.title, style.title)
            row += 1
        for label, value in info.facts:
            sheet.write_string(row, 0, label, style.label)
            style.write_value(sheet, row, 1, value)
            row += 1
        for line in info.lines:
            sheet.write_string(row, 0, line, style.note if line.startswith(("警告", "注意")) else None)
            row += 1
        row += 1
        widths: list[int] = []
        for table in info.tables:  # one width per column, wide enough for every table on the sheet
            for col, width in enumerate(fit_widths(table.headers, table.rows, maximum=50)):
                if col < len(widths):
                    widths[col] = max(widths[col], width)
                else:
                    widths.append(width)
        if info.facts:  # labels in the first column; values (text runs over, a time does not) in the second
            label_width = max(display_width(label) + 2 for label, _ in info.facts)
            widths[:1] = [max(label_width, *widths[:1])]
            widths[1:2] = [max(FACT_WIDTH, *widths[1:2])]
        header_row = row
        for table in info.tables:
            if table.title:
                sheet.write_string(row, 0, table.title, style.subtitle)
                row += 1
            header_row = row
            row = style.write_table(
                sheet, table.headers, table.rows, top=row, kinds=table.kinds, widths=widths, finish=False
            )
        for line in info.notes:
            sheet.write_string(row, 0, line, style.note)
            row += 1
        if not info.tables:
            style.set_widths(sheet, widths)
        if len(info.tables) == 1:
            style.finish_sheet(sheet, len(info.tables[0].rows), len(info.tables[0].headers), top=header_row)
        else:
            style.print_setup(sheet)


def write_catalog_book(
    book: CatalogBook, target: Path | IO[bytes], *, progress: Callable[[int, int], None] | None = None
) -> None:
    """Write the catalog workbook to ``target`` (a path or a binary file); ``progress(done, 2)`` per step."""
    raw = io.BytesIO()
    writer = _Writer(raw)
    frame = rows_frame(book.rows)
    groups = frame.partition_by("tier", as_dict=True, include_key=True, maintain_order=True)
    tiers = [*TIERS_BY_BASIS[book.basis], *([UNDETERMINED] if (UNDETERMINED,) in groups else [])]
    if book.layout == "survey":
        writer.info_sheet(book.summary)
    for tier in tiers:
        columns = catalog_columns(book.layout, book.basis, undetermined=tier == UNDETERMINED)
        writer.row_sheet(TIER_ZH[tier], groups.get((tier,), frame.clear()), columns, book.title)
    if book.problems:
        problems = pl.DataFrame(
            book.problems, schema={"source_row": pl.Int64, "field": pl.String, "reason": pl.String}, orient="row"
        )
        writer.row_sheet(PROBLEMS_SHEET, problems, [("行号", "source_row"), ("列", "field"), ("问题", "reason")], None)
    if book.layout == "published":
        writer.info_sheet(book.summary)
    writer.info_sheet(book.reference)
    writer.workbook.close()
    if progress:
        progress(1, 2)
    raw.seek(0)
    splice(raw, target, writer.bulk)
    if progress:
        progress(2, 2)


# ---- the published catalog: the catalog subject's dicts → CatalogBook ------------------------------------------
def _notes(entry: dict[str, Any]) -> str:
    evidence = entry.get("evidence") or {}
    parts: list[str] = []
    if entry.get("message"):
        parts.append(f"无法判定：{entry['message']}")
    if evidence.get("uses_unverified"):
        parts.append("使用未经核实的参考值: " + "; ".join(evidence.get("unverified", [])))
    if (evidence.get("input") or {}).get("source") == "appeal":
        appeal = evidence.get("appeal") or {}
        parts.append(f"经申辩更正（申辩 {appeal.get('id')}）")
    parts.extend(str(w) for w in evidence.get("warnings", []) if "not verified" not in str(w))
    return "；".join(parts)


def _source(entry: dict[str, Any]) -> str:
    report = (entry.get("evidence") or {}).get("report") or {}
    return f"{report.get('year')}年报 #{report.get('id')} 第{report.get('version')}版" if report else ""


def _entry_row(entry: dict[str, Any]) -> CatalogRow:
    evidence = entry.get("evidence") or {}
    reference, row, output = (evidence.get(key) or {} for key in ("reference", "row", "output"))
    return CatalogRow(
        tier=entry["tier"], tier_zh=entry["tier_zh"], credit_code=entry["credit_code"],
        enterprise_name=entry["enterprise_name"], region_code=entry["region_code"],
        region_name=entry.get("region_name"), field=row.get("field"), product=entry["product"],
        indicator=row.get("indicator"), output=output.get("quantity"), output_unit=output.get("unit"),
        value=entry["value"], unit=entry["unit"], benchmark=reference.get("benchmark"),
        baseline=reference.get("baseline"), grade_1=reference.get("grade_1"), grade_2=reference.get("grade_2"),
        grade_3=reference.get("grade_3"), gap_upper=entry.get("gap_to_benchmark"),
        gap_upper_pct=evidence.get("gap_to_benchmark_pct"), gap_lower=entry.get("gap_to_baseline"),
        gap_lower_pct=evidence.get("gap_to_baseline_pct"), saving_upper_tce=entry.get("saving_to_benchmark_tce"),
        saving_lower_tce=evidence.get("saving_to_baseline_tce"), row_id=entry["benchmark_row_id"],
        source=_source(entry), notes=_notes(entry),
    )  # fmt: skip


def _catalog_title(catalog: dict[str, Any]) -> str:
    issue = f"第{catalog['issue_no']}期" if catalog.get("issue_no") else "草稿"
    return (
        f"{catalog.get('region_name') or catalog['region_code']} 高耗能行业重点领域企业能效清单目录 "
        f"{catalog['half']}（{catalog['edition']}年版，{catalog.get('basis_zh', catalog['basis'])}，{issue}）"
    )


def _summary(entries: Sequence[dict[str, Any]], basis: str, title: str) -> InfoSheet:
    tiers = [*TIERS_BY_BASIS[basis], *([UNDETERMINED] if any(e["tier"] == UNDETERMINED for e in entries) else [])]
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for entry in entries:
        field = ((entry.get("evidence") or {}).get("row") or {}).get("field") or ""
        counts[(entry["region_code"], entry.get("region_name") or "", field, entry["tier"])] += 1
    rows: list[list[Any]] = []
    for code, name, field in sorted({key[:3] for key in counts}):
        per_tier = [counts[(code, name, field, tier)] for tier in tiers]
        rows.append([code, name, field, *per_tier, sum(per_tier)])
    rows.append(["合计", "", "", *[sum(n for k, n in counts.items() if k[3] == tier) for tier in tiers], len(entries)])
    headers = ["行政区划代码", "地区", "重点领域", *[TIER_ZH[tier] for tier in tiers], "合计"]
    kinds = {header: "int" for header in headers[3:]}
    return InfoSheet(SUMMARY_SHEET, title=f"{title} — {SUMMARY_SHEET}", tables=[Table(headers, rows, kinds)])


def _citation(row: dict[str, Any], basis: str) -> str:
    """The document (policy) or limit standard (gb) the values come from, as a reader would cite it."""
    if basis == "policy":
        return document_citation(row.get("source") or "")
    return standard_citation(row.get("standard") or "") or (row.get("standard") or "")


def _reference(catalog: dict[str, Any], rows: Sequence[dict[str, Any]], basis: str, title: str) -> InfoSheet:
    value_keys = ["benchmark", "baseline"] if basis == "policy" else ["grade_1", "grade_2", "grade_3"]
    value_headers = list(REFERENCE_ZH["policy"]) if basis == "policy" else ["1级", "2级", "3级限定值"]
    headers = ["参考数据行", "版本年份", "重点领域", "产品或工序", "指标", "单位", *value_headers, "依据", "来源",
               "可信度", "已核实", "数据表", "表版本", "使用条目数"]  # fmt: skip
    table = [
        [row["row_id"], row.get("edition"), row.get("field"), row.get("product"), row.get("indicator"),
         row.get("unit"), *[row.get(key) for key in value_keys], _citation(row, basis), row.get("source"),
         row.get("confidence"), "是" if row.get("verified") else "否", row.get("table"), row.get("version"),
         row.get("entries", 0)]
        for row in rows
    ]  # fmt: skip
    published = catalog.get("published_at")
    versions = "; ".join(f"{k}={v}" for k, v in sorted((catalog.get("reference_versions") or {}).items()))
    facts = [
        ("清单", title),
        ("状态", catalog.get("state_zh", catalog.get("state"))),
        (time_header("发布时间"), local_time(published) if published else "（未发布）"),
        ("快照哈希 (sha256)", catalog.get("snapshot_hash") or "（未发布）"),
        ("参考数据表版本", versions),
        ("说明", "参考值为空的条目列为“无法判定”，不作推测；“已核实=否”的参考值来自二手资料，使用时请核对官方文本。"),
    ]
    kinds = {**{header: "number" for header in value_headers}, "使用条目数": "int"}
    return InfoSheet(REFERENCE_SHEET, facts=facts, tables=[Table(headers, table, kinds)])


def write_catalog_workbook(
    catalog: dict[str, Any], entries: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]
) -> bytes:
    """The published catalog as xlsx bytes: ``catalog`` (the service's catalog dict), ``entries`` (entry dicts
    with ``region_name``), ``rows`` (the reference rows used, with values, provenance and entry counts)."""
    basis, title = catalog["basis"], _catalog_title(catalog)
    book = CatalogBook(
        layout="published",
        basis=basis,
        rows=[_entry_row(entry) for entry in entries],
        summary=_summary(entries, basis, title),
        reference=_reference(catalog, rows, basis, title),
        title=title,
    )
    buffer = io.BytesIO()
    write_catalog_book(book, buffer)
    return buffer.getvalue()
