"""The cost step computes first and writes in one short step (both stores).

* Reached inside the compute step of ``compute_then_write`` (the alert loop's lazy path), the refresh writes
  nothing and takes no SQLite write lock; the computation reads the new costs from the session, and the write
  step stores them.
* A plan written after another refresh stored newer rows for its days writes none of them (the month is not
  summed back from the stale plan's days).
* Two cost writes at once for the same days: the second waits for the first and then writes nothing — no
  duplicate key, one row per period.

Tariff and readings: those of test_cost.py (温州 three bands; 10 kWh every hour → 138.00 元 a day).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.monitoring import service_cost
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.store_cost import MonitoringCost, read_rows
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import compute_then_write, session_scope

from .test_cost import THREE_BANDS, _ingest, _tariff_reference, _ten_kwh_every_hour

DAY = 138.0  # 10 kWh × (10 h × 0.30 + 6 h × 0.60 + 8 h × 0.90)


def _enterprise(session: Session, meter_id: int) -> Enterprise:
    meter = session.get(Meter, meter_id)
    assert meter is not None
    enterprise = session.get(Enterprise, meter.enterprise_id)
    assert enterprise is not None
    return enterprise


def _count(world: Any, interval: str) -> int:
    with session_scope(world.engine, write=False) as session:
        query = select(func.count()).select_from(MonitoringCost).where(MonitoringCost.interval == interval)
        return int(session.scalar(query) or 0)


def _month(world: Any, meter_id: int) -> float | None:
    with session_scope(world.engine, write=False) as session:
        (row,) = read_rows(session, [meter_id], "month", datetime(2024, 3, 1), datetime(2024, 4, 1))
        cost: float | None = row["cost_yuan"]
        return cost


def _write_lock_free(world: Any) -> bool:
    """True when another connection can take SQLite's write lock at once (always True elsewhere)."""
    if world.engine.dialect.name != "sqlite":
        return True
    probe = sqlite3.connect(world.engine.url.database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def test_a_lazy_refresh_in_a_compute_step_is_written_by_its_write_step(
    world: Any, meters: dict[str, int], admin: Any, tmp_path: Path
) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    _ingest(world, admin, "E1", _ten_kwh_every_hour("2024-03-01"))
    meter_id = meters["a/E1"]
    seen: dict[str, Any] = {}

    def compute(session: Any) -> float:
        enterprise = _enterprise(session, meter_id)
        stats = service_cost.refresh_costs(session, enterprise, reference)
        again = service_cost.refresh_costs(session, enterprise, reference)  # the tree reads it more than once
        seen.update(days=stats.days, again=again.days, stored=_count(world, "day"), lock_free=_write_lock_free(world))
        (day,) = read_rows(session, [meter_id], "day", datetime(2024, 3, 1), datetime(2024, 3, 2))
        (month,) = read_rows(session, [meter_id], "month", datetime(2024, 3, 1), datetime(2024, 4, 1))
        seen["month"] = month["cost_yuan"]
        return float(day["cost_yuan"])

    cost = compute_then_write(world.engine, compute, lambda _session, computed: computed)
    assert seen["days"] >= 1 and seen["again"] == 0  # the second refresh finds the session's pending rows
    assert seen["stored"] == 0 and seen["lock_free"]  # nothing written, no write lock during the computation
    assert cost == pytest.approx(DAY) and seen["month"] == pytest.approx(DAY)
    assert _count(world, "day") == seen["days"] and _count(world, "hour") == 24 * seen["days"]  # by the write step
    assert _month(world, meter_id) == pytest.approx(DAY)


def test_a_stale_plan_does_not_overwrite_a_newer_refresh(
    world: Any, meters: dict[str, int], admin: Any, tmp_path: Path
) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    _ingest(world, admin, "E1", _ten_kwh_every_hour("2024-03-01"))
    meter_id = meters["a/E1"]
    with session_scope(world.engine, write=False) as session:
        stale = service_cost.plan_costs(session, _enterprise(session, meter_id), reference)
    assert stale.expected  # day 1 (and the day the cumulative meter's first quarter lies in) to cost
    # Meanwhile a second day arrives and another refresh costs both days and sums March from them.
    readings = _ten_kwh_every_hour("2024-03-02")
    _ingest(world, admin, "E1", [(ts, 120.0 + value) for ts, value in readings[1:]])
    with session_scope(world.engine) as session:
        service_cost.refresh_costs(session, _enterprise(session, meter_id), reference)
    assert _month(world, meter_id) == pytest.approx(2 * DAY)
    with session_scope(world.engine) as session:
        written = service_cost.write_costs(session, stale)
    assert written.days == 0 and written.rows == 0
    assert _month(world, meter_id) == pytest.approx(2 * DAY)  # not the stale plan's March of one day
    assert _count(world, "hour") == 24 * _count(world, "day")


def test_two_cost_writes_at_once_write_each_period_once(
    world: Any, meters: dict[str, int], admin: Any, tmp_path: Path
) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    _ingest(world, admin, "E1", _ten_kwh_every_hour("2024-03-01"))
    meter_id = meters["a/E1"]
    plans = []
    for _ in range(2):
        with session_scope(world.engine, write=False) as session:
            plans.append(service_cost.plan_costs(session, _enterprise(session, meter_id), reference))
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            with session_scope(world.engine) as session:
                outcome["stats"] = service_cost.write_costs(session, plans[1])
        except Exception as exc:  # reported below
            outcome["error"] = exc

    with session_scope(world.engine) as session:
        first = service_cost.write_costs(session, plans[0])
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)  # the second waits for this transaction (SQLite write lock, PostgreSQL advisory lock)
        assert thread.is_alive()
    thread.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert first.days >= 1 and outcome["stats"].days == 0
    assert _count(world, "day") == first.days and _count(world, "hour") == 24 * first.days
    assert _month(world, meter_id) == pytest.approx(DAY)
    assert date(2024, 3, 1) in {s.date() for _, s in plans[0].expected}
