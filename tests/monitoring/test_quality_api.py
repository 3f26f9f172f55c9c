"""``dualcarbon quality show|compute|enterprises``, ``GET /api/v1/quality[/enterprises]`` and manual entry, over
the readings of :mod:`tests.monitoring.test_quality` (its docstring has the hand-worked numbers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.core.access import Principal
from dualcarbon.monitoring import service_manual, service_meters, service_quality_read
from dualcarbon.monitoring.models import ReadingConflict
from dualcarbon.monitoring.service_manual import ManualEntry, ManualEntryInvalid
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.db import session_scope

from .test_quality import seed_quality_world

runner = CliRunner()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_quality_from_the_command_line(
    world: Any, tmp_path: Path, write_csv: Callable[..., Path], reference: ReferenceSet
) -> None:
    seed_quality_world(world, tmp_path, write_csv, reference)
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    a = world.codes["a"]
    shown = runner.invoke(app, ["quality", "show", "--enterprise", a, "--date", "2024-03-01", "--data-dir", data_dir])
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.stdout)
    assert list(result)[:7] == ["enterprise", "name", "date", "period", "index", "completeness", "accuracy"]
    assert (result["enterprise"], result["date"], result["accuracy"]) == (a, "2024-03-01", 0.6)
    assert result["index"] == pytest.approx(0.888725, abs=1e-4)  # (0.962069 + 0.6 + 0.996416 × 2) / 4
    r2 = next(i for i in result["items"] if i["meter"] == "R2")
    assert {k: r2[k] for k in ("expected", "received", "completeness", "passed")} == {
        "expected": 96,
        "received": 85,
        "completeness": 0.8854,  # 85 / 96
        "passed": False,
    }
    month = runner.invoke(app, ["quality", "show", "--enterprise", a, "--month", "2024-03", "--data-dir", data_dir])
    assert json.loads(month.stdout)["completeness"] == pytest.approx(279 / 8990, abs=1e-4)

    computed = runner.invoke(app, ["quality", "compute", "--date", "2024-03-01", "--data-dir", data_dir])
    assert computed.exit_code == 0, computed.output
    assert json.loads(computed.stdout) == {"enterprises": 2, "meter_days": 5 + 2}  # a: 5 items; b: M1 and D3
    table = runner.invoke(app, ["quality", "enterprises", "--date", "2024-03-01", "--data-dir", data_dir])
    assert [row["index"] for row in json.loads(table.stdout)["items"]] == [0.875, 0.8887]

    bad = runner.invoke(app, ["quality", "show", "--enterprise", a, "--date", "2024-02-30", "--data-dir", data_dir])
    assert bad.exit_code == 2 and "--date" in bad.output
    both = runner.invoke(
        app,
        ["quality", "show", "--enterprise", a, "--date", "2024-03-01", "--month", "2024-03", "--data-dir", data_dir],
    )
    assert both.exit_code == 2 and "either a date or a month" in both.output


def test_quality_api(
    world: Any, client: Any, tmp_path: Path, write_csv: Callable[..., Path], reference: ReferenceSet
) -> None:
    seed_quality_world(world, tmp_path, write_csv, reference)
    a, b = world.codes["a"], world.codes["b"]
    answer = client.get(f"/api/v1/quality?enterprise={a}&date=2024-03-01", headers=world.auth("ent_a"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["index"] == pytest.approx(0.888725, abs=1e-4)
    d1 = next(i for i in body["items"] if i["meter"] == "D1")
    assert d1["problems"] == [
        {
            "code": "inconsistent",
            "detail": "1020 kWh vs real-time R1 960 kWh: +6.2 % (tolerance ±5 %)",  # (1020 − 960) / 960 = +6.25 %
            "detail_zh": "1020 kWh，实时 R1 累计 960 kWh，偏差 +6.2%（允许 ±5%）",
        }
    ]
    assert client.get(f"/api/v1/quality?enterprise={b}&date=2024-03-01", headers=world.auth("ent_a")).status_code == 404
    month = client.get(f"/api/v1/quality?enterprise={b}&month=2024-03", headers=world.auth("longwan"))
    assert (month.status_code, month.json()["timeliness"]) == (200, pytest.approx(0.6667, abs=1e-4))
    assert client.get(f"/api/v1/quality?enterprise={a}&month=2024-3", headers=world.auth("admin")).status_code == 422
    assert client.get(f"/api/v1/quality?enterprise={a}", headers=world.auth("admin")).status_code == 422

    client.get(f"/api/v1/quality?enterprise={b}&date=2024-03-01", headers=world.auth("admin"))
    table = client.get("/api/v1/quality/enterprises?date=2024-03-01&offset=0&limit=1", headers=world.auth("city"))
    assert table.status_code == 200, table.text
    page = table.json()
    assert (page["total"], page["limit"], [r["enterprise"] for r in page["items"]]) == (2, 1, [b])  # 0.875 first
    lucheng = client.get("/api/v1/quality/enterprises?date=2024-03-01&region=330302", headers=world.auth("city"))
    assert [r["enterprise"] for r in lucheng.json()["items"]] == [a]
    mine = client.get("/api/v1/quality/enterprises?date=2024-03-01", headers=world.auth("ent_b"))
    assert [r["enterprise"] for r in mine.json()["items"]] == [b]


def test_manual_entry_goes_through_ingest(
    world: Any,
    tmp_path: Path,
    write_csv: Callable[..., Path],
    reference: ReferenceSet,
    admin: Principal,
    enterprise_principal: Callable[[str], Principal],
) -> None:
    a = world.codes["a"]
    header = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "statistic_type", "input_type"]
    path = write_csv(
        tmp_path / "m.csv",
        header,
        [
            [a, "H1", "raw_coal", "t", "interval", 1, "day", "manual"],
            [a, "E1", "electricity", "kWh", "interval", 1, "realtime", "automatic"],
        ],
    )
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
    owner = enterprise_principal("a")
    with session_scope(world.engine) as session:
        assert [m.code for m in service_manual.manual_meters(session, owner, a)] == ["H1"]
        with pytest.raises(ManualEntryInvalid) as caught:
            service_manual.submit_manual(
                session,
                owner,
                a,
                [
                    ManualEntry("H1", "2024-03-01 00:00", "12.5"),
                    ManualEntry("E1", "2024-03-01 00:00", "abc"),
                    ManualEntry("H1", "3月1日", "1"),
                ],
            )
    error = caught.value
    assert error.field == "entries[1].meter"
    assert error.zh == (
        "第 2 行 计量器具：“E1”不是本企业的手工录入项；第 2 行 数值：不是有效的数字；"
        "第 3 行 时间：不是有效的时间（例如 2024-03-01 00:00）"
    )
    day = date(2024, 3, 1)

    def h1_received() -> int:
        with session_scope(world.engine) as session:
            shown = service_quality_read.quality_show(session, owner, a, reference, day=day)
        return next(i.received for i in shown.items if i.meter == "H1")

    assert h1_received() == 0  # measured and stored as final (the day is long over)
    with session_scope(world.engine) as session:
        entries = [ManualEntry("H1", "2024-03-01 00:00", "12.5"), ManualEntry("H1", "2024-03-02T00:00+08:00", 13)]
        receipt = service_manual.submit_manual(session, owner, a, entries)
    assert (receipt.accepted, receipt.duplicate, receipt.conflict, receipt.rejected) == (2, 0, 0, 0)
    assert h1_received() == 1  # the entry reopened the stored day
    with session_scope(world.engine) as session:
        again = service_manual.submit_manual(session, owner, a, [ManualEntry("H1", "2024-03-01 00:00", "12.0")])
        assert again.conflict == 1
        kept = session.scalars(select(ReadingConflict)).one()
        assert (kept.source, kept.stored_value, kept.offered_value) == ("manual", 12.5, 12.0)
    with session_scope(world.engine) as session:
        with pytest.raises(ManualEntryInvalid, match="is in the future"):
            service_manual.submit_manual(session, owner, a, [ManualEntry("H1", "2999-01-01 00:00", "1")])
