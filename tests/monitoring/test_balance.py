"""Master/sub-meter balance per day (总表/分表): parent vs the sum of its counted children, loss % (both stores).

Enterprise a, ``interval`` meters: P electricity kWh (总表, not counted); C1, C2 counted children; C3 a child not
counted (left out); M a counted child in MWh (cannot be added to kWh: excluded).
2024-03-01 00:00 … 00:45 (4 values): P 10, C1 6, C2 3, C3 1 → P 40, children 24 + 12 = 36, loss 4 kWh = 10 %.
2024-03-02 00:00 … 00:45: P 10, C1 6, C2 nothing → the children's sum is unknown: no balance that day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.models import Meter
from dualcarbon.store.db import session_scope

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "parent_meter_code", "counted"]


def _plant(world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any) -> dict[str, int]:
    a = world.codes["a"]
    rows = [
        [a, "P", "electricity", "kWh", "interval", 1, "", "false"],
        [a, "C1", "electricity", "kWh", "interval", 1, "P", "true"],
        [a, "C2", "electricity", "kWh", "interval", 1, "P", "true"],
        [a, "C3", "electricity", "kWh", "interval", 1, "P", "false"],
        [a, "M", "electricity", "MWh", "interval", 1, "P", "true"],
        [a, "LONE", "electricity", "kWh", "interval", 1, "", "true"],
    ]
    values = {"P": 10, "C1": 6, "C2": 3, "C3": 1}
    batch = [(a, code, f"2024-03-01T00:{m:02d}:00", str(v)) for code, v in values.items() for m in (0, 15, 30, 45)]
    batch += [
        (a, code, f"2024-03-02T00:{m:02d}:00", str(values[code])) for code in ("P", "C1") for m in (0, 15, 30, 45)
    ]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([r[i] for r in batch], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, write_csv(tmp_path / "m.csv", HEADER, rows), reference)
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == 24
        return {m.code: m.id for m in session.scalars(select(Meter))}


def test_daily_balance_and_loss(world, client, tmp_path, admin, reference, write_csv) -> None:
    ids = _plant(world, tmp_path, admin, reference, write_csv)
    params = {"from": "2024-03-01", "to": "2024-03-02"}
    answer = client.get(f"/api/v1/meters/{ids['P']}/balance", params=params, headers=world.auth("ent_a"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["meter"] for c in body["children"]] == ["C1", "C2"]
    assert [e["meter"] for e in body["excluded"]] == ["M"]  # MWh vs kWh
    first, second = body["days"]
    assert first["date"] == "2024-03-01"
    assert (first["parent"], first["children"], first["loss"]) == (40.0, 36.0, 4.0)
    assert first["loss_pct"] == pytest.approx(10.0)  # 4 / 40 × 100
    assert first["completeness"] == pytest.approx(4 / 96)
    assert second["parent"] == 40.0 and second["children"] is None and second["loss"] is None
    assert "children_incomplete" in second["flags"] and "no_data" in second["flags"]

    assert (
        client.get(f"/api/v1/meters/{ids['P']}/balance", params=params, headers=world.auth("ent_b")).status_code == 404
    )
    lone = client.get(f"/api/v1/meters/{ids['LONE']}/balance", params=params, headers=world.auth("ent_a"))
    assert lone.status_code == 422 and "没有计入总量的分表" in lone.text  # Chinese by default
    lone_en = client.get(
        f"/api/v1/meters/{ids['LONE']}/balance", params=params, headers={**world.auth("ent_a"), "Accept-Language": "en"}
    )
    assert lone_en.status_code == 422 and "sub-meters" in lone_en.text
    backwards = client.get(
        f"/api/v1/meters/{ids['P']}/balance",
        params={"from": "2024-03-02", "to": "2024-03-01"},
        headers=world.auth("ent_a"),
    )
    assert backwards.status_code == 422


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_rollups_balance_command(world, tmp_path, admin, reference, write_csv) -> None:
    from dualcarbon.app.cli import app

    _plant(world, tmp_path, admin, reference, write_csv)
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    args = ["rollups", "balance", "--meter", "P", "--enterprise", world.codes["a"]]
    args += ["--from", "2024-03-01", "--to", "2024-03-01", "--data-dir", data_dir]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["days"][0]["loss"] == 4.0
    lines = CliRunner().invoke(app, [*args, "--format", "csv"]).stdout.splitlines()
    assert lines[0] == "date,parent,children,loss,loss_pct,completeness,flags"
    assert lines[1].startswith("2024-03-01,40.0,36.0,4.0,10.0,")
