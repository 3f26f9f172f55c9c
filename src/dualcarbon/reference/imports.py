"""Validating and importing official reference tables as new versions beside the shipped ones.

An administrator receives an official table (e.g. the 2023 policy 标杆/基准 values of 发改产业〔2023〕723号,
which the shipped data lacks), writes it as a CSV with the shipped table's column names (``row_id``
first; only the columns it fills), validates it, and imports it. The import is stored as
``<data_dir>/reference/<table>/<version>.csv`` and listed in ``<data_dir>/reference/manifest.json``; the
overlay loader in :mod:`dualcarbon.reference.tables` applies it. Nothing is overwritten: every import is a
new version, the identical file imported twice is one version, and a file with any problem leaves no
trace. Format and walk-through: ``docs/reference-import.md``.

Owns the validation report of a file, the import itself, and the manifest of versions (list, activate).
Reading the file and the cell rules: :mod:`dualcarbon.reference.import_rows`; the per-table catalogue the
rules come from: :mod:`dualcarbon.reference.catalogue`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dualcarbon.core.errors import InvalidInput, UnitMismatch, UnknownReferenceRow
from dualcarbon.reference.catalogue import spec_for
from dualcarbon.reference.import_rows import (
    LINE_KEY,
    check_unit,
    number_problem,
    order_problems,
    read_import_file,
    recognise_table,
    same_unit,
)
from dualcarbon.reference.table_files import shipped_columns
from dualcarbon.reference.tables import ReferenceSet, manifest_path

CONFIDENCE_PREFIXES = ("verified", "uncertain")


@dataclass(frozen=True)
class Problem:
    """One problem of a file: ``row`` is the row a person sees in the file or sheet (0 = the file itself)."""

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


def validate_file(
    path: Path, reference: ReferenceSet, table: str | None = None, *, sheet_rows: Sequence[int] | None = None
) -> ValidationReport:
    """Check an official table before import; every problem is listed with row, column and reason.

    Rows are numbered as a person sees them: the line of the CSV (blank lines counted), or — for a CSV read
    out of a workbook — ``sheet_rows``, the sheet row of each record (the header's first)."""
    content, header, rows = read_import_file(path)
    lines = [int(row.pop(LINE_KEY)) for row in rows]
    header_row = 1
    if sheet_rows is not None:
        header_row, lines = sheet_rows[0], list(sheet_rows[1 : len(rows) + 1])
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
    # A table shipped without rows (a schema for an administrator to fill) knows its columns from its header.
    known = (set(next(iter(current.values()), {})) or set(shipped_columns(name))) - {"_version"}
    for column in header:
        if column not in known:
            problems.append(Problem(header_row, "", column, f"unknown column for table {name}"))
    if len(set(header)) != len(header):
        problems.append(Problem(header_row, "", "", "a column name appears twice"))
    seen: dict[str, int] = {}
    additions: list[str] = []
    updates: list[str] = []
    for number, row in zip(lines, rows, strict=True):
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
            if cell and (reason := number_problem(cell, column in spec.range_columns, column in spec.integer_columns)):
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
            if old and not same_unit(old, cell):
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
        for column, reason in order_problems(spec, merged):
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
