"""The catalogue of reference tables behind ``dualcarbon reference list/show``.

Owns, per table, the id column, the key columns shown by ``reference list TABLE``, the value columns and
the source/confidence columns that vouch for them, and the rules an import of the table is checked against
(units, numbers and ranges, grade order). Also the table summaries of ``reference list`` and the row look-up
of ``reference show``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dualcarbon.core.errors import InvalidInput, UnknownCarrier, UnknownReferenceRow
from dualcarbon.reference.tables import TABLES, ReferenceSet, Row


@dataclass(frozen=True)
class ValueGroup:
    """Value columns vouched for by one pair of source/confidence columns."""

    values: tuple[str, ...]
    source: str
    confidence: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    id_column: str
    key_columns: tuple[str, ...]  # shown by `reference list TABLE`
    groups: tuple[ValueGroup, ...] = ()
    required_for_new_rows: tuple[str, ...] = ()
    unit_columns: tuple[str, ...] = ()
    range_columns: tuple[str, ...] = ()  # numeric columns that may hold a range "a-b"
    integer_columns: tuple[str, ...] = ()
    grades: tuple[str, str, str] | None = None
    policy_levels: tuple[str, str] | None = None  # (benchmark, baseline), lower is better
    direction_column: str = ""  # column saying "higher is better" / "lower is better"; blank = lower

    @property
    def importable(self) -> bool:
        return self.id_column == "row_id"

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        return tuple(c for group in self.groups for c in group.values) + self.integer_columns

    @property
    def primary(self) -> ValueGroup | None:
        return self.groups[0] if self.groups else None


def _benchmark_spec(name: str, prefix: str) -> TableSpec:
    grades = (f"{prefix}std_grade1_1级", f"{prefix}std_grade2_2级", f"{prefix}std_grade3_3级限定值")
    return TableSpec(
        name=name,
        id_column="row_id",
        key_columns=(
            "row_id",
            "field_重点领域",
            "product_or_process",
            "unit",
            "benchmark_标杆水平",
            "baseline_基准水平",
            *grades,
        ),
        groups=(
            ValueGroup(("benchmark_标杆水平", "baseline_基准水平"), "policy_value_source", "policy_value_confidence"),
            ValueGroup(grades, f"{prefix}std_values_source", f"{prefix}std_values_confidence"),
        ),
        required_for_new_rows=("sector", "field_重点领域", "product_or_process", "indicator", "unit"),
        unit_columns=("unit",),
        grades=grades,
        policy_levels=("benchmark_标杆水平", "baseline_基准水平"),
    )


SPECS: dict[str, TableSpec] = {
    "carriers": TableSpec("carriers", "id", ("id", "name_zh", "name_en", "kind", "default_unit", "aliases")),
    "conversion_coefficients_gbt2589": TableSpec(
        "conversion_coefficients_gbt2589",
        "row_id",
        ("row_id", "energy_type", "coefficient", "coefficient_unit", "avg_low_calorific_value_kcal"),
        groups=(
            ValueGroup(
                ("coefficient", "avg_low_calorific_value_kcal", "avg_low_calorific_value_MJ"), "source", "confidence"
            ),
        ),
        required_for_new_rows=("energy_type", "coefficient_unit"),
        unit_columns=("coefficient_unit",),
        range_columns=("coefficient", "avg_low_calorific_value_kcal", "avg_low_calorific_value_MJ"),
    ),
    "emission_factors": TableSpec(
        "emission_factors",
        "row_id",
        (
            "row_id",
            "fuel",
            "low_calorific_value",
            "lcv_unit",
            "carbon_content_per_heat",
            "carbon_content_unit",
            "oxidation_rate_pct",
        ),
        groups=(
            ValueGroup(
                ("low_calorific_value", "carbon_content_per_heat", "oxidation_rate_pct"), "source", "confidence"
            ),
        ),
        required_for_new_rows=("fuel", "lcv_unit", "carbon_content_unit"),
        unit_columns=("lcv_unit", "carbon_content_unit"),
    ),
    "grid_emission_factors": TableSpec(
        "grid_emission_factors",
        "row_id",
        ("row_id", "data_year", "region", "factor_type", "value", "unit"),
        groups=(ValueGroup(("value",), "source", "confidence"),),
        required_for_new_rows=("data_year", "scope", "region", "factor_type", "unit"),
        unit_columns=("unit",),
    ),
    "power_supply_coal_rate": TableSpec(
        "power_supply_coal_rate",
        "row_id",
        ("row_id", "year", "metric", "value", "unit"),
        groups=(ValueGroup(("value",), "source", "confidence"),),
        required_for_new_rows=("year", "metric", "unit"),
        unit_columns=("unit",),
        integer_columns=("year",),
    ),
    "efficiency_benchmarks_2021": _benchmark_spec("efficiency_benchmarks_2021", "current_"),
    "efficiency_benchmarks_2023": _benchmark_spec("efficiency_benchmarks_2023", ""),
    "motor_efficiency_gb18613": TableSpec(
        "motor_efficiency_gb18613",
        "row_id",
        ("row_id", "equipment", "spec", "poles", "metric", "grade1_1级", "grade2_2级", "grade3_3级", "unit"),
        groups=(ValueGroup(("grade1_1级", "grade2_2级", "grade3_3级"), "source", "confidence"),),
        required_for_new_rows=("standard", "equipment", "spec", "metric", "unit", "better_direction"),
        unit_columns=("unit",),
        grades=("grade1_1级", "grade2_2级", "grade3_3级"),
        direction_column="better_direction",
    ),
    "pue_grades": TableSpec(
        "pue_grades",
        "row_id",
        ("row_id", "item", "scope", "threshold", "comparison", "unit"),
        groups=(ValueGroup(("threshold",), "source", "confidence"),),
        required_for_new_rows=("item", "metric", "comparison"),
        unit_columns=("unit",),
    ),
    # Values the platform decides itself (review tolerance, report year range); "year" is a label, not a unit.
    "platform_rules": TableSpec(
        "platform_rules",
        "row_id",
        ("row_id", "key", "value", "unit", "confidence"),
        groups=(ValueGroup(("value",), "source", "confidence"),),
        required_for_new_rows=("key", "unit"),
    ),
    # M&V rules (balance-point grids, G14 thresholds, data sufficiency, FSU): domain/mv_checks.py.
    "mv_criteria": TableSpec(
        "mv_criteria",
        "row_id",
        ("row_id", "key", "interval", "value", "unit", "confidence"),
        groups=(ValueGroup(("value",), "source", "confidence"),),
        required_for_new_rows=("key", "interval", "unit"),
    ),
    # Equipment benchmarking and waste-heat matching rules (load factor, ΔT_min, weights): equipment/.
    "equipment_rules": TableSpec(
        "equipment_rules",
        "row_id",
        ("row_id", "key", "value", "unit", "confidence"),
        groups=(ValueGroup(("value",), "source", "confidence"),),
        required_for_new_rows=("key", "unit"),
    ),
    # Grade tables of equipment other than GB 18613 motors; shipped empty, filled by an administrator's import.
    "equipment_efficiency_grades": TableSpec(
        "equipment_efficiency_grades",
        "row_id",
        ("row_id", "equipment_type", "rated_power_kw", "poles", "metric", "grade1_1级", "grade2_2级", "grade3_3级"),
        groups=(ValueGroup(("grade1_1级", "grade2_2级", "grade3_3级"), "source", "confidence"),),
        required_for_new_rows=("standard", "equipment_type", "rated_power_kw", "metric", "unit", "better_direction"),
        unit_columns=("unit",),
        grades=("grade1_1级", "grade2_2级", "grade3_3级"),
        direction_column="better_direction",
    ),
    # Time-of-use electricity bands (峰谷分时) and other carriers' prices by region-code prefix and years:
    # monitoring/service_cost.py. Shipped rows are a DEMO tariff of the synthetic demo city only.
    "electricity_tariffs_tou": TableSpec(
        "electricity_tariffs_tou",
        "row_id",
        ("row_id", "region_code", "year_from", "year_to", "carrier", "months", "hours", "band", "price", "unit"),
        groups=(ValueGroup(("price",), "source", "confidence"),),
        required_for_new_rows=("region_code", "year_from", "year_to", "carrier", "months", "hours", "band", "unit"),
        integer_columns=("year_from", "year_to"),
    ),
    # Cradle-to-gate emission factors of purchased materials (kgCO₂e per unit of the material): footprint/.
    # Shipped: one cited IPCC row and blank rows to fill by import (docs/footprint.md).
    "material_emission_factors": TableSpec(
        "material_emission_factors",
        "row_id",
        ("row_id", "material", "unit", "kgco2e_per_unit", "boundary"),
        groups=(ValueGroup(("kgco2e_per_unit",), "source", "confidence"),),
        required_for_new_rows=("material", "unit", "boundary"),
        unit_columns=("unit",),
    ),
}


def spec_for(table: str, reference: ReferenceSet | None = None) -> TableSpec:
    """The catalogue entry of ``table``; a table loaded by ``reference`` but not catalogued here gets a
    generic entry (its first columns as key columns, no value checks)."""
    if table in SPECS:
        return SPECS[table]
    if reference is not None and table in reference.tables and reference.tables[table].rows:
        columns = [c for c in reference.tables[table].rows[0] if c != "_version"]
        return TableSpec(table, "row_id" if "row_id" in columns else columns[0], tuple(columns[:6]))
    names = list(reference.tables) if reference is not None else list(TABLES)
    raise InvalidInput(f"unknown table '{table}' (tables: {', '.join(names)})", field="table")


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int
    blank_values: int  # rows whose primary value columns are all blank
    unverified: int  # rows whose primary confidence does not start with "verified"
    active_version: str


def summaries(reference: ReferenceSet) -> list[TableSummary]:
    out = []
    for name, table in reference.tables.items():
        primary = spec_for(name, reference).primary if table.rows else None
        blank = unverified = 0
        if primary is not None:
            for row in table.rows:
                if not any((row.get(c) or "").strip() for c in primary.values):
                    blank += 1
                if not (row.get(primary.confidence) or "").strip().lower().startswith("verified"):
                    unverified += 1
        out.append(TableSummary(name, len(table.rows), blank, unverified, table.active_version))
    return out


def find_row(reference: ReferenceSet, row_id: str) -> tuple[str, Row]:
    """The row with ``row_id`` in any table (carriers also by Chinese name or alias)."""
    wanted = row_id.strip()
    for name, table in reference.tables.items():
        id_column = spec_for(name, reference).id_column if table.rows else "row_id"
        for row in table.rows:
            if row.get(id_column, "").strip() == wanted:
                return name, row
    try:
        carrier = reference.carrier(wanted)
    except UnknownCarrier:
        raise UnknownReferenceRow(
            f"no reference row '{row_id}' in any table (see `dualcarbon reference list`)", field="id"
        ) from None
    return "carriers", next(row for row in reference.tables["carriers"].rows if row["id"] == carrier.id)


def blank_rows(reference: ReferenceSet, table: str) -> list[Row]:
    """The rows of ``table`` whose primary value columns are all blank (e.g. the 2023 标杆/基准 values not yet
    imported from the official text), in table order."""
    primary = spec_for(table, reference).primary
    if primary is None:
        return []
    return [row for row in reference.tables[table].rows if not any((row.get(c) or "").strip() for c in primary.values)]


def template_columns(table: str, reference: ReferenceSet | None = None) -> tuple[str, ...]:
    """The columns of the fill-in template of an importable table, all named as the import expects: the id,
    the columns that describe a row (field, product, indicator, unit …), then the primary values with their
    source and confidence (the columns an administrator fills)."""
    spec = spec_for(table, reference)
    if not spec.importable or spec.primary is None:
        raise InvalidInput(f"table '{table}' has no fill-in template (not importable by row id)", field="table")
    describing = tuple(c for c in spec.required_for_new_rows if c not in spec.primary.values)
    return (spec.id_column, *describing, *spec.primary.values, spec.primary.source, spec.primary.confidence)
