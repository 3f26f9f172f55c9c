"""Bad input to the monitoring API and commands is answered in Chinese by default, naming what is wrong.

Found by the #8 acceptance walk: a wrong ``interval``, ``to`` before ``from``, a bad ``scope`` or ``carrier`` and a
month that is not one came back in English on a Chinese request (no ``zh``), and the commands' own messages
(``--format``, a date, the meter-file summary) were English only. The API picks the Chinese text by default and
English on ``Accept-Language: en``; the commands print ``中文 / English``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_api_bad_parameters_answer_in_chinese_by_default(
    client: TestClient, world: Any, meters: dict[str, int]
) -> None:
    meter = meters["a/E1"]
    cases = [
        (f"/api/v1/meters/{meter}/rollups", {"interval": "week", "from": "2024-03-01", "to": "2024-03-01"}, "interval"),
        (f"/api/v1/meters/{meter}/rollups", {"interval": "day", "from": "2024-03-02", "to": "2024-03-01"}, "to"),
        (f"/api/v1/meters/{meter}/balance", {"from": "2024-03-02", "to": "2024-03-01"}, "to"),
        ("/api/v1/rollups", {"scope": "galaxy", "id": "1", "interval": "day", "from": "2024-03-01", "to": "2024-03-01"},
         "scope"),
        ("/api/v1/rollups", {"scope": "enterprise", "id": world.codes["a"], "interval": "day", "from": "2024-03-01",
                             "to": "2024-03-01", "carrier": "unobtainium"}, "carrier"),
        ("/api/v1/quality", {"enterprise": world.codes["a"], "month": "2024-13"}, "month"),
        ("/api/v1/quality", {"enterprise": world.codes["a"]}, "date"),
    ]  # fmt: skip
    for path, params, field in cases:
        zh = client.get(path, params=params, headers=world.auth("admin"))
        assert zh.status_code == 422, (path, params, zh.text)
        body = zh.json()
        assert body["field"] == field and _has_chinese(body["message"]), (path, params, body)
        assert " / " not in body["message"]  # the Chinese sentence alone, not the bilingual log line
        en = client.get(path, params=params, headers={**world.auth("admin"), "Accept-Language": "en"})
        assert en.status_code == 422 and not _has_chinese(en.json()["message"].split(" / ")[-1]), en.text


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_commands_print_chinese_first(world: Any, tmp_path: Path, write_csv: Any) -> None:
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    a = world.codes["a"]
    meters = write_csv(
        tmp_path / "meters.csv",
        ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier"],
        [[a, "M1", "electricity", "kWh", "cumulative", "abc"]],
    )
    refused = runner.invoke(app, ["meters", "import", str(meters), "--data-dir", data_dir])
    assert refused.exit_code == 2
    assert "meters.csv 有 1 处问题，未导入任何内容" in refused.output and "row 2, multiplier" in refused.output

    good = write_csv(
        tmp_path / "good.csv",
        ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier"],
        [[a, "M1", "electricity", "kWh", "cumulative", 1]],
    )
    assert json.loads(runner.invoke(app, ["meters", "import", str(good), "--data-dir", data_dir]).stdout)["created"]
    show = ["rollups", "show", "--meter", "M1", "--enterprise", a, "--data-dir", data_dir]
    outputs = [
        runner.invoke(app, [*show, "--interval", "week", "--from", "2024-03-01", "--to", "2024-03-01"]),
        runner.invoke(app, [*show, "--interval", "day", "--from", "2024-03-02", "--to", "2024-03-01"]),
        runner.invoke(app, [*show, "--interval", "day", "--from", "2024-13-01", "--to", "2024-03-01"]),
        runner.invoke(app, [*show, "--interval", "day", "--from", "2024-03-01", "--to", "2024-03-01", "--format", "x"]),
        runner.invoke(app, ["quality", "show", "--enterprise", a, "--month", "2024-13", "--data-dir", data_dir]),
        runner.invoke(app, ["quality", "show", "--enterprise", a, "--date", "2024-03-01", "--format", "x"]),
    ]
    for result in outputs:
        assert result.exit_code == 2, result.output
        line = result.output.strip().splitlines()[-1]
        assert line.startswith("error: ") and _has_chinese(line) and " / " in line, line


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_receipt_problems_carry_a_chinese_reason(client: TestClient, world: Any, meters: dict[str, int]) -> None:
    a = world.codes["a"]
    body = {
        "readings": [
            {"meter": "E1", "ts": "2024-03-01T00:00:00", "value": 100},
            {"meter": "E1", "ts": "yesterday", "value": 1},
            {"meter": "NOPE", "ts": "2024-03-01T00:15:00", "value": 1},
            {"meter": "E1", "ts": "2024-03-01T00:30:00", "value": "abc"},
            {"meter": "", "ts": "2024-03-01T00:30:00", "value": 1},
        ]
    }
    response = client.post("/api/v1/readings", json=body, headers=world.auth("ent_a"))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert set(receipt) == {"accepted", "duplicate", "conflict", "rejected", "problems"}  # keys unchanged
    problems = {p["row"]: p for p in receipt["problems"]}
    assert sorted(problems) == [2, 3, 4, 5]
    # The English reason stays as it was (integrations read its field prefix); the Chinese one is beside it.
    assert problems[2]["reason"] == "ts: not an ISO-8601 time"
    assert problems[3]["reason"] == f"meter_code: no meter 'NOPE' of enterprise {a} that you may write to"
    assert problems[3]["reason_zh"] == f"企业 {a} 没有您可写入的表号「NOPE」"
    assert problems[4]["reason_zh"] == "读数不是有效的数字"
    assert problems[5]["reason_zh"] == "缺少表号"
    assert all(_has_chinese(p["reason_zh"]) for p in receipt["problems"])
