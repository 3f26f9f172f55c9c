"""``dualcarbon targets seed|list|progress`` on the world store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV

runner = CliRunner()


@pytest.fixture
def store(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    return world


def test_seed_list_progress(store: Any) -> None:
    seeded = runner.invoke(app, ["targets", "seed", "--pack", "putian-2024", "--region", "330300"])
    assert seeded.exit_code == 0, seeded.output
    listed = runner.invoke(app, ["targets", "list", "--region", "330300", "--json"])
    items = json.loads(listed.stdout)
    # Putian ships three designation targets: 15 green factories, 3 supply chains, 2 parks (by 2025)
    assert sorted((i["kind"], i["value"]) for i in items) == [
        ("green_factories", 15),
        ("green_parks", 2),
        ("green_supply_chains", 3),
    ]
    first = next(i for i in items if i["kind"] == "green_factories")
    shown = runner.invoke(app, ["targets", "progress", str(first["id"])])
    assert shown.exit_code == 0, shown.output
    assert "target 15 家 (2025)" in shown.stdout and "尚未填报完成情况" in shown.output
    missing = runner.invoke(app, ["targets", "progress", "999999"])
    assert missing.exit_code == 2 and "not found" in missing.output
