"""Reading a bill of materials (物料清单) CSV for ``dualcarbon footprint compute --materials FILE.csv``.

Layout: UTF-8 (a BOM is tolerated), a header row with ``material``, ``quantity``, ``unit`` and optionally
``row_id`` (the factor row of ``material_emission_factors`` to use). Chinese headers 材料 / 数量 / 单位 /
因子行 are accepted. Every problem names the file row (the header is row 1) and the column; nothing is read
partially.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import ValidationError

from dualcarbon.core.errors import InvalidInput
from dualcarbon.footprint.schemas import MaterialLine

HEADERS = {"材料": "material", "数量": "quantity", "单位": "unit", "因子行": "row_id"}
REQUIRED = ("material", "quantity", "unit")


def read_materials(path: Path) -> list[MaterialLine]:
    """The lines of the bill in ``path``; ``InvalidInput`` naming the row and column of the first problem."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: cannot read ({exc})", field="materials", zh=f"无法读取 {path.name}") from None
    if not rows:
        raise InvalidInput(f"{path.name}: empty file", field="materials", zh=f"{path.name} 为空")
    header = [HEADERS.get(cell.strip(), cell.strip()) for cell in rows[0]]
    absent = [name for name in REQUIRED if name not in header]
    if absent:
        raise InvalidInput(
            f"{path.name}: the header lacks {', '.join(absent)} (material, quantity, unit[, row_id])",
            field="materials",
            zh=f"{path.name} 表头缺少列：{'、'.join(absent)}",
        )
    lines: list[MaterialLine] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        data = {name: cells.get(name) or None for name in (*REQUIRED, "row_id")}
        try:
            lines.append(MaterialLine.model_validate(data))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = str(first["loc"][0]) if first["loc"] else "row"
            raise InvalidInput(
                f"{path.name} row {number}, column {column}: {first['msg']}",
                field=f"materials[{len(lines)}].{column}",
                zh=f"{path.name} 第 {number} 行“{column}”列有误：{first['msg']}",
            ) from None
    return lines
