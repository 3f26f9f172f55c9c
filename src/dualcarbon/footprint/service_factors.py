"""The material emission-factor table (``material_emission_factors``) as administrators keep it for footprints.

* :func:`list_factors` — the rows in use (shipped rows overlaid by imports), each with its version and source.
* :func:`check_factors` — every problem of a factor file, row and column named (nothing stored).
* :func:`import_factors` — administrators only: a file that passes every check becomes the next version of
  the reference table (:func:`dualcarbon.reference.imports.import_file` — stored in the data directory,
  listed in its manifest, the identical file again is no new version); any problem and nothing is stored.
  Audited as ``footprint.factors.import``.

A file row names a material; it fills the existing row of that material (by name or alias — e.g. the blank
rows shipped for 钢材, 电解铝 …) or adds a row ``MEF-U<n>``. Every number needs its source and a confidence
(``verified: …`` / ``uncertain: …``); nothing is estimated here.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, PermissionDenied, UnitMismatch
from dualcarbon.core.localtime import to_local
from dualcarbon.footprint.io_factors import COLUMNS, REQUIRED, ZH_OF, Row, read_factor_rows
from dualcarbon.footprint.schemas import FactorImportOut, FactorOut, FactorProblem
from dualcarbon.reference.import_rows import check_unit, same_unit
from dualcarbon.reference.imports import CONFIDENCE_PREFIXES, import_file
from dualcarbon.reference.table_files import parse_number
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.store.audit import append_audit

TABLE = "material_emission_factors"
NEW_ID_PREFIX = "MEF-U"
FIRST_YEAR = 1990
#: the reference table's columns, in its order, that an import file writes
TABLE_COLUMNS = (
    "row_id",
    "material",
    "aliases",
    "unit",
    "kgco2e_per_unit",
    "boundary",
    "gases",
    "data_year",
    "document",
    "clause",
    "source",
    "confidence",
    "notes",
)


@dataclass(frozen=True)
class CheckedFile:
    problems: list[FactorProblem]
    rows: list[Row]  # in the reference table's columns, row ids assigned
    updates: list[str]
    additions: list[str]


def _key(text: str) -> str:
    return text.strip().lower().replace("（", "(").replace("）", ")").replace(" ", "")


def list_factors(reference: ReferenceSet) -> list[FactorOut]:
    table = reference.tables.get(TABLE)
    out = []
    for row in table.rows if table else ():
        value = parse_number(row.get("kgco2e_per_unit"))
        year = row.get("data_year", "").strip()
        out.append(
            FactorOut(
                row_id=row["row_id"],
                material=row.get("material", ""),
                aliases=[a for a in row.get("aliases", "").split("|") if a],
                unit=row.get("unit", ""),
                kgco2e_per_unit=value,
                boundary=row.get("boundary", ""),
                data_year=int(year) if year.isdigit() else None,
                source=row.get("source", ""),
                document=row.get("document", ""),
                clause=row.get("clause", ""),
                confidence=row.get("confidence", ""),
                version=row.get("_version", "shipped"),
            )
        )
    return out


def _row_problems(row: Row, this_year: int) -> list[tuple[str, str]]:
    problems = [(c, "required") for c in REQUIRED if not row.get(c, "").strip()]
    unit = row.get("unit", "").strip()
    if unit:
        try:
            check_unit(unit)
        except UnitMismatch as exc:
            problems.append(("unit", exc.message))
    factor = row.get("kgco2e_per_unit", "").strip()
    if factor:
        try:
            value = float(factor.replace(",", ""))
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            problems.append(("kgco2e_per_unit", f"'{factor}' is not a number > 0 (kgCO₂e per unit)"))
    year = row.get("data_year", "").strip()
    if year and not (year.isdigit() and FIRST_YEAR <= int(year) <= this_year):
        problems.append(("data_year", f"'{year}' is not a year from {FIRST_YEAR} to {this_year}"))
    confidence = row.get("confidence", "").strip()
    if confidence and not confidence.lower().startswith(CONFIDENCE_PREFIXES):
        problems.append(("confidence", "must start with 'verified' or 'uncertain'"))
    if len(row.get("material", "")) > 200:
        problems.append(("material", "longer than 200 characters"))
    return problems


def check_factors(content: bytes, name: str, reference: ReferenceSet) -> CheckedFile:
    """Every problem of the file; the rows ready for the reference table when there is none."""
    _, rows = read_factor_rows(content, name)
    this_year = to_local(datetime.now(UTC)).year
    existing = list(reference.tables[TABLE].rows) if TABLE in reference.tables else []
    by_name: dict[str, Row] = {}
    for old in existing:
        for alias in [old.get("material", ""), *old.get("aliases", "").split("|")]:
            if alias:
                by_name.setdefault(_key(alias), old)
    taken = {old["row_id"] for old in existing}
    numbers = [i.removeprefix(NEW_ID_PREFIX) for i in taken if i.startswith(NEW_ID_PREFIX)]
    next_number = 1 + max((int(n) for n in numbers if n.isdigit()), default=0)
    problems: list[FactorProblem] = []
    seen: dict[str, int] = {}
    out: list[Row] = []
    updates: list[str] = []
    additions: list[str] = []
    for number, row in rows:
        for column, reason in _row_problems(row, this_year):
            problems.append(FactorProblem(row=number, column=column, column_zh=ZH_OF[column], reason=reason))
        key = _key(row.get("material", ""))
        if key in seen:
            problems.append(
                FactorProblem(row=number, column="material", column_zh="材料", reason=f"also on row {seen[key]}")
            )
            continue
        seen[key] = number
        match = by_name.get(key)
        if match is not None:
            row_id = match["row_id"]
            unit, old_unit = row.get("unit", "").strip(), match.get("unit", "").strip()
            if unit and old_unit and not same_unit(unit, old_unit):
                reason = (
                    f"row {row_id} of {match.get('material')} is per '{old_unit}': give the factor per '{old_unit}'"
                )
                problems.append(FactorProblem(row=number, column="unit", column_zh="单位", reason=reason))
            updates.append(row_id)
        else:
            row_id = f"{NEW_ID_PREFIX}{next_number:03d}"
            next_number += 1
            additions.append(row_id)
        out.append({"row_id": row_id, **{c: row.get(c, "").strip() for c in COLUMNS}})
    if not rows:
        problems.append(FactorProblem(row=0, column="", column_zh="", reason="the file has a header but no rows"))
    return CheckedFile(problems, out, updates, additions)


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators import reference tables", zh="仅管理员可导入排放因子表")


def import_factors(
    session: Session,
    actor: Principal,
    content: bytes,
    name: str,
    data_dir: Path,
    reference: ReferenceSet,
    *,
    note: str = "",
    dry_run: bool = False,
) -> FactorImportOut:
    """Check the file and (unless ``dry_run``) store it as the next version of the table; all or nothing."""
    _require_admin(actor)
    checked = check_factors(content, name, reference)
    if checked.problems:
        listed = "; ".join(f"row {p.row} {p.column}: {p.reason}" for p in checked.problems[:20])
        raise InvalidInput(
            f"{len(checked.problems)} problem(s), nothing imported: {listed}",
            field=f"file.row{checked.problems[0].row}.{checked.problems[0].column}",
            zh=f"{len(checked.problems)} 处问题，未导入：第 {checked.problems[0].row} 行"
            f"“{checked.problems[0].column_zh}”：{checked.problems[0].reason}",
        )
    result = FactorImportOut(
        table=TABLE, rows=len(checked.rows), updates=checked.updates, additions=checked.additions, dry_run=dry_run
    )
    if dry_run:
        return result
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{Path(name).stem or 'factors'}.csv"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=TABLE_COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(checked.rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        stored = import_file(path, data_dir, TABLE, note or f"footprint factors from {Path(name).name}")
    result.version, result.created = stored.version, stored.created
    append_audit(
        session,
        actor.username,
        "footprint.factors.import",
        "reference_table",
        TABLE,
        None,
        {
            "version": stored.version,
            "created": stored.created,
            "sha256": stored.report.sha256,
            "file": Path(name).name,
            "updates": checked.updates,
            "additions": checked.additions,
            "note": note,
        },
    )
    return result
