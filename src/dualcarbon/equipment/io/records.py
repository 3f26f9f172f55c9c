"""Reading an import sheet (.xlsx or .csv) into records keyed by field name, with Chinese or English headers.

Each importer declares its columns as ``field → (Chinese header, …)``; a header cell matches the field name
or any of its aliases (case and spaces ignored). Unknown headers and missing required columns are problems
of row 1; blank rows are skipped. Cells come back as stripped text (numbers from Excel as written, ``15.0``
→ ``"15"`` for whole numbers) so one validation path serves both formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dualcarbon.core.errors import InvalidInput
from dualcarbon.registry.service_sheet import read_rows

Problem = tuple[int, str, str]  # (spreadsheet row, column, reason)


class FileInvalid(InvalidInput):
    """The file has problems; ``problems`` lists (row, column, reason); nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        ordered = sorted(problems)
        lines = "; ".join(f"第 {r} 行 {c}: {why}" for r, c, why in ordered[:20])
        more = f"（另有 {len(ordered) - 20} 处）" if len(ordered) > 20 else ""
        super().__init__(f"{len(ordered)} 处问题，未导入 / nothing imported: {lines}{more}", field="file")
        self.problems = list(ordered)


def _key(text: object) -> str:
    return str(text).strip().lower().replace(" ", "").replace("（", "(").replace("）", ")")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_records(
    path: Path, columns: Mapping[str, tuple[str, ...]], required: Sequence[str]
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {field: text}) for every non-blank row; ``FileInvalid`` for header problems."""
    lookup: dict[str, str] = {}
    for name, aliases in columns.items():
        for alias in (name, *aliases):
            lookup[_key(alias)] = name
    rows = iter(read_rows(path))
    try:
        header_row, header_values = next(rows)
    except StopIteration:
        raise FileInvalid([(1, "file", "空文件 / empty file")]) from None
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for index, value in enumerate(header_values):
        if value is None or not str(value).strip():
            continue
        field = lookup.get(_key(value))
        if field is None:
            problems.append((header_row, str(value).strip(), "未知列 / unknown column"))
        elif field in positions:
            problems.append((header_row, str(value).strip(), "列重复 / duplicate column"))
        else:
            positions[field] = index
    for name in required:
        if name not in positions:
            problems.append((header_row, name, "缺少必填列 / required column missing"))
    if problems:
        raise FileInvalid(problems)
    out: list[tuple[int, dict[str, str]]] = []
    for number, values in rows:
        record = {name: _cell(values[i]) if i < len(values) else "" for name, i in positions.items()}
        if any(record.values()):
            out.append((number, record))
    return out
