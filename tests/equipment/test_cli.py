"""``dualcarbon equipment import|list|report|obsolete-import`` and ``dualcarbon technologies import|search``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV

runner = CliRunner()
DATA = Path(__file__).with_name("data")


@pytest.fixture
def store(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    return world


def test_import_report_and_search(store: Any, tmp_path: Path) -> None:
    code = store.codes["a"]
    register = tmp_path / "register.csv"
    register.write_text(
        "credit_code,asset_code,equipment_type,model,rated_power_kw,poles,efficiency_pct,quantity,operating_hours,"
        f"load_factor\n{code},M-01,motor,Y-160M-4,15,4,90.0,2,6000,0.75\n",
        encoding="utf-8",
    )
    first = runner.invoke(app, ["equipment", "import", str(register)])
    assert first.exit_code == 0, first.output
    assert "1 created" in first.output
    assert "1 unchanged" in runner.invoke(app, ["equipment", "import", str(register)]).output
    obsolete = runner.invoke(app, ["equipment", "obsolete-import", str(DATA / "TEST_DATA_obsolete_list.csv")])
    assert obsolete.exit_code == 0 and "2 created" in obsolete.output
    listing = runner.invoke(app, ["equipment", "list", "--enterprise", code, "--json"])
    assert [item["asset_code"] for item in json.loads(listing.stdout)] == ["M-01"]

    out = tmp_path / "对标.xlsx"
    report = runner.invoke(app, ["equipment", "report", "--enterprise", code, "-o", str(out)])
    assert report.exit_code == 0, report.output
    # 2 × 15 × 0.75 × 6000 × (1/0.900 − 1/0.951) = 8 044.16 kWh/a
    assert (
        "1 below 3级" in report.output and "1 on the obsolete list" in report.output and "8044 kWh/a" in report.output
    )
    sheet = load_workbook(out)["汇总"]
    summary = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert summary["未达3级（低于限定值）"] == 1 and summary["节能潜力合计(kWh/a)"] == pytest.approx(8044.16, abs=0.02)

    techs = tmp_path / "TEST_DATA_tech.csv"
    techs.write_text("code,name,field,source_batch\nTEST-9,TEST DATA 变频,电机系统,TEST DATA\n", encoding="utf-8")
    assert runner.invoke(app, ["technologies", "import", str(techs)]).exit_code == 0
    found = runner.invoke(app, ["technologies", "search", "--field", "电机", "--json"])
    assert [t["code"] for t in json.loads(found.stdout)] == ["TEST-9"]

    missing = runner.invoke(app, ["equipment", "report", "--enterprise", "91330000XXXXXXXXX0", "-o", str(out)])
    assert missing.exit_code == 2 and "not found" in missing.output


def test_templates_are_empty_and_importable(store: Any, tmp_path: Path) -> None:
    for kind, command in (
        ("register", ["equipment", "import"]),
        ("obsolete_list", ["equipment", "obsolete-import"]),
        ("technologies", ["technologies", "import"]),
    ):
        out = tmp_path / f"{kind}.csv"
        result = runner.invoke(app, ["equipment", "template", kind, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert len(out.read_text(encoding="utf-8").splitlines()) == 1  # the header only: no invented rows
        imported = runner.invoke(app, [*command, str(out)])
        assert imported.exit_code == 0 and "0 row(s)" in imported.output, imported.output
    assert runner.invoke(app, ["equipment", "template", "nope", "-o", str(tmp_path / "x.csv")]).exit_code == 2
