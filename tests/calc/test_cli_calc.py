"""`dualcarbon calc energy|carbon FILE`: JSON out, and exit code 2 with one line on stderr for bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()


def english(line: str) -> str:
    """A Chinese-first message ``error: field: 中文 / English`` read for its English half."""
    return re.sub(r"^(error: [^:]+: ).*? / ", r"\1", line, count=1)


def chinese_first(line: str) -> bool:
    """``error: field: …`` whose reason starts with a Chinese sentence."""
    return re.match(r"^error: [^:]+: [^/]*?[\u4e00-\u9fff][^/]*? / ", line) is not None


def calc(kind: str, payload: Any, tmp_path: Path) -> Any:
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(app, ["calc", kind, str(path)])


def test_energy_w10(tmp_path: Path) -> None:
    # 1,229.00 + 607.15 + 291.42 = 2,127.57 tce.
    payload = {
        "items": [
            {"carrier": "电力", "quantity": 10_000, "unit": "MWh"},
            {"carrier": "天然气", "quantity": 500_000, "unit": "m³"},
            {"carrier": "柴油", "quantity": 200, "unit": "t"},
        ]
    }
    result = calc("energy", payload, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total_tce"] == pytest.approx(2127.57)


def test_energy_equal_value_from_stdin() -> None:
    # 10,000 MWh × 305.5 gce/kWh = 3,055 tce.
    payload = {"basis": "equal", "year": 2020, "items": [{"carrier": "电力", "quantity": 10_000, "unit": "MWh"}]}
    result = runner.invoke(app, ["calc", "energy", "-"], input=json.dumps(payload))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total_tce"] == pytest.approx(3055.0)


def test_carbon_w3_w4_w5(tmp_path: Path) -> None:
    # 1,894.98 + 12.94 + 2,784 = 4,691.92 tCO₂.
    payload = {
        "year": 2021,
        "fuels": [
            {
                "carrier": "原煤",
                "quantity": 1000,
                "unit": "t",
                "ncv": 20,
                "ncv_unit": "GJ/t",
                "carbon_content": 27.49,
                "carbon_content_unit": "tC/TJ",
                "oxidation": 0.94,
            },
            {
                "carrier": "LPG",
                "quantity": 5,
                "unit": "t",
                "ncv": 41.87,
                "ncv_unit": "GJ/t",
                "carbon_content": 0.0172,
                "carbon_content_unit": "tC/GJ",
                "oxidation": 0.98,
            },
        ],
        "electricity": {"quantity": 5000, "unit": "MWh"},
    }
    result = calc("carbon", payload, tmp_path)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["total_tco2"] == pytest.approx(4691.92, abs=0.01)
    assert out["by_source"]["electricity"] == pytest.approx(2784.0)


ENERGY_ERRORS = [
    (
        {"items": [{"carrier": "暗物质", "quantity": 1, "unit": "t"}]},
        "error: items[0].carrier: unknown energy carrier '暗物质'",
    ),
    ({"items": [{"carrier": "原煤", "quantity": 1, "unit": "kWh"}]}, "error: items[0].unit: 'kWh' does not fit 原煤"),
    ({"items": [{"carrier": "原煤", "quantity": -3, "unit": "t"}]}, "error: items[0].quantity: must be a finite"),
    ({"items": [{"carrier": "原煤", "unit": "t"}]}, "error: items[0].quantity: required field is missing"),
    ({"basis": "equal", "items": []}, "error: year: basis 'equal' needs the year"),
    ({"items": [{"carrier": "焦炉煤气", "quantity": 1, "unit": "m³"}]}, "error: items[0]: reference row CC-024"),
]
CARBON_ERRORS = [
    (
        {"fuels": [{"carrier": "暗物质", "quantity": 1, "unit": "t"}]},
        "error: fuels[0].carrier: unknown energy carrier '暗物质'",
    ),
    ({"fuels": [{"carrier": "柴油", "quantity": 1, "unit": "kWh"}]}, "error: fuels[0].unit: 'kWh' does not fit"),
    ({"fuels": [{"carrier": "柴油", "quantity": -1, "unit": "t"}]}, "error: fuels[0].quantity: must be a finite"),
    (
        {"fuels": [{"carrier": "柴油", "quantity": 1, "unit": "t", "oxidation": 1.5}]},
        "error: fuels[0].oxidation: must be a fraction",
    ),
    ({"electricity": {"unit": "MWh", "year": 2023}}, "error: electricity.quantity: required field is missing"),
]


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [("energy", p, m) for p, m in ENERGY_ERRORS] + [("carbon", p, m) for p, m in CARBON_ERRORS],
)
def test_bad_input_exits_2_with_one_line(kind: str, payload: Any, message: str, tmp_path: Path) -> None:
    result = calc(kind, payload, tmp_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert english(lines[0]).startswith(message), lines[0]
    assert chinese_first(lines[0]), lines[0]
    assert "Traceback" not in result.stderr


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["calc", "energy", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: input: 输入不是有效的 JSON：第 1 行第 2 列"), result.stderr
    assert "input is not valid JSON: line 1 column 2" in result.stderr


def _console_script() -> str | None:
    beside = Path(sys.executable).parent / "dualcarbon"
    return str(beside) if beside.exists() else shutil.which("dualcarbon")


@pytest.mark.slow
@pytest.mark.skipif(_console_script() is None, reason="dualcarbon console script not installed")
def test_installed_command_in_a_subprocess(tmp_path: Path) -> None:
    # W8 hot water through the real entry point: 837.36 GJ × 0.11 = 92.11 tCO₂; then a wrong unit → exit 2.
    good = tmp_path / "heat.json"
    good.write_text(
        json.dumps({"heat": {"hot_water": {"mass": 5000, "mass_unit": "t", "temperature_c": 60}}}), encoding="utf-8"
    )
    script = _console_script()
    assert script is not None
    done = subprocess.run([script, "calc", "carbon", str(good)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_tco2"] == pytest.approx(92.11, abs=0.005)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"items": [{"carrier": "柴油", "quantity": 1, "unit": "kWh"}]}), encoding="utf-8")
    done = subprocess.run([script, "calc", "energy", str(bad)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: items[0].unit:")
