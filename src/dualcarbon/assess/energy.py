"""Unit consumption derived from the survey's energy columns when 单位产品能耗 is left blank.

e = E / M (GB/T 2589-2020 单位产品综合能耗), vectorised over the survey:

* standard-coal or oil-equivalent indicators (kgce/t, kgoe/t …): E = 综合能耗(tce) when given, else
  Σ quantity × reference 折标系数 over the carrier columns (当量值, via ``domain.energy.convert_line``
  and the GB/T 2589 rows of the ReferenceSet), converted from tce to the indicator's numerator;
* electricity indicators (kWh/t): E = 电力(万千瓦时) in kWh.

M is 产量 converted to the indicator's product unit. Every coefficient used is returned with its row id
and provenance so the catalog can cite it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dualcarbon.assess.columns import ENERGY_COLUMNS, header_of
from dualcarbon.assess.reader import ROW
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.core.units import conversion_factor
from dualcarbon.domain.efficiency import energy_kind, indicator_unit_parts
from dualcarbon.domain.energy import convert_line
from dualcarbon.domain.energy_lines import EnergyLine
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference import ReferenceSet

_ISSUE_SCHEMA = {"row": pl.Int64, "column": pl.String, "reason": pl.String}


@dataclass(frozen=True)
class CoefficientUse:
    """A GB/T 2589 coefficient used to derive unit consumptions (for the 参考数据说明 sheet)."""

    row_id: str
    name: str
    value: float
    unit: str
    source: str
    confidence: str
    verified: bool
    column: str
    rows: int


def _empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=_ISSUE_SCHEMA)


def derive_unit_consumption(
    frame: pl.DataFrame, catalog: ProductCatalog, reference: ReferenceSet
) -> tuple[pl.DataFrame, pl.DataFrame, list[CoefficientUse]]:
    """Fill ``value_r`` (row unit) where it is blank but energy columns allow computing it."""
    todo = pl.col("value").is_null() & pl.col("row_id").is_not_null() & pl.col("scale").is_not_null()
    if frame.filter(todo).is_empty():
        return frame, _empty_issues(), []
    rows = {row.row_id: row for row in catalog.rows}
    needed = frame.filter(todo)["row_id"].unique().to_list()
    electric_per_column: dict[str, float] = {}
    tce_to_numerator: dict[str, float] = {}
    for row_id in needed:
        numerator = indicator_unit_parts(rows[row_id].unit)[0]
        if energy_kind(numerator) == "electricity":
            electric_per_column[row_id] = conversion_factor("万千瓦时", numerator)
        else:
            tce_to_numerator[row_id] = conversion_factor("tce", numerator)

    issues: list[pl.DataFrame] = []
    uses: list[CoefficientUse] = []
    terms: list[pl.Expr] = []
    sources: list[pl.Expr] = []
    candidates = frame.filter(todo)
    for column in ENERGY_COLUMNS:
        used = candidates.filter(pl.col(column.key).is_not_null())
        if used.is_empty():
            continue
        assert column.carrier and column.unit
        try:
            line, _ = convert_line(EnergyLine(column.carrier, 1.0, column.unit), reference)
        except DualcarbonError as exc:
            issues.append(
                used.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(column.header).alias("column"),
                    pl.lit(f"无法折算：{exc.message}").alias("reason"),
                )
            )
            continue
        uses.append(
            CoefficientUse(
                line.source_row or "",
                line.carrier_name,
                line.coefficient,
                line.coefficient_unit,
                line.source,
                line.confidence,
                bool(line.verified),
                column.header,
                used.height,
            )
        )
        terms.append(pl.col(column.key) * line.tce)
        sources.append(pl.when(pl.col(column.key).is_not_null()).then(pl.lit(line.source_row)))

    kind_electric = pl.col("row_id").is_in(list(electric_per_column))
    carriers_given = pl.any_horizontal([pl.col(c.key).is_not_null() for c in ENERGY_COLUMNS])
    carrier_tce = pl.sum_horizontal(terms) if terms else pl.lit(None, dtype=pl.Float64)
    energy_tce = pl.coalesce(pl.col("comprehensive_tce"), pl.when(carriers_given).then(carrier_tce))
    numerator_energy = (
        pl.when(kind_electric)
        .then(
            pl.col("electricity")
            * pl.col("row_id").replace_strict(electric_per_column, default=None, return_dtype=pl.Float64)
        )
        .otherwise(
            energy_tce * pl.col("row_id").replace_strict(tce_to_numerator, default=None, return_dtype=pl.Float64)
        )
    )
    note = (
        pl.when(kind_electric)
        .then(pl.lit("由电力消费量计算"))
        .when(pl.col("comprehensive_tce").is_not_null())
        .then(pl.lit("由综合能耗计算"))
        .otherwise(
            pl.format("由能源消费量计算（{}）", pl.concat_str(sources, separator="、", ignore_nulls=True))
            if sources
            else pl.lit("由能源消费量计算")
        )
    )
    frame = frame.with_columns(
        pl.when(todo).then(numerator_energy).alias("_energy"),
    )
    no_energy = todo & pl.col("_energy").is_null()
    zero_output = todo & pl.col("_energy").is_not_null() & (pl.col("scale") == 0)
    issues.append(
        frame.filter(no_energy).select(
            pl.col(ROW).alias("row"),
            pl.lit(header_of("value")).alias("column"),
            pl.when(kind_electric)
            .then(pl.lit("为空，且本行没有电力(万千瓦时)可用于计算电耗指标"))
            .otherwise(pl.lit("为空，且本行没有综合能耗(tce)或能源消费量可用于计算"))
            .alias("reason"),
        )
    )
    issues.append(
        frame.filter(zero_output).select(
            pl.col(ROW).alias("row"),
            pl.lit(header_of("output")).alias("column"),
            pl.lit("产量为0，无法由能源消费量计算单位产品能耗").alias("reason"),
        )
    )
    ok = todo & pl.col("_energy").is_not_null() & (pl.col("scale") != 0)
    frame = frame.with_columns(
        pl.when(ok).then(pl.col("_energy") / pl.col("scale")).otherwise(pl.col("value_r")).alias("value_r"),
        pl.when(ok).then(note).otherwise(pl.col("value_source")).alias("value_source"),
    ).drop("_energy")
    return frame, pl.concat(issues, how="vertical_relaxed") if issues else _empty_issues(), uses
