"""Reading an official-table CSV into rows and checking single cells and rows of it.

Owns the file format of a reference import (a UTF-8 CSV with the shipped table's column names; ``row_id``
first), the recognition of the table a header belongs to, and the cell rules used by
:func:`dualcarbon.reference.imports.validate_file`: numbers exactly as the loader reads them back, ranges
``low-high``, whole numbers, unit cells, and the order of grades and of 标杆/基准 levels.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from dualcarbon.core.errors import InvalidInput, UnitMismatch
from dualcarbon.core.units import convert, parse_unit
from dualcarbon.reference.catalogue import TableSpec, spec_for
from dualcarbon.reference.tables import ReferenceSet, Row

_DIMENSIONLESS = frozenset({"-", "% points"})
_CHEMICAL_TAG = re.compile(r"(?<=[kgtM])(CO₂e|CO2e|CO₂|CO2|C)(?=$|[/*·)\s])")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")  # what tables.parse_number reads back exactly
#: Key of a row read by :func:`read_import_file` holding the line of the file the record starts on.
LINE_KEY = "\0line"
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)$")


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


def same_unit(a: str, b: str) -> bool:
    """Same text, or units that convert with factor 1 (``kgCO₂/kWh`` and ``tCO₂/MWh``)."""
    if a.strip() == b.strip() or _unit_core(a) == _unit_core(b):
        return True
    try:
        return math.isclose(convert(1.0, _unit_core(a), _unit_core(b)), 1.0)
    except UnitMismatch:
        return False


def read_import_file(path: Path) -> tuple[bytes, list[str], list[Row]]:
    """(raw bytes, header, rows) of a CSV import; blank lines are skipped, short records padded with blanks,
    and a record longer than the header is marked with the key ``"\\0extra"`` for the validator to flag.
    Each row carries under :data:`LINE_KEY` the line of the file it starts on (blank lines counted)."""
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
    records: list[tuple[int, list[str]]] = []  # (line the record starts on, as an editor numbers it; cells)
    line = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            records.append((line, record))
        line = reader.line_num + 1
    if not records:
        raise InvalidInput("the file is empty", field=str(path))
    header, body = records[0][1], records[1:]
    rows = [dict(zip(header, record + [""] * (len(header) - len(record)), strict=False)) for _, record in body]
    for index, (number, record) in enumerate(body):
        rows[index][LINE_KEY] = str(number)  # popped by the validator: the row number a person sees
        if len(record) > len(header):
            rows[index]["\0extra"] = "1"  # flagged by the validator
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


def number_problem(cell: str, allow_range: bool, integer: bool) -> str | None:
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


def order_problems(spec: TableSpec, merged: Row) -> list[tuple[str, str]]:
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
