"""Every grid of the web UI shows a column that mixes a date with figures and labels (ui/web/tables.py).

AG Grid infers a column's type from its first row: a first cell "2023-12-31" made the column a date column,
and every other cell (figures, labels) showed blank — the subsidy trace lost its values until that page
switched inference off for itself. The shared grids now never infer; this test drives both kinds of grid
(client-side ``data_table`` and server-paged ``paged_table``) in chromium, and shows the same grids with
inference turned back on lose those cells, so the check can fail.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import STARTUP_SECONDS
from .processes import serving

APP = Path(__file__).with_name("glossary_grid_app.py")
EXPECTED = ["2023-12-31", "112,751.5000", "自发自用、余量上网", "是"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def grid_app(artifacts: Path) -> Iterator[str]:
    port = _free_port()
    unset = ("DUALCARBON_DATABASE_URL", "DUALCARBON_DATA_DIR", "PYTEST_CURRENT_TEST")  # NiceGUI's test mode off
    env = {k: v for k, v in os.environ.items() if k not in unset}
    base = f"http://127.0.0.1:{port}"
    with serving(
        [sys.executable, str(APP), str(port)],
        env=env,
        cwd=artifacts,
        log_path=artifacts / "glossary-grid-app.log",
        ready_url=base + "/",
        seconds=STARTUP_SECONDS,
        name="the grid app",
    ):
        yield base


def _values(tab: Any, testid: str) -> list[str]:
    grid = tab.get_by_test_id(testid)
    grid.locator('.ag-cell[col-id="item"]').first.wait_for()
    tab.wait_for_timeout(300)  # let AG Grid render every row it was given
    rows = grid.locator(".ag-center-cols-container .ag-row")
    ordered = sorted(
        (int(row.get_attribute("row-index") or 0), row.locator('.ag-cell[col-id="value"]').inner_text().strip())
        for row in rows.all()
    )
    return [text for _, text in ordered]


def test_every_grid_shows_a_column_mixing_a_date_and_text(browser: Any, grid_app: str) -> None:
    context = browser.new_context(base_url=grid_app, viewport={"width": 1200, "height": 900})
    try:
        tab = context.new_page()
        tab.goto("/")
        assert _values(tab, "client-grid") == EXPECTED
        assert _values(tab, "server-grid") == EXPECTED
        # the same grids with AG Grid's inference back on: the cells after the date go blank
        tab.goto("/?infer=1")
        for testid in ("client-grid", "server-grid"):
            inferred = _values(tab, testid)
            assert inferred[0] and inferred[1:] != EXPECTED[1:], (testid, inferred)
    finally:
        context.close()
