"""``dualcarbon subsidies list|pools`` on the world store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import storage_applications

runner = CliRunner()


def test_list_and_pools(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    storage_applications(world, ["2023-03", "2023-04"], 5_000)  # two applications of 800 元 each
    listed = runner.invoke(app, ["subsidies", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert data["total"] == 2
    assert [item["amount_yuan"] for item in data["items"]] == [800.0, 800.0]  # 1 000 kWh × 0.8 元/kWh
    text = runner.invoke(app, ["subsidies", "list", "--rule", "storage"])
    assert text.exit_code == 0 and "longgang-2022/storage" in text.stdout and "800.00 元" in text.stdout
    pools = runner.invoke(app, ["subsidies", "pools", "--json"])
    assert pools.exit_code == 0, pools.output
    assert json.loads(pools.stdout)[0]["remaining_yuan"] == 5000.0  # nothing approved yet
