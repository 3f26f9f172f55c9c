"""Energy cost through the meter tree (``/api/v1/rollups``): summed from the stored TOU costs, null with a reason
where a meter has no tariff (both stores).

Tariff: the test import of test_cost.py for 温州 (3303), 2024 only — 谷 00–08, 22–24 at 0.30; 平 11–17 at 0.60;
峰 08–11, 17–22 at 0.90 元/kWh. Enterprise a (鹿城 330302), counted ``interval`` meters: EA electricity 2.5 kWh and
EB 1.25 kWh every quarter hour (10 and 5 kWh an hour), GA natural gas 1 m3 every quarter hour, all of 2024-03-01.

* a day of one kWh an hour costs 10 × 0.30 + 6 × 0.60 + 8 × 0.90 = 13.8 元: EA 138.00 + EB 69.00 = 207.00 元;
* the hour 08:00 is 峰: (10 + 5) kWh × 0.90 = 13.50 元; the hour 00:00 is 谷: 15 × 0.30 = 4.50 元;
* natural gas has no tariff in 温州: null, "no tariff for natural_gas …"; so the day's total over all carriers
  is null with that reason, and with ``carrier=electricity`` the total is 207.00 元;
* 2025-01-01 (one value on EA): the tariff covers 2024 only → null, "no tariff for electricity … 2025".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dualcarbon.monitoring import service_ingest, service_meters, service_tree
from dualcarbon.store.db import session_scope

from .test_cost import THREE_BANDS, _tariff_reference

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "counted"]
DAY = date(2024, 3, 1)


def _plant(world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any) -> None:
    a = world.codes["a"]
    rows = [
        [a, "EA", "electricity", "kWh", "interval", 1, "true"],
        [a, "EB", "electricity", "kWh", "interval", 1, "true"],
        [a, "GA", "natural_gas", "m3", "interval", 1, "true"],
    ]
    batch = []
    for step in range(96):
        ts = (datetime(2024, 3, 1) + timedelta(minutes=15 * step)).isoformat()
        batch += [(a, "EA", ts, "2.5"), (a, "EB", ts, "1.25"), (a, "GA", ts, "1")]
    batch.append((a, "EA", "2025-01-01T00:00:00", "2.5"))
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([r[i] for r in batch], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, write_csv(tmp_path / "m.csv", HEADER, rows), reference)
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == len(batch)


def _tree(world: Any, admin: Any, reference: Any, interval: str, day: date, carrier: str | None = None) -> Any:
    with session_scope(world.engine) as session:
        return service_tree.tree_rollups(
            session, admin, "enterprise", world.codes["a"], interval, day, day, reference, carrier=carrier
        )


def test_tree_totals_carry_the_stored_cost(world, tmp_path, admin, reference, write_csv) -> None:
    _plant(world, tmp_path, admin, reference, write_csv)
    priced = _tariff_reference(tmp_path, THREE_BANDS)
    day = _tree(world, admin, priced, "day", DAY)
    groups = {g["carrier"]: g["periods"][0] for g in day["carriers"]}
    assert groups["electricity"]["energy"] == pytest.approx(360.0)  # (10 + 5) kWh × 24 h
    assert groups["electricity"]["cost_yuan"] == pytest.approx(207.0)  # 138.00 + 69.00
    assert groups["electricity"]["cost_reason"] is None
    assert groups["natural_gas"]["cost_yuan"] is None
    assert "no tariff for natural_gas" in groups["natural_gas"]["cost_reason"]
    total = day["total"]["periods"][0]
    assert total["cost_yuan"] is None and "no tariff for natural_gas" in total["cost_reason"]

    only_power = _tree(world, admin, priced, "day", DAY, carrier="electricity")
    assert only_power["total"]["periods"][0]["cost_yuan"] == pytest.approx(207.0)

    hours = {
        p["start"][11:16]: p for p in _tree(world, admin, priced, "hour", DAY, "electricity")["carriers"][0]["periods"]
    }
    assert hours["08:00"]["cost_yuan"] == pytest.approx(13.5)  # 15 kWh × 0.90 峰
    assert hours["00:00"]["cost_yuan"] == pytest.approx(4.5)  # 15 kWh × 0.30 谷

    later = _tree(world, admin, priced, "day", date(2025, 1, 1), carrier="electricity")["carriers"][0]["periods"][0]
    assert later["energy"] == pytest.approx(2.5) and later["cost_yuan"] is None
    assert "no tariff for electricity" in later["cost_reason"] and "2025" in later["cost_reason"]


def test_without_any_tariff_every_cost_is_null_with_the_reason(
    world, client, tmp_path, admin, reference, write_csv
) -> None:
    _plant(world, tmp_path, admin, reference, write_csv)
    answer = client.get(
        "/api/v1/rollups",
        params={
            "scope": "enterprise",
            "id": world.codes["a"],
            "interval": "day",
            "from": "2024-03-01",
            "to": "2024-03-01",
        },
        headers=world.auth("ent_a"),
    )
    assert answer.status_code == 200, answer.text
    for group in answer.json()["carriers"]:
        period = group["periods"][0]
        assert period["cost_yuan"] is None and period["cost_reason"].startswith("no tariff for")
