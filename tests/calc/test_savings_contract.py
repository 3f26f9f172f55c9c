"""`savings` contract (GB/T 13234) through `run` and through `dualcarbon calc savings FILE`: W1, W2, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.calc.savings import run
from dualcarbon.core.errors import DualcarbonError, InvalidInput, UnitMismatch
from dualcarbon.reference import shipped_reference

runner = CliRunner()

W1 = {
    "method": "output_value",
    "base": [{"energy_tce": 22_400, "value_10k_yuan": 56_000}],
    "report": [{"energy_tce": 29_640, "value_10k_yuan": 78_000}],
}
W2 = {
    "method": "product",
    "base": [
        {"product": "A", "unit_consumption": 0.52, "unit_consumption_unit": "tce/t"},
        {"product": "B", "unit_consumption": 1.80, "unit_consumption_unit": "tce/t"},
    ],
    "report": [
        {
            "product": "A",
            "unit_consumption": 0.50,
            "unit_consumption_unit": "tce/t",
            "output": 10_000,
            "output_unit": "t",
        },
        {
            "product": "B",
            "unit_consumption": 1.70,
            "unit_consumption_unit": "tce/t",
            "output": 2_000,
            "output_unit": "t",
        },
    ],
}


def compute(payload: Any) -> dict[str, Any]:
    return run(payload, shipped_reference())


def error_of(payload: Any) -> DualcarbonError:
    with pytest.raises(DualcarbonError) as error:
        compute(payload)
    return error.value


def test_w1_output_value() -> None:
    # (29,640/78,000 − 22,400/56,000) × 78,000 = (0.38 − 0.40) × 78,000 = −1,560 tce; ξ = −0.02/0.40 = −5 %.
    out = compute(W1)
    assert (out["signed_tce"], out["saving_tce"]) == (-1560.0, 1560.0)
    assert (out["rate_pct"], out["saving_rate_pct"]) == (-5.0, 5.0)
    assert out["method"] == "output_value" and out["standard"] == "GB/T 13234-2018"
    assert out["lines"][0]["base_unit_consumption"] == 0.4 and out["lines"][0]["report_unit_consumption"] == 0.38


def test_w2_multi_product() -> None:
    # (−0.02 × 10,000) + (−0.10 × 2,000) = −400 tce; ξ_A = (0.50 − 0.52)/0.52 = −3.85 %.
    out = compute(W2)
    assert (out["signed_tce"], out["saving_tce"]) == (-400.0, 400.0)
    line_a = out["lines"][0]
    assert line_a["product"] == "A" and line_a["signed_tce"] == -200.0 and line_a["saving_tce"] == 200.0
    assert round(line_a["rate_pct"], 2) == -3.85 and round(line_a["saving_rate_pct"], 2) == 3.85
    assert out["warnings"] == []
    json.dumps(out)  # JSON-serialisable


def test_base_unit_converted_to_report_unit() -> None:
    # base 520 kgce/t = 0.52 tce/t; report 0.50 tce/t × 10,000 t → −200 tce.
    payload = {
        "method": "product",
        "base": [{"product": "A", "unit_consumption": 520, "unit_consumption_unit": "kgce/t"}],
        "report": [W2["report"][0]],
    }
    assert compute(payload)["signed_tce"] == -200.0


def test_technical_measure_and_product_structure() -> None:
    # measure: (0.25 − 0.30) tce/t × 4,000 t = −200 tce.
    measure = {
        "method": "technical_measure",
        "base": [{"measure": "heat recovery", "unit_consumption": 0.30, "unit_consumption_unit": "tce/t"}],
        "report": [
            {
                "measure": "heat recovery",
                "unit_consumption": 0.25,
                "unit_consumption_unit": "tce/t",
                "output": 4_000,
                "output_unit": "t",
            }
        ],
    }
    assert compute(measure)["signed_tce"] == -200.0
    # structure: 10,000 × ((0.4 − 0.6) × 0.5 + (0.6 − 0.4) × 0.2) = −600 tce.
    structure = {
        "method": "product_structure",
        "report_total_value_10k_yuan": 10_000,
        "base": [
            {"product": "A", "share": 0.6, "unit_consumption": 0.5, "unit_consumption_unit": "tce/万元"},
            {"product": "B", "share": 0.4, "unit_consumption": 0.2, "unit_consumption_unit": "tce/万元"},
        ],
        "report": [{"product": "A", "share": 0.4}, {"product": "B", "share": 0.6}],
    }
    out = compute(structure)
    assert out["signed_tce"] == -600.0 and out["rate_pct"] is None
    assert out["lines"][0]["base_share"] == 0.6 and out["lines"][0]["report_share"] == 0.4


def test_product_missing_from_base_is_named() -> None:
    payload = json.loads(json.dumps(W2))
    payload["report"][1]["product"] = "C"
    error = error_of(payload)
    assert isinstance(error, InvalidInput) and error.field == "report[1].product"
    assert "'C' is not in base" in error.message


def test_negative_output_is_named() -> None:
    payload = json.loads(json.dumps(W2))
    payload["report"][0]["output"] = -5
    assert error_of(payload).field == "report[0].output"


def test_unknown_method_is_named() -> None:
    error = error_of({"method": "magic", "base": [], "report": []})
    assert error.field == "method" and "unknown method 'magic'" in error.message


def test_wrong_units_are_named() -> None:
    payload = json.loads(json.dumps(W2))
    payload["report"][0]["output_unit"] = "kWh"
    error = error_of(payload)
    assert isinstance(error, UnitMismatch) and error.field == "report[0].output_unit"
    payload = json.loads(json.dumps(W2))
    payload["base"][1]["unit_consumption_unit"] = "kWh/t"
    assert error_of(payload).field == "base[1].unit_consumption_unit"


def test_duplicates_missing_fields_and_share_sums() -> None:
    payload = json.loads(json.dumps(W2))
    payload["base"].append(payload["base"][0])
    assert error_of(payload).field == "base[2].product"
    payload = json.loads(json.dumps(W2))
    del payload["report"][0]["output"]
    assert error_of(payload).field == "report[0].output"
    bad_shares = {
        "method": "product_structure",
        "report_total_value_10k_yuan": 1,
        "base": [{"product": "A", "share": 0.5, "unit_consumption": 1, "unit_consumption_unit": "tce/万元"}],
        "report": [{"product": "A", "share": 1.0}],
    }
    error = error_of(bad_shares)
    assert error.field == "base" and "sum to 0.5" in error.message


def test_product_only_in_base_is_a_warning() -> None:
    payload = json.loads(json.dumps(W2))
    payload["report"].pop()
    out = compute(payload)
    assert out["signed_tce"] == -200.0
    assert out["warnings"] == ["product 'B' is in base but not in report; it contributes nothing"]


def calc(payload: Any, tmp_path: Path) -> Any:
    path = tmp_path / "savings.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(app, ["calc", "savings", str(path)])


def test_cli_w1_and_w2(tmp_path: Path) -> None:
    result = calc(W1, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["saving_tce"] == 1560.0
    result = calc(W2, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["signed_tce"] == -400.0


def test_cli_errors_exit_2_with_field(tmp_path: Path) -> None:
    payload = json.loads(json.dumps(W2))
    payload["report"][1]["product"] = "C"
    result = calc(payload, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: report[1].product: ")
    assert "product 'C' is not in base" in result.stderr
    result = calc({"method": "magic"}, tmp_path)
    assert result.exit_code == 2 and result.stderr.startswith("error: method: ")
    assert "unknown method 'magic'" in result.stderr


def _script() -> str | None:
    beside = Path(sys.executable).parent / "dualcarbon"
    return str(beside) if beside.exists() else shutil.which("dualcarbon")


def test_installed_command(tmp_path: Path) -> None:
    script = _script()
    if script is None:
        pytest.skip("dualcarbon script not installed")
    path = tmp_path / "w2.json"
    path.write_text(json.dumps(W2), encoding="utf-8")
    done = subprocess.run([script, "calc", "savings", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["saving_tce"] == 400.0
