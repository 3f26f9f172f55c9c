"""Validating and importing official reference tables as new versions beside the shipped ones.

An administrator receives an official table (e.g. the 2023 policy 标杆/基准 values of 发改产业〔2023〕723号,
which the shipped data lacks), writes it as a CSV with the shipped table's column names (``row_id``
first; only the columns it fills), validates it, and imports it. The import is stored as
``<data_dir>/reference/<table>/<version>.csv`` and listed in ``<data_dir>/reference/manifest.json``; the
overlay loader in :mod:`dualcarbon.reference.tables` applies it. Nothing is overwritten: every import is a
new version, the identical file imported twice is one version, and a file with any problem leaves no
trace. Format and walk-through: ``docs/reference-import.md``.

Also owns the per-table catalogue used by ``dualcarbon reference list/show`` (key columns, value columns
and the source/confidence columns that vouch for them).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from dualcarbon.core.errors import InvalidInput, UnitMismatch, UnknownCarrier, UnknownReferenceRow
from dualcarbon.core.units import convert, parse_unit
from dualcarbon.reference.tables import TABLES, ReferenceSet, Row, manifest_path


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
}

CONFIDENCE_PREFIXES = ("verified", "uncertain")
_DIMENSIONLESS = frozenset({"-", "% points"})
_CHEMICAL_TAG = re.compile(r"(?<=[kgtM])(CO₂e|CO2e|CO₂|CO2|C)(?=$|[/*·)\s])")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")  # what tables.parse_number reads back exactly
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)$")


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


def _unit_core(text: str) -> str:
    """The unit without a trailing remark (``(= tCO₂/MWh)``) and without chemical tags on masses."""
    cleaned = re.sub(r"\s*\(=.*\)\s*$", "", text.strip())
    return cleaned if cleaned in _DIMENSIONLESS else _CHEMICAL_TAG.sub("", cleaned)


def check_unit(text: str) -> None:
    """A unit cell must be a unit: ``kgce/t``, ``tCO₂/MWh`` (a chemical tag on a mass is allowed),
    ``-`` (dimensionless); a trailing parenthetical remark (``kgCO₂/kWh (= tCO₂/MWh)``) is ignored."""
    core = _unit_core(text)
    if core not in _DIMENSIONLESS:
        parse_unit(core)


def _same_unit(a: str, b: str) -> bool:
    """Same text, or units that convert with factor 1 (``kgCO₂/kWh`` and ``tCO₂/MWh``)."""
    if a.strip() == b.strip() or _unit_core(a) == _unit_core(b):
        return True
    try:
        return math.isclose(convert(1.0, _unit_core(a), _unit_core(b)), 1.0)
    except UnitMismatch:
        return False


@dataclass(frozen=True)
class Problem:
    """One problem of a file: ``row`` counts records with the header as row 1 (0 = the file itself)."""

    row: int
    row_id: str
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" ({self.row_id})" if self.row_id else "") if self.row else "file"
        return f"{where}, column {self.column or '-'}: {self.reason}"


@dataclass(frozen=True)
class ValidationReport:
    path: str
    table: str
    sha256: str
    rows: int
    problems: tuple[Problem, ...]
    additions: tuple[str, ...]  # row ids not in the shipped table
    updates: tuple[str, ...]  # row ids of the shipped table the file fills
    content: bytes = field(repr=False, default=b"")

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(path: Path) -> tuple[bytes, list[str], list[Row]]:
    if path.suffix.lower() != ".csv":
        raise InvalidInput("only CSV files (UTF-8) can be imported; save the sheet as 'CSV UTF-8'", field=str(path))
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"not UTF-8 text (byte {exc.start}); save the file as 'CSV UTF-8'", field=str(path)
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records = [record for record in reader if any(cell.strip() for cell in record)]
    if not records:
        raise InvalidInput("the file is empty", field=str(path))
    header, body = records[0], records[1:]
    rows = [dict(zip(header, record + [""] * (len(header) - len(record)), strict=False)) for record in body]
    for index, record in enumerate(body):
        if len(record) > len(header):
            rows[index]["\0extra"] = "1"  # flagged below
    return content, header, rows


def recognise_table(header: Sequence[str], rows: Sequence[Row], reference: ReferenceSet) -> str:
    """The importable table whose columns include every column of ``header``; ties broken by row ids."""
    columns = set(header)
    importable = [name for name, t in reference.tables.items() if t.rows and spec_for(name, reference).importable]
    candidates = [name for name in importable if columns <= set(reference.tables[name].rows[0])]
    if not candidates:
        raise InvalidInput(
            f"the header matches no reference table; give --table NAME (tables: {', '.join(importable)})",
            field="header",
        )
    if len(candidates) == 1:
        return candidates[0]
    ids = {row.get("row_id", "").strip() for row in rows}

    def score(name: str) -> tuple[int, int]:
        """(row ids found in the table, row ids with the table's id prefix such as 'BM2023')."""
        table_ids = {r["row_id"] for r in reference.tables[name].rows}
        prefixes = {i.rsplit("-", 1)[0] for i in table_ids}
        return len(ids & table_ids), sum(1 for i in ids if i.rsplit("-", 1)[0] in prefixes)

    scores = {name: score(name) for name in candidates}
    best = max(scores.values())
    winners = [name for name, value in scores.items() if value == best]
    if best == (0, 0) or len(winners) > 1:
        raise InvalidInput(
            f"the header fits several tables ({', '.join(candidates)}); give --table NAME", field="header"
        )
    return winners[0]


def _number(cell: str, allow_range: bool, integer: bool) -> str | None:
    """None when ``cell`` is a valid number (or range); else the reason."""
    text = cell.strip()
    if integer:
        return None if text.isdigit() else f"'{cell}' is not a whole number"
    if _PLAIN_NUMBER.match(text):
        return None
    if allow_range and (match := _RANGE.match(text)):
        return None if float(match.group(1)) <= float(match.group(2)) else f"range '{cell}' is not low-high"
    return f"'{cell}' is not a number" + (" or a range low-high" if allow_range else "")


def _value(row: Row, column: str) -> float | None:
    text = (row.get(column) or "").strip()
    return float(text) if _PLAIN_NUMBER.match(text) else None


def _ordered(spec: TableSpec, merged: Row) -> list[tuple[str, str]]:
    """(column, reason) pairs where grades or benchmark/baseline are out of order."""
    out: list[tuple[str, str]] = []
    direction = (merged.get(spec.direction_column, "") if spec.direction_column else "").strip().lower()
    lower_better = direction in ("", "lower is better")
    if spec.grades and direction in ("", "lower is better", "higher is better"):
        present = [(c, v) for c in spec.grades if (v := _value(merged, c)) is not None]
        for (col_a, a), (col_b, b) in pairwise(present):
            if (lower_better and a > b) or (not lower_better and a < b):
                sign = "≤" if lower_better else "≥"
                out.append(
                    (
                        col_b,
                        f"grades not monotonic: {col_a} {a:g} should be {sign} {col_b} {b:g} "
                        f"({'lower' if lower_better else 'higher'} is better)",
                    )
                )
    if spec.policy_levels:
        benchmark, baseline = (_value(merged, c) for c in spec.policy_levels)
        if benchmark is not None and baseline is not None and benchmark > baseline:
            out.append(
                (spec.policy_levels[0], f"benchmark {benchmark:g} should be ≤ baseline {baseline:g} (lower is better)")
            )
    return out


def validate_file(path: Path, reference: ReferenceSet, table: str | None = None) -> ValidationReport:
    """Check an official table before import; every problem is listed with row, column and reason."""
    content, header, rows = _read(path)
    problems: list[Problem] = []
    if "row_id" not in header:
        raise InvalidInput("the header has no 'row_id' column (the first column of every table)", field="header")
    name = table or recognise_table(header, rows, reference)
    spec = spec_for(name, reference)
    if not spec.importable:
        raise InvalidInput(
            f"table '{name}' cannot be imported (its rows are keyed by '{spec.id_column}')", field="table"
        )
    current = {row["row_id"]: row for row in reference.tables[name].rows}
    shipped = {row["row_id"] for row in ReferenceSet(None).tables[name].rows}
    known = set(next(iter(current.values()), {})) - {"_version"}
    for column in header:
        if column not in known:
            problems.append(Problem(1, "", column, f"unknown column for table {name}"))
    if len(set(header)) != len(header):
        problems.append(Problem(1, "", "", "a column name appears twice"))
    seen: dict[str, int] = {}
    additions: list[str] = []
    updates: list[str] = []
    for number, row in enumerate(rows, start=2):
        row_id = row.get("row_id", "").strip()

        def flag(column: str, reason: str, _n: int = number, _id: str = row_id) -> None:
            problems.append(Problem(_n, _id, column, reason))

        if row.pop("\0extra", None):
            flag("", "more cells than header columns")
        if not row_id:
            flag("row_id", "row_id is blank")
            continue
        if row_id in seen:
            flag("row_id", f"duplicate row id (also row {seen[row_id]})")
        else:
            seen[row_id] = number
            (updates if row_id in shipped else additions).append(row_id)
        for column in spec.numeric_columns:
            cell = (row.get(column) or "").strip()
            if cell and (reason := _number(cell, column in spec.range_columns, column in spec.integer_columns)):
                flag(column, reason)
        for column in spec.unit_columns:
            cell = (row.get(column) or "").strip()
            if not cell:
                continue
            try:
                check_unit(cell)
            except UnitMismatch as exc:
                flag(column, exc.message)
                continue
            old = (current.get(row_id) or {}).get(column, "").strip()
            if old and not _same_unit(old, cell):
                flag(
                    column,
                    f"unit '{cell}' differs from the unit '{old}' of the existing row; give the values in '{old}'",
                )
        for group in spec.groups:
            if not any((row.get(c) or "").strip() for c in group.values):
                continue
            if not (row.get(group.source) or "").strip():
                flag(group.source, f"a source is required for the values in {', '.join(group.values)}")
            confidence = (row.get(group.confidence) or "").strip()
            if not confidence:
                flag(group.confidence, "a confidence is required ('verified: …' or 'uncertain: …')")
            elif not confidence.lower().startswith(CONFIDENCE_PREFIXES):
                flag(group.confidence, "confidence must start with 'verified' or 'uncertain'")
        merged = {**current.get(row_id, {}), **{k: v.strip() for k, v in row.items() if v and v.strip()}}
        if row_id not in current:
            for column in spec.required_for_new_rows:
                if not merged.get(column, "").strip():
                    flag(column, "required for a new row (the row id is not in the table)")
        for column, reason in _ordered(spec, merged):
            flag(column, reason)
    if not rows:
        problems.append(Problem(0, "", "", "the file has a header but no rows"))
    return ValidationReport(
        str(path),
        name,
        hashlib.sha256(content).hexdigest(),
        len(rows),
        tuple(problems),
        tuple(additions),
        tuple(updates),
        content,
    )


# ---- storing versions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    table: str
    version: str
    created: bool  # False when the identical file was already imported
    report: ValidationReport
    active: bool = True


def read_manifest(data_dir: Path) -> dict[str, Any]:
    path = manifest_path(data_dir)
    if not path.exists():
        return {"format": 1, "tables": {}}
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    manifest.setdefault("tables", {})
    return manifest


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_manifest(data_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    _atomic_write(manifest_path(data_dir), text.encode("utf-8"))


def version_id(sha256: str, now: datetime | None = None) -> str:
    """``2026-11-22T10-30-00Z-<sha256[:8]>`` (UTC; sortable; safe as a file name)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H-%M-%SZ}-{sha256[:8]}"


def import_file(
    path: Path, data_dir: Path, table: str | None = None, note: str = "", now: datetime | None = None
) -> ImportResult:
    """Validate ``path`` and store it as a new active version of its table; all or nothing.

    Raises ``InvalidInput`` listing the problems when the file does not validate (nothing is written).
    """
    report = validate_file(path, ReferenceSet(data_dir), table)
    if not report.ok:
        listed = "; ".join(str(p) for p in report.problems[:20])
        more = f" (and {len(report.problems) - 20} more)" if len(report.problems) > 20 else ""
        raise InvalidInput(f"{len(report.problems)} problem(s), nothing imported: {listed}{more}", field=path.name)
    manifest = read_manifest(data_dir)
    entries: list[dict[str, Any]] = manifest["tables"].setdefault(report.table, [])
    for entry in entries:
        if entry.get("sha256") == report.sha256:
            return ImportResult(report.table, entry["version"], False, report, bool(entry.get("active", True)))
    version = version_id(report.sha256, now)
    relative = f"{report.table}/{version}.csv"
    target = data_dir / "reference" / relative
    _atomic_write(target, report.content)
    entries.append(
        {
            "version": version,
            "file": relative,
            "sha256": report.sha256,
            "imported_at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
            "source_file": Path(path).name,
            "note": note,
            "rows": report.rows,
            "additions": list(report.additions),
            "updates": len(report.updates),
            "active": True,
        }
    )
    try:
        _write_manifest(data_dir, manifest)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return ImportResult(report.table, version, True, report)


def versions(data_dir: Path | None, table: str) -> list[dict[str, Any]]:
    """All imported versions of ``table`` (active or not), oldest first, after the implicit ``shipped``."""
    if data_dir is None:
        return []
    entries: list[dict[str, Any]] = read_manifest(data_dir)["tables"].get(table, [])
    return entries


def set_active(data_dir: Path, table: str, version: str, *, only: bool = False) -> list[str]:
    """Make the table's state "as of ``version``": that version and the earlier ones active, later ones
    inactive (``shipped`` deactivates every import). With ``only``, deactivate just ``version``.
    Returns the versions whose flag changed."""
    manifest = read_manifest(data_dir)
    entries: list[dict[str, Any]] = manifest["tables"].get(table, [])
    ids = [entry["version"] for entry in entries]
    if version != "shipped" and version not in ids:
        raise UnknownReferenceRow(
            f"no version '{version}' of table {table} (have: {', '.join(ids) or 'none'})", field="version"
        )
    if only and version == "shipped":
        raise InvalidInput("the shipped table cannot be deactivated", field="version")
    position = -1 if version == "shipped" else ids.index(version)
    changed = []
    for index, entry in enumerate(entries):
        if only:
            wanted = False if index == position else bool(entry.get("active", True))
        else:
            wanted = index <= position
        if bool(entry.get("active", True)) != wanted:
            entry["active"] = wanted
            changed.append(entry["version"])
    if changed:
        _write_manifest(data_dir, manifest)
    return changed


# ---- catalogue for `reference list/show` -----------------------------------------------------------------


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
