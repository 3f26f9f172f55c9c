"""Loading the reference tables: shipped CSVs overlaid by administrator-imported versions.

Layout of imports in a data directory (written by :mod:`dualcarbon.reference.imports`)::

    <data_dir>/reference/manifest.json              {"tables": {name: [{"version", "file", ...}, ...]}}
    <data_dir>/reference/<table>/<version>.csv      same columns as the shipped table, ``row_id`` first

The last entry per table in the manifest is active. Overlay rows replace the shipped cells they fill (a
blank overlay cell keeps the shipped value) and may add rows with new ids. Every row remembers which
version it came from, so outputs can cite it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dualcarbon.core.errors import MissingCoefficient, UnknownCarrier, UnknownReferenceRow
from dualcarbon.reference.model import (
    IMPORT_HINT,
    BenchmarkRow,
    Carrier,
    ConversionCoefficient,
    EmissionDefaults,
    GridFactor,
    PlatformRule,
    Provenance,
    SupplyCoalRate,
)

Row = dict[str, str]

TABLES: tuple[str, ...] = (
    "carriers",
    "conversion_coefficients_gbt2589",
    "emission_factors",
    "grid_emission_factors",
    "power_supply_coal_rate",
    "efficiency_benchmarks_2021",
    "efficiency_benchmarks_2023",
    "motor_efficiency_gb18613",
    "pue_grades",
    "platform_rules",
)
# Keys of the platform_rules table read by the code.
REPORT_DEVIATION_TOLERANCE_PCT = "report_deviation_tolerance_pct"
REPORT_YEAR_MIN = "report_year_min"
REPORT_YEAR_MAX = "report_year_max"
BENCHMARK_TABLE = re.compile(r"^efficiency_benchmarks_(\d{4})$")
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-\s*(-?\d+(?:\.\d+)?))?")


def parse_number(cell: str | None) -> float | None:
    """A single number from a cell (``'12000 (derived)'`` → 12000.0); None when blank or a range."""
    if cell is None or not cell.strip():
        return None
    match = _NUMBER.match(cell)
    if match is None or match.group(2) is not None:
        return None
    return float(match.group(1))


def parse_range(cell: str | None) -> tuple[float, float] | None:
    """``'0.5714-0.6143'`` → (0.5714, 0.6143); None when not a range."""
    if cell is None:
        return None
    match = _NUMBER.match(cell)
    if match is None or match.group(2) is None:
        return None
    return float(match.group(1)), float(match.group(2))


def read_csv_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def _shipped_path(table: str) -> Path:
    return Path(str(resources.files("dualcarbon.reference") / "data" / f"{table}.csv"))


@dataclass(frozen=True)
class TableVersion:
    """The rows of one table as used, with the version of each row (``shipped`` or an import id)."""

    name: str
    rows: tuple[Row, ...]
    versions: tuple[str, ...]  # all versions applied, shipped first

    @property
    def active_version(self) -> str:
        return self.versions[-1]


def _overlay(base: list[Row], overlay: Iterable[Row], version: str) -> list[Row]:
    by_id = {row["row_id"]: dict(row) for row in base}
    order = [row["row_id"] for row in base]
    for row in overlay:
        row_id = row.get("row_id", "").strip()
        target = by_id.get(row_id)
        if target is None:
            target = {key: "" for key in (base[0] if base else row)}
            target["row_id"] = row_id
            by_id[row_id] = target
            order.append(row_id)
        for key, value in row.items():
            if key and value is not None and value.strip() != "":
                target[key] = value.strip()
        target["_version"] = version
    return [by_id[row_id] for row_id in order]


def _load_table(name: str, data_dir: Path | None) -> TableVersion:
    shipped = _shipped_path(name)
    rows = read_csv_rows(shipped) if shipped.exists() else []
    for row in rows:
        row["_version"] = "shipped"
    versions = ["shipped"]
    for entry in imported_versions(data_dir, name):
        rows = _overlay(rows, read_csv_rows(Path(entry["path"])), entry["version"])
        versions.append(entry["version"])
    return TableVersion(name, tuple(rows), tuple(versions))


def manifest_path(data_dir: Path) -> Path:
    return data_dir / "reference" / "manifest.json"


def imported_versions(data_dir: Path | None, table: str) -> list[dict[str, str]]:
    """Imported versions of ``table`` in import order, each with ``version`` and absolute ``path``."""
    if data_dir is None:
        return []
    path = manifest_path(data_dir)
    if not path.exists():
        return []
    manifest = json.loads(path.read_text(encoding="utf-8"))
    entries: list[dict[str, str]] = []
    for entry in manifest.get("tables", {}).get(table, []):
        if entry.get("active", True):
            entries.append({**entry, "path": str(data_dir / "reference" / entry["file"])})
    return entries


def _provenance(row: Row, table: str, source_key: str = "source", confidence_key: str = "confidence") -> Provenance:
    return Provenance(
        source=row.get(source_key, ""),
        confidence=row.get(confidence_key, ""),
        table=table,
        version=row.get("_version", "shipped"),
    )


class ReferenceSet:
    """All reference tables as used for one computation: lookups by carrier, year, region, row id."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        names = list(TABLES)
        if data_dir is not None and manifest_path(data_dir).exists():
            manifest = json.loads(manifest_path(data_dir).read_text(encoding="utf-8"))
            names += [name for name in manifest.get("tables", {}) if name not in names]
        self.tables: dict[str, TableVersion] = {name: _load_table(name, data_dir) for name in names}
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


@lru_cache(maxsize=1)
def shipped_reference() -> ReferenceSet:
    """The shipped tables alone (no imports); cached."""
    return ReferenceSet(None)


def load_reference(data_dir: Path | None = None) -> ReferenceSet:
    """Shipped tables overlaid by the imports active in ``data_dir`` (shipped only when None)."""
    if data_dir is None or not manifest_path(data_dir).exists():
        return shipped_reference()
    return ReferenceSet(data_dir)
