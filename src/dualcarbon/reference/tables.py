"""The reference tables as one :class:`ReferenceSet`: typed look-ups by carrier, year, region and row id.

The rows come from :mod:`dualcarbon.reference.table_files` (shipped CSVs overlaid by administrator imports;
the loading names ``TABLES``, ``Row``, ``manifest_path``, ``parse_number`` … are re-exported here for the
callers that import them from this module). This module turns rows into the typed values of
:mod:`dualcarbon.reference.model` and raises ``MissingCoefficient`` naming the table and the row when a
value the caller needs is blank or absent. Use :func:`load_reference` to get the active set.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from dualcarbon.core.errors import MissingCoefficient, UnknownCarrier, UnknownReferenceRow
from dualcarbon.reference.model import (
    IMPORT_HINT,
    BenchmarkRow,
    CarbonateFactor,
    Carrier,
    ConversionCoefficient,
    EmissionDefaults,
    GridFactor,
    PlatformRule,
    Provenance,
    SupplyCoalRate,
)
from dualcarbon.reference.table_files import (
    BENCHMARK_TABLE,
    TABLES,
    Row,
    TableVersion,
    imported_table_names,
    imported_versions,
    load_table,
    manifest_path,
    parse_number,
    parse_range,
    read_csv_rows,
)
from dualcarbon.reference.table_files import provenance as _provenance

__all__ = [
    "BENCHMARK_TABLE",
    "CARBONATE_CATEGORY",
    "REPORT_DEVIATION_TOLERANCE_PCT",
    "REPORT_YEAR_MAX",
    "REPORT_YEAR_MIN",
    "TABLES",
    "ReferenceSet",
    "Row",
    "TableVersion",
    "imported_versions",
    "load_reference",
    "manifest_path",
    "parse_number",
    "parse_range",
    "read_csv_rows",
    "shipped_reference",
]

# Keys of the platform_rules table read by the code.
REPORT_DEVIATION_TOLERANCE_PCT = "report_deviation_tolerance_pct"
REPORT_YEAR_MIN = "report_year_min"
REPORT_YEAR_MAX = "report_year_max"
#: ``fuel_category`` of the carbonate rows of ``emission_factors`` (their factor sits in the
#: ``carbon_content_per_heat`` column with its unit, like the heat factor row).
CARBONATE_CATEGORY = "碳酸盐"
# "碳酸钙（CaCO3）" → name 碳酸钙, formula CaCO3 (the formula may hold brackets itself: CaMg(CO3)2).
_MINERAL = re.compile(r"^(?P<name>[^（(]+?)\s*[（(](?P<formula>.+)[)）]\s*$")


class ReferenceSet:
    """All reference tables as used for one computation: lookups by carrier, year, region, row id."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        names = list(TABLES)
        names += [name for name in imported_table_names(data_dir) if name not in names]
        self.tables: dict[str, TableVersion] = {name: load_table(name, data_dir) for name in names}
        self._carriers = [self._carrier(row) for row in self.tables["carriers"].rows]
        self._carrier_index: dict[str, Carrier] = {}
        for carrier in self._carriers:
            for key in (carrier.id, carrier.name_zh, carrier.name_en, *carrier.aliases):
                self._carrier_index.setdefault(_key(key), carrier)
        self._benchmarks: dict[str, list[BenchmarkRow]] = {}
        self._benchmark_index: dict[str, BenchmarkRow] = {}
        for name, table in self.tables.items():
            match = BENCHMARK_TABLE.match(name)
            if match:
                rows = [self._benchmark(row, match.group(1), name) for row in table.rows]
                self._benchmarks[match.group(1)] = rows
                self._benchmark_index.update({row.row_id: row for row in rows})

    # ---- versions -------------------------------------------------------------------------------
    def versions(self) -> dict[str, str]:
        """Active version of every table (``shipped`` or the import id) — hashed into published catalogs."""
        return {name: table.active_version for name, table in sorted(self.tables.items())}

    # ---- carriers -------------------------------------------------------------------------------
    @staticmethod
    def _carrier(row: Row) -> Carrier:
        return Carrier(
            id=row["id"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            aliases=tuple(a for a in row.get("aliases", "").split("|") if a),
            kind=row["kind"],
            default_unit=row["default_unit"],
            conversion_row=row.get("conversion_row", ""),
            emission_row=row.get("emission_row", ""),
            biomass=row.get("biomass", "false").lower() == "true",
        )

    def carriers(self) -> list[Carrier]:
        return list(self._carriers)

    def carrier(self, name_or_id: str) -> Carrier:
        """Resolve a carrier by id, Chinese name, English name or alias (``电力``, ``electricity``, ``电``)."""
        found = self._carrier_index.get(_key(name_or_id))
        if found is None:
            raise UnknownCarrier(f"unknown energy carrier '{name_or_id}' (see `dualcarbon reference list carriers`)")
        return found

    # ---- GB/T 2589 conversion coefficients -----------------------------------------------------
    def conversion_coefficient(self, carrier: Carrier) -> ConversionCoefficient:
        """Reference 折标系数 of ``carrier``; raises ``MissingCoefficient`` when there is no row at all."""
        table = self.tables["conversion_coefficients_gbt2589"]
        for row in table.rows:
            if row["energy_type"] == carrier.conversion_row and carrier.conversion_row:
                return ConversionCoefficient(
                    row_id=row["row_id"],
                    row_name=row["energy_type"],
                    value=parse_number(row["coefficient"]),
                    value_range=parse_range(row["coefficient"]),
                    unit=row["coefficient_unit"],
                    ncv_kcal=parse_number(row["avg_low_calorific_value_kcal"]),
                    provenance=_provenance(row, table.name),
                )
        raise MissingCoefficient(
            f"no GB/T 2589 conversion coefficient for {carrier.name_zh} ({carrier.id}) in "
            f"conversion_coefficients_gbt2589; give a measured ncv, or {IMPORT_HINT}"
        )

    # ---- combustion defaults --------------------------------------------------------------------
    def emission_defaults(self, carrier: Carrier) -> EmissionDefaults:
        table = self.tables["emission_factors"]
        for row in table.rows:
            if carrier.emission_row and row["fuel"] == carrier.emission_row:
                ncv = parse_number(row["low_calorific_value"])
                cc = parse_number(row["carbon_content_per_heat"])
                ox = parse_number(row["oxidation_rate_pct"])
                if ncv is None or cc is None or ox is None:
                    break
                return EmissionDefaults(
                    row_id=row["row_id"],
                    row_name=row["fuel"],
                    ncv=ncv,
                    ncv_unit=row["lcv_unit"],
                    carbon_content_tc_per_tj=cc,
                    oxidation_fraction=ox / 100.0,
                    provenance=_provenance(row, table.name),
                )
        raise MissingCoefficient(
            f"no default combustion parameters (NCV, carbon content, oxidation) for {carrier.name_zh} "
            f"({carrier.id}) in emission_factors; give ncv, carbon_content and oxidation measured, or {IMPORT_HINT}"
        )

    def heat_emission_factor(self) -> tuple[float, Provenance]:
        """Default CO₂ factor of purchased heat in tCO₂/GJ (GB/T 32150-2025 §7.5.6–7.5.7 per the table)."""
        table = self.tables["emission_factors"]
        for row in table.rows:
            if row["fuel"].startswith("热力"):
                value = parse_number(row["carbon_content_per_heat"]) or parse_number(row["low_calorific_value"])
                if value is not None:
                    return value, _provenance(row, table.name)
        raise MissingCoefficient(f"no heat emission factor row (热力) in emission_factors; {IMPORT_HINT}")

    # ---- carbonates ------------------------------------------------------------------------------
    def carbonate_factors(self) -> list[CarbonateFactor]:
        """The carbonate decomposition factors of ``emission_factors`` (rows of category 碳酸盐) with a value."""
        table = self.tables["emission_factors"]
        out: list[CarbonateFactor] = []
        for row in table.rows:
            if row.get("fuel_category", "").strip() != CARBONATE_CATEGORY:
                continue
            match = _MINERAL.match(row["fuel"].strip())
            value = parse_number(row.get("carbon_content_per_heat"))
            if match is None or value is None:
                continue
            out.append(
                CarbonateFactor(
                    row["row_id"],
                    match["name"],
                    match["formula"],
                    value,
                    row.get("carbon_content_unit", ""),
                    _provenance(row, table.name),
                )
            )
        return out

    def carbonate_factor(self, mineral: str) -> CarbonateFactor:
        """The factor of one carbonate by formula (``CaCO3``, ``CaCO₃``, any case) or Chinese name (``碳酸钙``)."""
        wanted = _formula_key(mineral)
        factors = self.carbonate_factors()
        for factor in factors:
            if wanted in (_formula_key(factor.formula), _formula_key(factor.mineral)):
                return factor
        have = ", ".join(f"{f.mineral} {f.formula}" for f in factors) or "none"
        raise MissingCoefficient(
            f"no carbonate factor for '{mineral}' in emission_factors (have: {have}); give 'factor' in tCO2/t, "
            f"or {IMPORT_HINT}"
        )

    # ---- electricity ------------------------------------------------------------------------------
    def grid_factors(self) -> list[GridFactor]:
        table = self.tables["grid_emission_factors"]
        out: list[GridFactor] = []
        for row in table.rows:
            value = parse_number(row["value"])
            if value is None:
                continue
            year_cell = row["data_year"].strip()
            year = int(year_cell) if year_cell.isdigit() else None
            kind = row["factor_type"]
            if year is None:
                basis = "reporting_default"
            elif "不包括" in kind or "不含" in kind:
                basis = "excluding_market_nonfossil"
            elif "化石能源" in kind:
                basis = "fossil"
            else:
                basis = "average"
            out.append(
                GridFactor(
                    row["row_id"],
                    year,
                    year_cell,
                    row["scope"],
                    row["region"],
                    kind,
                    basis,
                    value,
                    _provenance(row, table.name),
                )
            )
        return out

    def grid_factor(self, year: int, region: str = "全国", basis: str = "average") -> GridFactor:
        """Grid factor for a data year, a region (全国, a grid 华东…, or a province) and a 口径."""
        matches = [f for f in self.grid_factors() if f.year == year and f.region == region and f.basis == basis]
        if not matches:
            have = sorted({(f.year, f.region) for f in self.grid_factors() if f.basis == basis and f.year}, key=str)
            years = sorted({y for y, r in have if r == region and y is not None})
            raise MissingCoefficient(
                f"no {basis} grid emission factor for year {year}, region '{region}' "
                f"(years available for this region: {years or 'none'}); give 'factor', or {IMPORT_HINT}"
            )
        return matches[0]

    # ---- 供电煤耗 ---------------------------------------------------------------------------------
    def supply_coal_rate(self, year: int) -> SupplyCoalRate:
        table = self.tables["power_supply_coal_rate"]
        for row in table.rows:
            if row["year"].strip() == str(year):
                rate = SupplyCoalRate(row["row_id"], year, parse_number(row["value"]), _provenance(row, table.name))
                if rate.value_gce_per_kwh is None:
                    raise MissingCoefficient(
                        f"供电标准煤耗 for {year} is blank in power_supply_coal_rate (row {row['row_id']}); "
                        f"give 'equal_rate' or {IMPORT_HINT}"
                    )
                return rate
        raise MissingCoefficient(
            f"no 供电标准煤耗 for {year} in power_supply_coal_rate; give 'equal_rate' or {IMPORT_HINT}"
        )

    # ---- platform rules ---------------------------------------------------------------------------
    def platform_rule(self, key: str) -> PlatformRule:
        """The ``platform_rules`` row with ``key``; ``MissingCoefficient`` when absent or blank."""
        table = self.tables["platform_rules"]
        for row in table.rows:
            if row.get("key", "").strip() == key:
                value = parse_number(row.get("value"))
                if value is None:
                    raise MissingCoefficient(
                        f"platform rule '{key}' is blank in platform_rules (row {row['row_id']}); {IMPORT_HINT}"
                    )
                return PlatformRule(row["row_id"], key, value, row.get("unit", ""), _provenance(row, table.name))
        raise MissingCoefficient(f"no platform rule '{key}' in platform_rules; {IMPORT_HINT}")

    def report_deviation_tolerance_pct(self) -> float:
        """Reported figures further than this (in % of the computed value) from the computed ones are flagged."""
        return self.platform_rule(REPORT_DEVIATION_TOLERANCE_PCT).value

    def report_year_range(self) -> tuple[int, int]:
        """The first and last year a period report (or its deadline) may be for, both included."""
        return int(self.platform_rule(REPORT_YEAR_MIN).value), int(self.platform_rule(REPORT_YEAR_MAX).value)

    # ---- benchmarks and grades --------------------------------------------------------------------
    @staticmethod
    def _benchmark(row: Row, edition: str, table: str) -> BenchmarkRow:
        grade_keys = [k for k in row if k.startswith(("std_grade", "current_std_grade"))]
        grade = {k.split("_grade")[1][0]: parse_number(row[k]) for k in grade_keys}
        limit = row.get("limit_standard") or row.get("current_limit_standard") or ""
        std_source = row.get("std_values_source") or row.get("current_std_values_source") or ""
        std_conf = row.get("std_values_confidence") or row.get("current_std_values_confidence") or ""
        return BenchmarkRow(
            row_id=row["row_id"],
            edition=row.get("edition") or edition,
            sector=row.get("sector", ""),
            field=row.get("field_重点领域", ""),
            product=row.get("product_or_process", ""),
            indicator=row.get("indicator", ""),
            unit=row.get("unit", ""),
            benchmark=parse_number(row.get("benchmark_标杆水平")),
            baseline=parse_number(row.get("baseline_基准水平")),
            policy_provenance=Provenance(
                row.get("policy_value_source", ""),
                row.get("policy_value_confidence", ""),
                table,
                row.get("_version", "shipped"),
            ),
            limit_standard=limit,
            grade_1=grade.get("1"),
            grade_2=grade.get("2"),
            grade_3=grade.get("3"),
            grade_provenance=Provenance(std_source, std_conf, table, row.get("_version", "shipped")),
            notes=row.get("notes", ""),
            aliases=tuple(a for a in row.get("aliases", "").split("|") if a),
        )

    def editions(self) -> list[str]:
        return sorted(self._benchmarks)

    def benchmark_rows(self, edition: str) -> list[BenchmarkRow]:
        if edition not in self._benchmarks:
            raise UnknownReferenceRow(f"no benchmark edition '{edition}' (have {', '.join(self.editions())})")
        return list(self._benchmarks[edition])

    def benchmark_row(self, row_id: str) -> BenchmarkRow:
        found = self._benchmark_index.get(row_id.strip())
        if found is None:
            raise UnknownReferenceRow(f"unknown benchmark row id '{row_id}' (see `dualcarbon reference list`)")
        return found


def _key(text: str) -> str:
    return text.strip().lower().replace("（", "(").replace("）", ")").replace(" ", "")


def _formula_key(text: str) -> str:
    """``'CaCO₃'`` and ``' caco3 '`` → ``'caco3'`` (subscript digits as digits, no spaces, lower case)."""
    return _key(text.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")))


@lru_cache(maxsize=1)
def shipped_reference() -> ReferenceSet:
    """The shipped tables alone (no imports); cached."""
    return ReferenceSet(None)


def load_reference(data_dir: Path | None = None) -> ReferenceSet:
    """Shipped tables overlaid by the imports active in ``data_dir`` (shipped only when None)."""
    if data_dir is None or not manifest_path(data_dir).exists():
        return shipped_reference()
    return ReferenceSet(data_dir)
