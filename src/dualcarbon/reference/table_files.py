"""Reading the reference tables from disk: shipped CSVs overlaid by administrator-imported versions.

Layout of imports in a data directory (written by :mod:`dualcarbon.reference.imports`)::

    <data_dir>/reference/manifest.json              {"tables": {name: [{"version", "file", ...}, ...]}}
    <data_dir>/reference/<table>/<version>.csv      same columns as the shipped table, ``row_id`` first

The last entry per table in the manifest is active. Overlay rows replace the shipped cells they fill (a
blank overlay cell keeps the shipped value) and may add rows with new ids. Every row remembers which
version it came from (``_version``), so outputs can cite it.

This module knows files, cells and versions only; the typed look-ups over the loaded rows (carriers,
coefficients, grid factors …) are :class:`dualcarbon.reference.tables.ReferenceSet`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dualcarbon.reference.model import Provenance

Row = dict[str, str]

#: The shipped tables, in the order ``dualcarbon reference list`` shows them.
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
    "mv_criteria",
    "equipment_rules",
    "equipment_efficiency_grades",
    "electricity_tariffs_tou",
    "material_emission_factors",
)
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
    """All rows of a UTF-8 CSV file (a BOM is tolerated) as column → cell dictionaries."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def shipped_path(table: str) -> Path:
    """Path of the CSV shipped with the package for ``table`` (it may not exist for an imported-only table)."""
    return Path(str(resources.files("dualcarbon.reference") / "data" / f"{table}.csv"))


def shipped_columns(table: str) -> list[str]:
    """The header of the shipped CSV of ``table`` (empty when it is not shipped) — the columns of a table that
    ships without rows."""
    path = shipped_path(table)
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


@dataclass(frozen=True)
class TableVersion:
    """The rows of one table as used, with the version of each row (``shipped`` or an import id)."""

    name: str
    rows: tuple[Row, ...]
    versions: tuple[str, ...]  # all versions applied, shipped first

    @property
    def active_version(self) -> str:
        return self.versions[-1]


def overlay(base: list[Row], rows: Iterable[Row], version: str) -> list[Row]:
    """``base`` with ``rows`` laid over it by ``row_id``: filled cells replace, new ids are appended."""
    by_id = {row["row_id"]: dict(row) for row in base}
    order = [row["row_id"] for row in base]
    for row in rows:
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


def manifest_path(data_dir: Path) -> Path:
    """Where the import manifest of ``data_dir`` lives."""
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


def imported_table_names(data_dir: Path | None) -> list[str]:
    """Tables named in the manifest of ``data_dir`` (shipped or not), in manifest order."""
    if data_dir is None or not manifest_path(data_dir).exists():
        return []
    manifest = json.loads(manifest_path(data_dir).read_text(encoding="utf-8"))
    return list(manifest.get("tables", {}))


def load_table(name: str, data_dir: Path | None) -> TableVersion:
    """The shipped rows of ``name`` (none when not shipped) with every active import of ``data_dir`` laid over."""
    shipped = shipped_path(name)
    rows = read_csv_rows(shipped) if shipped.exists() else []
    for row in rows:
        row["_version"] = "shipped"
    versions = ["shipped"]
    for entry in imported_versions(data_dir, name):
        rows = overlay(rows, read_csv_rows(Path(entry["path"])), entry["version"])
        versions.append(entry["version"])
    return TableVersion(name, tuple(rows), tuple(versions))


def provenance(row: Row, table: str, source_key: str = "source", confidence_key: str = "confidence") -> Provenance:
    """The source, confidence, table and version of ``row``."""
    return Provenance(
        source=row.get(source_key, ""),
        confidence=row.get(confidence_key, ""),
        table=table,
        version=row.get("_version", "shipped"),
    )
