"""Validation of a survey before anything is classified: every problem with its row, column and reason.

Checks (vectorised with polars; the reason text of a bad identifier comes from the domain validators):
required cells; 统一社会信用代码 check character (GB 32100); 行政区划代码 (GB/T 2260, province list in
``reference/data/regions.csv``); numbers (not text, finite, 产量 ≥ 0); the product (``products.py``);
units (产量单位 converts to the indicator's product unit, 能耗单位 to the indicator's unit); a unit
consumption either reported or derivable from the energy columns (``energy.py``); duplicates (same
enterprise and same reference row). Rows are numbered as Excel shows them (header = row 1).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import polars as pl

from dualcarbon.assess.columns import SURVEY_COLUMNS, header_of
from dualcarbon.assess.energy import CoefficientUse, derive_unit_consumption
from dualcarbon.assess.reader import ROW, Survey
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.domain.efficiency import indicator_factor, output_factor, round_converted
from dualcarbon.domain.identifiers import (
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_WEIGHTS,
    normalise_code,
    validate_credit_code,
    validate_region_code,
)
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference import ReferenceSet

_CODE_PATTERN = r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"
_COLUMN_ORDER = {c.header: i for i, c in enumerate(SURVEY_COLUMNS)}


@dataclass(frozen=True)
class Issue:
    """One problem: Excel row number, the column's Chinese header ('' = whole row), the reason."""

    row: int
    column: str
    reason: str


@dataclass
class Validated:
    """Rows that passed (``frame``, with ``row_id``, ``value_r`` in the row's unit, ``scale`` = output in
    the indicator's product unit, ``value_source``), every issue, and the energy coefficients used."""

    frame: pl.DataFrame
    issues: list[Issue]
    rows_total: int
    coefficients: list[CoefficientUse] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({issue.row for issue in self.issues})


