"""The 汇总 tables of a catalog: counts per tier, output and needed savings by region and by field.

Output totals are in the indicator's product unit (t, 重量箱, m² …), so the field tables group by that
unit too; an enterprise reporting two indicators of one product (电石: kgce/t and kWh/t) counts its
output once. Needed savings are summed per indicator row: the electricity saving of a product is part of
its comprehensive-energy saving, so a field's two sums must not be added together.
"""

from __future__ import annotations

import polars as pl

from dualcarbon.assess.columns import GB_SHEETS, POLICY_SHEETS
from dualcarbon.core.vocab import CatalogBasis as Basis
from dualcarbon.domain.efficiency import REFERENCE_ZH


def tier_labels(basis: Basis) -> dict[str, str]:
    return POLICY_SHEETS if basis == "policy" else GB_SHEETS


def _aggregations(basis: Basis) -> list[pl.Expr]:
    upper, lower = REFERENCE_ZH[basis]
    once = pl.struct("credit_code", "r_product").is_first_distinct()
    return [
        pl.len().alias("评估条数"),
        *[(pl.col("tier") == tier).sum().alias(label) for tier, label in tier_labels(basis).items()],
        pl.col("scale").filter(once).sum().alias("产量合计"),
        pl.col("saving_upper_tce").sum().alias(f"达到{upper}需节能量合计(tce/年)"),
        pl.col("saving_lower_tce").sum().alias(f"达到{lower}需节能量合计(tce/年)"),
    ]


def summary_tables(
    classified: pl.DataFrame, undetermined: pl.DataFrame, basis: Basis, provinces: dict[str, str]
) -> list[tuple[str, pl.DataFrame]]:
    """(title, table) pairs: by region × field, by region, by field."""
    data = classified.with_columns(
        pl.col("r_unit").str.split_exact("/", 1).struct.field("field_1").str.strip_chars("() ").alias("unit_den"),
        pl.col("region").str.slice(0, 2).replace_strict(provinces, default="").alias("province"),
    )
    undetermined_counts = undetermined.group_by("region").len().rename({"len": "无法判定条数"})
    by_region_field = (
        data.group_by("region", "province", "r_field", "unit_den")
        .agg(_aggregations(basis))
        .sort("region", "r_field", "unit_den")
        .rename({"region": "行政区划代码", "province": "省份", "r_field": "重点领域", "unit_den": "产量单位"})
    )
    by_region = (
        data.group_by("region", "province")
        .agg([expr for expr in _aggregations(basis) if expr.meta.output_name() != "产量合计"])
        .join(undetermined_counts, on="region", how="full", coalesce=True)
        .with_columns(pl.col("无法判定条数").fill_null(0), pl.col("评估条数").fill_null(0))
        .sort("region")
        .rename({"region": "行政区划代码", "province": "省份"})
    )
    by_field = (
        data.group_by("r_field", "unit_den")
        .agg(_aggregations(basis))
        .sort("r_field", "unit_den")
        .rename({"r_field": "重点领域", "unit_den": "产量单位"})
    )
    return [
        ("按行政区划和重点领域", by_region_field),
        ("按行政区划", by_region),
        ("按重点领域", by_field),
    ]
