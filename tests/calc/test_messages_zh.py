"""calc errors are Chinese first — the CLI prints ``中文 / English``, the API answers the Chinese to a Chinese
reader — and input that is not JSON is refused at field ``input`` with its line and column (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
GRID_2030 = {"electricity": {"quantity": 1, "unit": "MWh", "year": 2030}}
UNKNOWN = {"items": [{"carrier": "暗物质", "quantity": 1, "unit": "t"}]}


@pytest.mark.parametrize(
    ("kind", "text", "zh", "en"),
    [
        ("energy", "{not json", "error: input: 输入不是有效的 JSON：第 1 行第 2 列", "line 1 column 2"),
        ("energy", '{"items": [\n  {"quantity": NaN}]}', "error: input: NaN 不是 JSON 的数值", "NaN is not JSON"),
        ("energy", json.dumps(UNKNOWN), "error: items[0].carrier: 未知的能源品种“暗物质”", "unknown energy carrier"),
        (
            "carbon",
            json.dumps(GRID_2030),
            "error: electricity: 参考表中没有全国 2030 年的电网排放因子（该地区已有年份：2021, 2022, 2023）",
            "no average grid emission factor for year 2030",
        ),
    ],
)
def test_the_cli_says_it_in_chinese_first(kind: str, text: str, zh: str, en: str, tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["calc", kind, str(path)])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(zh), result.stderr
    assert " / " in result.stderr and en in result.stderr.split(" / ", 1)[1]


def test_a_directory_as_input_is_bad_input_not_an_internal_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calc", "energy", str(tmp_path)])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: input: 无法读取输入文件") and "internal error" not in result.stderr


def _post(client: TestClient, world: Any, body: bytes, language: dict[str, str], kind: str = "energy") -> Any:
    headers = {**world.auth("ent_a"), **language, "content-type": "application/json"}
    return client.post(f"/api/v1/calc/{kind}", headers=headers, content=body)


def test_the_api_names_input_and_the_line_for_invalid_json(client: TestClient, world: Any) -> None:
    for body, line_col in ((b'{"items": [1,', "第 1 行第 14 列"), (b'{\n"items": ]}', "第 2 行第 10 列")):
        answer = _post(client, world, body, ZH)
        assert answer.status_code == 422, answer.text
        found = answer.json()
        assert found["error"] == "InvalidInput" and found["field"] == "input", found
        assert found["message"].startswith("输入不是有效的 JSON：") and line_col in found["message"], found
    english = _post(client, world, b'{"items": [1,', {"Accept-Language": "en"}).json()
    assert english["field"] == "input" and "input is not valid JSON: line 1 column 14" in english["message"]


def test_the_api_answers_chinese_to_a_chinese_reader(client: TestClient, world: Any) -> None:
    nan = _post(client, world, b'{"items": [{"carrier": "x", "quantity": NaN, "unit": "t"}]}', ZH).json()
    assert nan == {"error": "InvalidInput", "message": "NaN 不是 JSON 的数值，数字须为有限值", "field": "input"}
    unknown = _post(client, world, json.dumps(UNKNOWN).encode(), ZH).json()
    assert unknown["message"] == "未知的能源品种“暗物质”：参考表中没有这一品种", unknown
    grid = _post(client, world, json.dumps(GRID_2030).encode(), ZH, kind="carbon")
    assert grid.status_code == 422 and grid.json()["message"].startswith("参考表中没有全国 2030 年的电网排放因子")
    fine = _post(
        client, world, json.dumps({"items": [{"carrier": "电力", "quantity": 10, "unit": "kWh"}]}).encode(), ZH
    )
    assert fine.status_code == 200 and fine.json()["total_tce"] == pytest.approx(0.001229)