@lru_cache(maxsize=1)
def provinces() -> dict[str, str]:
    """Provincial-level codes (2 digits) → name, from ``reference/data/regions.csv``."""
    path = Path(str(resources.files("dualcarbon.reference") / "data" / "regions.csv"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["code"][:2]: row["name_zh"] for row in csv.DictReader(handle)}


def _issues(frame: pl.DataFrame, mask: pl.Expr, key: str, reason: pl.Expr | str) -> pl.DataFrame:
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.filter(mask).select(
        pl.col(ROW).alias("row"), pl.lit(header_of(key)).alias("column"), reason_expr.cast(pl.String).alias("reason")
    )


def _normalise_column(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Codes: spaces removed, upper case; full-width text goes through NFKC (few rows, in Python)."""
    plain = pl.col(key).str.replace_all(r"\s", "").str.to_uppercase()
    frame = frame.with_columns(plain.alias(key))
    odd = frame[key].str.contains(r"[^\x00-\x7F]").fill_null(False)
    if odd.any():
        values = frame[key].to_list()
        for index in odd.arg_true().to_list():
            values[index] = normalise_code(values[index])
        frame = frame.with_columns(pl.Series(key, values, dtype=pl.String))
    return frame


def _credit_code_valid() -> pl.Expr:
    code = pl.col("credit_code")
    value = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
    digits = [code.str.slice(i, 1).replace_strict(value, default=0, return_dtype=pl.Int64) for i in range(18)]
    total = pl.sum_horizontal([d * w for d, w in zip(digits[:17], CREDIT_CODE_WEIGHTS, strict=True)])
    check = (31 - total % 31) % 31
    return code.str.contains(_CODE_PATTERN) & (digits[17] == check)


def _region_valid(known: list[str]) -> pl.Expr:
    region = pl.col("region")
    return (
        region.str.contains(r"^[0-9]{6}$")
        & region.str.slice(0, 2).is_in(known)
        & ~((region.str.slice(2, 2) == "00") & (region.str.slice(4, 2) != "00"))
    )


def _explain(frame: pl.DataFrame, valid: pl.Expr, key: str, check: Callable[[str], str], prefix: str) -> pl.DataFrame:
    """Issues for the rows failing ``valid``; the reason is the domain validator's message."""
    bad = frame.filter(pl.col(key).is_not_null() & ~valid).select(ROW, key)
    reasons: dict[str, str] = {}
    for text in bad[key].unique().to_list():
        try:
            check(text)
            reasons[text] = f"{prefix}无效"
        except DualcarbonError as exc:
            reasons[text] = f"{prefix}无效：{exc.message}"
    return bad.select(
        pl.col(ROW).alias("row"),
        pl.lit(header_of(key)).alias("column"),
        pl.col(key).replace_strict(reasons, return_dtype=pl.String).alias("reason"),
    )


def _match_products(frame: pl.DataFrame, catalog: ProductCatalog) -> tuple[pl.DataFrame, pl.DataFrame]:
    keys = ["field", "product", "value_unit", "indicator"]
    combos = frame.filter(pl.col("field").is_not_null() & pl.col("product").is_not_null()).select(keys).unique()
    found: list[dict[str, str | None]] = []
    for field_name, product, value_unit, indicator in combos.iter_rows():
        entry: dict[str, str | None] = dict(zip(keys, (field_name, product, value_unit, indicator), strict=True))
        try:
            entry["row_id"] = catalog.match(field_name, product, value_unit, indicator).row_id
            entry["match_error"], entry["match_column"] = None, None
        except DualcarbonError as exc:
            entry["row_id"], entry["match_error"] = None, exc.message
            entry["match_column"] = header_of(exc.field or "product")
        found.append(entry)
    schema = {k: pl.String for k in [*keys, "row_id", "match_error", "match_column"]}
    table = pl.DataFrame(found, schema=schema)
    joined = frame.join(table, on=keys, how="left", nulls_equal=True)
    issues = joined.filter(pl.col("match_error").is_not_null()).select(
        pl.col(ROW).alias("row"), pl.col("match_column").alias("column"), pl.col("match_error").alias("reason")
    )
    return joined.drop("match_error", "match_column"), issues


def _factors(frame: pl.DataFrame, unit_key: str, units: dict[str, str], kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Join a conversion factor per (unit given, row unit); issues where the unit does not fit."""
    pairs = (
        frame.filter(pl.col(unit_key).is_not_null() & pl.col("row_id").is_not_null())
        .select(unit_key, "row_id")
        .unique()
    )
    rows: list[tuple[str, str, float | None, str | None]] = []
    for given, row_id in pairs.iter_rows():
        try:
            factor = output_factor(given, units[row_id]) if kind == "output" else indicator_factor(given, units[row_id])
            rows.append((given, row_id, factor, None))
        except DualcarbonError as exc:
            rows.append((given, row_id, None, f"{exc.message}（参考行 {row_id}）"))
    name = f"{kind}_factor"
    table = pl.DataFrame(
        rows,
        schema={unit_key: pl.String, "row_id": pl.String, name: pl.Float64, f"{kind}_error": pl.String},
        orient="row",
    )
    joined = frame.join(table, on=[unit_key, "row_id"], how="left")
    issues = _issues(joined, pl.col(f"{kind}_error").is_not_null(), unit_key, pl.col(f"{kind}_error"))
    return joined.drop(f"{kind}_error"), issues


def validate_survey(survey: Survey, catalog: ProductCatalog, reference: ReferenceSet) -> Validated:
    """Validate every row of ``survey`` against the edition in ``catalog``; nothing is dropped silently."""
    frame = _normalise_column(_normalise_column(survey.frame, "credit_code"), "region")
    parts: list[pl.DataFrame] = [
        pl.DataFrame(
            [(r, header_of(k), f"不是数字：'{t}'") for r, k, t in survey.bad_numbers],
            schema={"row": pl.Int64, "column": pl.String, "reason": pl.String},
            orient="row",
        )
    ]
    bad_number_cells = {(r, k) for r, k, _ in survey.bad_numbers}
    for column in SURVEY_COLUMNS:
        if column.required and column.key not in ("value", "value_unit"):
            missing = pl.col(column.key).is_null()
            if column.kind == "number":
                missing &= ~pl.col(ROW).is_in([r for r, k in bad_number_cells if k == column.key])
            parts.append(_issues(frame, missing, column.key, "必填项为空"))
    parts.append(_explain(frame, _credit_code_valid(), "credit_code", validate_credit_code, "统一社会信用代码"))
    known = list(provinces())
    parts.append(
        _explain(frame, _region_valid(known), "region", lambda code: validate_region_code(code, known), "行政区划代码")
    )
    for key in ("output", "value", *(c.key for c in SURVEY_COLUMNS if c.carrier), "comprehensive_tce"):
        parts.append(_issues(frame, pl.col(key).is_not_null() & ~pl.col(key).is_finite(), key, "不是有限数值"))
    # 综合能耗 may be negative (转炉工序 recovers more energy than it uses); quantities may not.
    for key in ("output", *(c.key for c in SURVEY_COLUMNS if c.carrier)):
        parts.append(_issues(frame, pl.col(key) < 0, key, "不能为负数"))
    parts.append(
        _issues(
            frame,
            pl.col("value").is_not_null() & pl.col("value_unit").is_null(),
            "value_unit",
            "填写了单位产品能耗时必须填写能耗单位",
        )
    )

    frame, product_issues = _match_products(frame, catalog)
    parts.append(product_issues)
    units = {row.row_id: row.unit for row in catalog.rows}
    frame, output_issues = _factors(frame, "output_unit", units, "output")
    parts.append(output_issues)
    frame, value_issues = _factors(
        frame.with_columns(pl.when(pl.col("value").is_not_null()).then(pl.col("value_unit")).alias("_value_unit_used")),
        "_value_unit_used",
        units,
        "value",
    )
    parts.append(value_issues.with_columns(pl.lit(header_of("value_unit")).alias("column")))

    factor = pl.col("value_factor")
    converted = pl.when(factor == 1.0).then(pl.col("value")).otherwise(pl.col("value") * factor)
    frame = frame.with_columns(
        converted.alias("value_r"),
        (pl.col("output") * pl.col("output_factor")).alias("scale"),
        pl.when(pl.col("value").is_not_null()).then(pl.lit("填报")).alias("value_source"),
    )
    needs_rounding = frame["value_factor"].is_not_null() & (frame["value_factor"] != 1.0)
    if needs_rounding.any():
        values = frame["value_r"].to_list()
        for index in needs_rounding.arg_true().to_list():
            values[index] = round_converted(values[index])
        frame = frame.with_columns(pl.Series("value_r", values, dtype=pl.Float64))

    frame, derive_issues, coefficients = derive_unit_consumption(frame, catalog, reference)
    not_numbers = [r for r, k in bad_number_cells if k == "value"]  # already reported as 不是数字
    parts.append(derive_issues.filter(~(pl.col("row").is_in(not_numbers) & (pl.col("column") == header_of("value")))))

    codes_ok = frame.filter(pl.col("row_id").is_not_null() & pl.col("credit_code").is_not_null())
    first = codes_ok.with_columns(pl.col(ROW).min().over(["credit_code", "row_id"]).alias("_first"))
    parts.append(
        first.filter(pl.col("_first") != pl.col(ROW)).select(
            pl.col(ROW).alias("row"),
            pl.lit(header_of("product")).alias("column"),
            pl.format("与第{}行重复（同一企业、同一产品指标 {}）", pl.col("_first"), pl.col("row_id")).alias("reason"),
        )
    )

    issues_frame = pl.concat(parts, how="vertical_relaxed").unique(maintain_order=True)
    issues = [Issue(int(r), c, t) for r, c, t in issues_frame.iter_rows()]
    issues.sort(key=lambda i: (i.row, _COLUMN_ORDER.get(i.column, 99)))
    bad = {issue.row for issue in issues}
    good = frame.filter(~pl.col(ROW).is_in(list(bad)))
    return Validated(good, issues, frame.height, coefficients)
