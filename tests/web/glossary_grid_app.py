"""A one-page NiceGUI app for tests/web/test_glossary_grid.py: the shared grids over rows whose first cell in a
column looks like a date and whose other cells do not (a subsidy trace: the validity date, then figures and
labels). Run as ``python glossary_grid_app.py PORT``.

``/`` shows :func:`data_table` and :func:`paged_table` as the pages make them; ``/?infer=1`` turns AG Grid's
type inference back on for the same grids, so the test can show that it is what blanked the cells.
"""

from __future__ import annotations

import sys
from typing import Any

from nicegui import ui

from dualcarbon.core.access import Principal
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, paged_table

ROWS = [
    {"item": "有效期至", "value": "2023-12-31"},
    {"item": "金额", "value": "112,751.5000"},
    {"item": "并网模式", "value": "自发自用、余量上网"},
    {"item": "已接入平台", "value": "是"},
]
COLUMNS = (Column("item", "subsidies.fact"), Column("value", "subsidies.value"))


def _context() -> WebContext:
    return WebContext(
        factory=None,  # type: ignore[arg-type]  # the grids call no service
        secret="",
        principal=Principal(None, "grid", (), frozenset(), "zh"),
        display_name="grid",
        language="zh",
        csrf="",
        path="/",
    )


def _infer(grid: ui.aggrid) -> None:
    for definition in grid.options["columnDefs"]:
        definition.pop("cellDataType", None)  # AG Grid's default: infer the type from the first row
    grid.update()


@ui.page("/")
def grids(infer: str = "") -> None:
    ctx = _context()

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        return ROWS[offset : offset + limit], len(ROWS)

    shown = data_table(ctx, COLUMNS, ROWS, export_name="grid", testid="client-grid")
    paged = paged_table(ctx, COLUMNS, fetch, export_name="grid", testid="server-grid").grid
    if infer:
        _infer(shown)
        _infer(paged)


if __name__ in {"__main__", "__mp_main__"}:
    ui.run(host="127.0.0.1", port=int(sys.argv[1]), reload=False, show=False, title="grids")
