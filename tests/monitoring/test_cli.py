"""``dualcarbon meters import|list``, ``dualcarbon ingest FILE`` and ``dualcarbon rollups show`` (SQLite + Parquet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_meters_ingest_rollups_from_the_command_line(world: Any, tmp_path: Path, write_csv) -> None:
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    a = world.codes["a"]
    meters = write_csv(
        tmp_path / "meters.csv",
        ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier"],
        [[a, "M1", "electricity", "kWh", "cumulative", 10]],
    )
    first = runner.invoke(app, ["meters", "import", str(meters), "--data-dir", data_dir])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["created"] == 1
    again = runner.invoke(app, ["meters", "import", str(meters), "--data-dir", data_dir])
    assert json.loads(again.stdout)["unchanged"] == 1
    listed = runner.invoke(app, ["meters", "list", "--enterprise", a, "--data-dir", data_dir])
    assert "M1" in listed.stdout

    readings = write_csv(
        tmp_path / "r.csv",
        ["credit_code", "meter_code", "ts", "value"],
        [[a, "M1", "2024-03-01 00:00", 1], [a, "M1", "2024-03-01 00:15", 3], [a, "M1", "bad", 4]],
    )
    ingested = runner.invoke(app, ["ingest", str(readings), "--data-dir", data_dir])
    assert ingested.exit_code == 0, ingested.output
    receipt = json.loads(ingested.stdout)
    assert (receipt["accepted"], receipt["rejected"], receipt["problems"][0]["row"]) == (2, 1, 3)

    args = ["rollups", "show", "--meter", "M1", "--enterprise", a, "--interval", "day"]
    args += ["--from", "2024-03-01", "--to", "2024-03-01", "--data-dir", data_dir]
    shown = runner.invoke(app, [*args, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    period = json.loads(shown.stdout)["periods"][0]
    assert period["energy"] == 20.0  # (3 − 1) × 10 kWh
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert as_csv.stdout.splitlines()[0] == "start,energy,unit,tce,tce_equal,tco2,completeness,flags"
    assert as_csv.stdout.splitlines()[1].startswith("2024-03-01T00:00:00+08:00,20.0,kWh,")

    bad = write_csv(tmp_path / "bad.csv", ["credit_code", "meter_code", "carrier"], [])
    refused = runner.invoke(app, ["meters", "import", str(bad), "--data-dir", data_dir])
    assert refused.exit_code == 2 and "required column missing" in refused.output


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_mqtt_acl_writes_one_prefix_per_enterprise(world: Any, tmp_path: Path) -> None:
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    result = runner.invoke(app, ["mqtt", "acl", "--out", str(tmp_path / "mqtt"), "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    credentials = json.loads(result.stdout)
    assert set(credentials) == {"dualcarbon-ingest", *world.codes.values()}
    acl = (tmp_path / "mqtt" / "acl").read_text(encoding="utf-8")
    a = world.codes["a"]
    assert f"user {a}\ntopic write dualcarbon/{a}/#\n" in acl
    assert "user dualcarbon-ingest\ntopic read dualcarbon/#\n" in acl
    lines = (tmp_path / "mqtt" / "passwords").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and all(line.split(":", 1)[1].startswith("$7$101$") for line in lines)
