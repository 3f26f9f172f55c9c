"""The efficiency-catalog workbook (高耗能行业重点领域企业能效清单目录), one sheet per class.

Layout (Chinese headers, the form the 云南 plan's annex 3 "XX州（市）高耗能行业重点领域企业能效清单目录" asks for):

* one sheet per tier — policy basis: 能效标杆水平以上 / 介于标杆和基准之间 / 能效基准水平以下; gb basis:
  1级 / 2级 / 3级 / 未达到3级限定值 — plus 无法判定 when some entries could not be classified (with the reason);
* 汇总: entries per region and key field (重点领域), one column per tier;
* 参考数据说明: the catalog's identity (issue, snapshot hash, reference table versions) and every reference
  row used, with its values, source, confidence and whether it is verified.

Input: ``catalog`` (the service's catalog dict), ``entries`` (entry dicts with ``region_name``), ``rows``
(reference-row dicts). Output: the xlsx bytes.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dualcarbon.core.vocab import TIER_ZH, TIERS_BY_BASIS, UNDETERMINED

TIER_SHEETS: dict[str, tuple[tuple[str, str], ...]] = {
    basis: tuple((tier, TIER_ZH[tier]) for tier in tiers) for basis, tiers in TIERS_BY_BASIS.items()
}
UNDETERMINED_SHEET = (UNDETERMINED, TIER_ZH[UNDETERMINED])
REFERENCE_PAIR = {"policy": ("标杆水平", "基准水平"), "gb": ("1级", "3级限定值")}


def _entry_headers(basis: str) -> list[str]:
    # Same header names as the survey assessment's workbook (dualcarbon.assess.catalog) where the same
    # figure is meant, so officials read both alike.
    upper, lower = REFERENCE_PAIR[basis]
    return [
        "序号", "统一社会信用代码", "企业名称", "行政区划代码", "所在地区", "重点领域", "产品或工序", "能效指标",
        "产量", "产量单位", "单位产品能耗", "能耗单位", "能效水平", upper, lower,
        f"与{upper}差距", f"与{upper}差距(%)", f"与{lower}差距", f"与{lower}差距(%)",
        f"达到{upper}需节能量(tce/年)", f"达到{lower}需节能量(tce/年)", "参考行", "数据来源", "备注",
    ]  # fmt: skip


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


def _moment(iso: str | None) -> str:
    return f"{iso[:16].replace('T', ' ')} UTC" if iso else "（未发布）"


def _source(entry: dict[str, Any]) -> str:
    report = (entry.get("evidence") or {}).get("report") or {}
    if not report:
        return ""
    return f"{report.get('year')}年报 #{report.get('id')} 第{report.get('version')}版"


def _entry_row(index: int, entry: dict[str, Any], basis: str) -> list[Any]:
    evidence = entry.get("evidence") or {}
    reference = evidence.get("reference") or {}
    row = evidence.get("row") or {}
    output = evidence.get("output") or {}
    upper = reference.get("benchmark") if basis == "policy" else reference.get("grade_1")
    lower = reference.get("baseline") if basis == "policy" else reference.get("grade_3")
    return [
        index, entry["credit_code"], entry["enterprise_name"], entry["region_code"], entry.get("region_name"),
        row.get("field"), entry["product"], row.get("indicator"), output.get("quantity"), output.get("unit"),
        entry["value"], entry["unit"], entry["tier_zh"], upper, lower,
        entry.get("gap_to_benchmark"), evidence.get("gap_to_benchmark_pct"),
        entry.get("gap_to_baseline"), evidence.get("gap_to_baseline_pct"),
        entry.get("saving_to_benchmark_tce"), evidence.get("saving_to_baseline_tce"),
        entry["benchmark_row_id"], _source(entry), _notes(entry),
    ]  # fmt: skip


def _write_table(
    book: Workbook,
    sheet: Worksheet,
    top: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int] | None = None,
) -> None:
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    number = book.add_format({"num_format": "0.####"})
    sheet.write_row(top, 0, headers, header)
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if isinstance(value, float):
                # Gaps are differences of decimals: 12 significant digits drop the binary noise.
                sheet.write_number(top + offset, column, float(f"{value:.12g}"), number)
            elif value is None:
                sheet.write_blank(top + offset, column, None)
            else:
                sheet.write(top + offset, column, value)
    sheet.freeze_panes(top + 1, 0)
    if rows:
        sheet.autofilter(top, 0, top + len(rows), len(headers) - 1)
    for column, width in enumerate(widths or [14] * len(headers)):
        sheet.set_column(column, column, width)


def _title(book: Workbook, sheet: Worksheet, text: str, columns: int) -> None:
    sheet.merge_range(0, 0, 0, max(columns - 1, 1), text, book.add_format({"bold": True, "font_size": 14}))


def _catalog_title(catalog: dict[str, Any]) -> str:
    issue = f"第{catalog['issue_no']}期" if catalog.get("issue_no") else "草稿"
    return (
        f"{catalog.get('region_name') or catalog['region_code']} 高耗能行业重点领域企业能效清单目录 "
        f"{catalog['half']}（{catalog['edition']}年版，{catalog.get('basis_zh', catalog['basis'])}，{issue}）"
    )


def _summary_rows(entries: Sequence[dict[str, Any]], tiers: Sequence[str]) -> list[list[Any]]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for entry in entries:
        field = ((entry.get("evidence") or {}).get("row") or {}).get("field") or ""
        counts[(entry["region_code"], entry.get("region_name") or "", field, entry["tier"])] += 1
    keys = sorted({key[:3] for key in counts})
    rows = [
        [
            code,
            name,
            field,
            *[counts[(code, name, field, tier)] for tier in tiers],
            sum(counts[(code, name, field, tier)] for tier in tiers),
        ]
        for code, name, field in keys
    ]
    rows.append(["合计", "", "", *[sum(counts[k] for k in counts if k[3] == tier) for tier in tiers], len(entries)])
    return rows


def _reference_rows(rows: Sequence[dict[str, Any]], basis: str) -> list[list[Any]]:
    out = []
    for row in rows:
        values = (
            [row.get("benchmark"), row.get("baseline")]
            if basis == "policy"
            else [row.get("grade_1"), row.get("grade_2"), row.get("grade_3")]
        )
        out.append(
            [
                row["row_id"],
                row.get("edition"),
                row.get("field"),
                row.get("product"),
                row.get("indicator"),
                row.get("unit"),
                *values,
                row.get("standard", ""),
                row.get("source"),
                row.get("confidence"),
                "是" if row.get("verified") else "否",
                row.get("table"),
                row.get("version"),
                row.get("entries", 0),
            ]
        )
    return out


def write_catalog_workbook(
    catalog: dict[str, Any], entries: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]
) -> bytes:
    """The catalog workbook as bytes (see the module docstring for the sheets)."""
    basis = catalog["basis"]
    sheets = list(TIER_SHEETS[basis])
    if any(entry["tier"] == UNDETERMINED_SHEET[0] for entry in entries):
        sheets.append(UNDETERMINED_SHEET)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    headers = _entry_headers(basis)
    widths = [6, 22, 30, 12, 12, 14, 20, 24, 12, 8, 12, 12, 16, 10, 10, 12, 12, 12, 12, 16, 16, 12, 18, 50]
    for tier, name in sheets:
        sheet = book.add_worksheet(name)
        _title(book, sheet, f"{_catalog_title(catalog)} — {name}", len(headers))
        chosen = [entry for entry in entries if entry["tier"] == tier]
        _write_table(book, sheet, 2, headers, [_entry_row(i, e, basis) for i, e in enumerate(chosen, start=1)], widths)
    tiers = [tier for tier, _ in sheets]
    summary = book.add_worksheet("汇总")
    summary_headers = ["行政区划代码", "地区", "重点领域", *[name for _, name in sheets], "合计"]
    _title(book, summary, f"{_catalog_title(catalog)} — 汇总", len(summary_headers))
    _write_table(book, summary, 2, summary_headers, _summary_rows(entries, tiers), [12, 14, 18] + [14] * 6)
    notes = book.add_worksheet("参考数据说明")
    value_headers = list(REFERENCE_PAIR["policy"]) if basis == "policy" else ["1级", "2级", "3级限定值"]
    ref_headers = [
        "参考数据行",
        "版本年份",
        "重点领域",
        "产品或工序",
        "指标",
        "单位",
        *value_headers,
        "限额标准",
        "来源",
        "可信度",
        "已核实",
        "数据表",
        "表版本",
        "使用条目数",
    ]
    meta = [
        ("清单", _catalog_title(catalog)),
        ("状态", catalog.get("state_zh", catalog.get("state"))),
        ("发布时间", _moment(catalog.get("published_at"))),
        ("快照哈希 (sha256)", catalog.get("snapshot_hash") or "（未发布）"),
        ("参考数据表版本", "; ".join(f"{k}={v}" for k, v in sorted((catalog.get("reference_versions") or {}).items()))),
        ("说明", "参考值为空的条目列为“无法判定”，不作推测；“已核实=否”的参考值来自二手资料，使用时请核对官方文本。"),
    ]
    bold = book.add_format({"bold": True})
    for line, (label, value) in enumerate(meta):
        notes.write(line, 0, label, bold)
        notes.write(line, 1, value)
    _write_table(
        book,
        notes,
        len(meta) + 1,
        ref_headers,
        _reference_rows(rows, basis),
        [12, 8, 14, 20, 24, 12, 10, 10, 10, 28, 40, 40, 8, 24, 10, 10],
    )
    book.close()
    return buffer.getvalue()
