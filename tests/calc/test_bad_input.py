"""Bad input to the calc contracts: exit 2 with ``error: <field>: <reason>``, never an internal error, and never
``Infinity``/``NaN`` in the JSON out (CLI and API); a closed stdout pipe ends the command quietly."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.ui.commands import EXIT_CLOSED_PIPE

runner = CliRunner()


def english(line: str) -> str:
    """A Chinese-first message ``error: field: 中文 / English`` read for its English half."""
    return re.sub(r"^(error: [^:]+: ).*? / ", r"\1", line, count=1)


def chinese_first(line: str) -> bool:
    """``error: field: …`` whose reason starts with a Chinese sentence."""
    return re.match(r"^error: [^:]+: [^/]*?[\u4e00-\u9fff][^/]*? / ", line) is not None


def run(kind: str, text: str | bytes, tmp_path: Path) -> Any:
    path = tmp_path / f"{kind}.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return runner.invoke(app, ["calc", kind, str(path)])


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def power(unit: str) -> str:
    return json.dumps({"items": [{"carrier": "电力", "quantity": 10, "unit": unit}]})


@pytest.mark.parametrize(
    "unit",
    [
        "inf",
        "nan",
        "-inf",
        "1e400",
        "(",
        "kWh/0",
        "0 kWh",
        "-1 kWh",
        "kWh**",
        "((((kWh",
        "kWh*9**999",
        "9**9**9",
        "kWh*9**(999*999*999)",
        "m^2^9",
    ],
)
def test_a_unit_that_is_no_unit_names_the_field(unit: str, tmp_path: Path) -> None:
    result = run("energy", power(unit), tmp_path)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: items[0].unit: "), result.stderr
    assert "internal error" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "kind, payload, field",
    [
        (
            "energy",
            {
                "basis": "equal",
                "equal_rate": 300,
                "equal_rate_unit": "inf",
                "items": [{"carrier": "电力", "quantity": 1, "unit": "MWh"}],
            },
            "equal_rate_unit",
        ),
        (
            "energy",
            {"items": [{"carrier": "电力", "quantity": 1, "unit": "MWh", "coefficient": 1, "coefficient_unit": "nan"}]},
            "items[0].coefficient_unit",
        ),
        ("carbon", {"fuels": [{"carrier": "天然气", "quantity": 1, "unit": "nan"}]}, "fuels[0].unit"),
    ],
)
def test_other_unit_fields_too(kind: str, payload: Any, field: str, tmp_path: Path) -> None:
    result = run(kind, json.dumps(payload), tmp_path)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {field}: "), result.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 100_000 + "]" * 100_000, "error: input: nested too deeply"),
        ('{"items": ' + "[" * 5000 + "]" * 5000 + "}", "error: input: nested too deeply"),
        (b'{"items": [{"carrier": "\xff\xfe", "quantity": 1, "unit": "MWh"}]}', "error: input: not UTF-8 text"),
        ('{"items": [{"carrier": "电力", "quantity": NaN, "unit": "MWh"}]}', "error: input: NaN is not JSON"),
        (
            '{"items": [{"carrier": "电力", "quantity": -Infinity, "unit": "MWh"}]}',
            "error: input: -Infinity is not JSON",
        ),
        ("[]", "error: input: "),
    ],
)
def test_unreadable_input_exits_2(text: str | bytes, message: str, tmp_path: Path) -> None:
    result = run("energy", text, tmp_path)
    assert result.exit_code == 2, result.stderr
    assert english(result.stderr).startswith(message), result.stderr
    assert chinese_first(result.stderr), result.stderr


def test_an_overflowing_result_is_refused_not_written_as_infinity(tmp_path: Path) -> None:
    # 1e308 MWh = 1e311 kWh × 0.1229 kgce/kWh: beyond the largest float (1.8e308), so the total is inf.
    payload = {"items": [{"carrier": "电力", "quantity": 1e308, "unit": "MWh"}]}
    result = run("energy", json.dumps(payload), tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: input: 结果 ") and "the result " in result.stderr
    assert "not a finite number" in result.stderr
    # the largest account that still fits is computed: 1e300 MWh × 0.1229 kgce/kWh = 1.229e299 tce
    fits = run("energy", json.dumps({"items": [{"carrier": "电力", "quantity": 1e300, "unit": "MWh"}]}), tmp_path)
    assert fits.exit_code == 0, fits.stderr
    assert strict_json(fits.stdout)["total_tce"] == pytest.approx(1.229e299)


def test_the_api_answers_422_in_strict_json(client: TestClient, world: Any) -> None:
    headers = world.auth("ent_a")
    huge = client.post(
        "/api/v1/calc/energy", headers=headers, json={"items": [{"carrier": "电力", "quantity": 1e308, "unit": "MWh"}]}
    )
    assert huge.status_code == 422 and strict_json(huge.text)["field"] == "input"
    unit = client.post(
        "/api/v1/calc/energy", headers=headers, json={"items": [{"carrier": "电力", "quantity": 1, "unit": "inf"}]}
    )
    assert unit.status_code == 422 and unit.json()["field"] == "items[0].unit"
    deep = client.post(
        "/api/v1/calc/energy", headers={**headers, "content-type": "application/json"}, content=b"[" * 100_000
    )
    assert deep.status_code == 422 and deep.json() == {
        "error": "InvalidInput",
        "message": "JSON 嵌套过深，不是计算接口的输入",
        "field": "input",
    }


def _console_script() -> str | None:
    beside = Path(sys.executable).parent / "dualcarbon"
    return str(beside) if beside.exists() else shutil.which("dualcarbon")


@pytest.mark.skipif(_console_script() is None, reason="dualcarbon console script not installed")
def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # ~1.5 MB of JSON out; the reader takes 10 bytes and closes the pipe (like `| head -c 10`).
    lines = [{"carrier": "电力", "quantity": i, "unit": "MWh"} for i in range(1, 3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"items": lines}), encoding="utf-8")
    script = _console_script()
    assert script is not None
    process = subprocess.Popen(
        [script, "calc", "energy"], stdin=path.open("rb"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    head = process.stdout.read(10)
    process.stdout.close()
    code = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    assert head == b'{\n  "basis'
    assert code == EXIT_CLOSED_PIPE and stderr == "", stderr
