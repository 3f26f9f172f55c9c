"""Files that are not what their name says, and meter-file problems, answer a Chinese-first problem naming the
file (exit 2 / HTTP 422) — never an internal error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()
HEADER = b"credit_code,meter_code,ts,value\n"


@pytest.mark.parametrize(
    ("name", "body", "zh"),
    [
        ("g.parquet", b"garbage\n", "无法读取 g.parquet：不是有效的 Parquet 文件"),
        ("g.xlsx", b"garbage\n", "无法读取 g.xlsx：不是有效的 .xlsx 工作簿"),
        ("g.csv", b"\xff\xfe\x00garbage\n", "无法读取 g.csv：不是 UTF-8 编码的文本（请另存为 UTF-8 CSV）"),
        ("late.csv", HEADER + b"A,B,2026-01-01 00:00,1\n" * 3000 + b"A,B,2026-01-01,\xff\xfe\n", "不是 UTF-8"),
        ("ragged.csv", HEADER + b"A,B,2026-01-01 00:00,1,2,3\n", "无法读取 ragged.csv：CSV 格式有误"),
        ("wrong.csv", b"a,b\n1,2\n", "wrong.csv 的列须恰好为 credit_code, meter_code, ts, value（文件中为：a, b）"),
    ],
)
@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_ingest_of_an_unreadable_file_is_a_clear_problem(world: Any, tmp_path: Path, name: str, body: bytes, zh: str):
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    path = tmp_path / name
    path.write_bytes(body)
    result = runner.invoke(app, ["ingest", str(path), "--data-dir", data_dir])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: file: ") and zh in result.output
    assert "internal error" not in result.output


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_http_csv_that_is_not_utf8_is_422_in_chinese(api: Any) -> None:
    response = api.client.post(
        "/api/v1/readings",
        content=HEADER + b"A,B,2026-01-01,\xff\xfe\n",
        headers={**api.world.auth("ent_a"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "无法读取 CSV body：不是 UTF-8 编码的文本（请另存为 UTF-8 CSV）"


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_meter_file_problems_are_chinese_first(world: Any, tmp_path: Path, write_csv) -> None:
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    a = world.codes["a"]
    header = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "calibrated_until"]
    rows = [[a, "M1", "electricity", "kWh", "cumulative", 0, "soon"], [a, "M2", "煤炭", "kWh", "interval", 1, ""]]
    result = runner.invoke(
        app, ["meters", "import", str(write_csv(tmp_path / "m.csv", header, rows)), "--data-dir", data_dir]
    )
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert "row 2, multiplier: 须为大于 0 的数字 / must be a number above 0" in lines
    assert "row 2, calibrated_until: 须为日期（如 2026-12-31） / must be a date YYYY-MM-DD" in lines
    assert any(line.startswith("row 3, carrier: 未知的能源品种") for line in lines)
    bad = tmp_path / "gm.xlsx"
    bad.write_bytes(b"garbage")
    refused = runner.invoke(app, ["meters", "import", str(bad), "--data-dir", data_dir])
    assert refused.exit_code == 2 and "gm.xlsx is not a readable .xlsx workbook" in refused.output
