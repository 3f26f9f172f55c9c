"""Stored rollups, refreshed incrementally: late data recomputes only the periods it touches (both stores).

The world's meters (tests/monitoring/conftest.py): a/E1 cumulative electricity kWh ×2, a/G1 interval natural gas
m3 ×1. Periods are Asia/Shanghai; 2024 is a leap year (2024-02-29 exists).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.monitoring import service_refresh, service_rollups
from dualcarbon.monitoring.models import Meter
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

START = datetime(2024, 3, 1)


def _refresh(world: Any, reference: Any) -> service_refresh.RefreshStats:
    with session_scope(world.engine) as session:
        return service_refresh.refresh_rollups(session, reference, credit_code=world.codes["a"])


def _day(world: Any, admin: Any, reference: Any, code: str, day: date) -> Any:
    with session_scope(world.engine) as session:
        result = service_rollups.meter_rollups(
            session, admin, "day", day, day, reference, credit_code=world.codes["a"], meter_code=code
        )
    return result.periods[0]


def _stored_equals_computed(world: Any, admin: Any, reference: Any, code: str, first: date, last: date) -> None:
    with session_scope(world.engine) as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes["a"])).one()
        meter = session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code == code)).one()
        for interval in ("hour", "day", "month"):
            stored, _ = service_rollups.rollups_of(session, enterprise, [meter], interval, first, last, reference)
            computed, _ = service_rollups.compute_rollups(
                session, enterprise, [meter], interval, first, last, reference
            )
            assert stored.num_rows == computed.num_rows > 0
            assert stored.to_pylist() == computed.to_pylist(), interval


def test_a_late_day_recomputes_that_day_and_its_month_only(world, meters, admin, reference, ingest_values) -> None:
    # E1 counter i at 2024-03-01 00:00 + 15 min × i, i = 0 … 960 (to 03-11 00:00); every interval 1 × 2 = 2 kWh.
    # The readings inside 03-05 (00:15 … 23:45, i = 385 … 479) arrive a week late.
    readings = [(START + timedelta(minutes=15 * i), float(i)) for i in range(961)]
    late = [r for i, r in enumerate(readings) if 385 <= i <= 479]
    ingest_values("E1", [r for i, r in enumerate(readings) if not 385 <= i <= 479])
    first = _refresh(world, reference)
    # Slots 02-29 23:45 (the 03-01 00:00 reading closes it) … 03-10 23:45: days 02-29 … 03-10 = 11 days,
    # 11 × 24 = 264 hours, months February and March.
    assert first.periods == {"hour": 264, "day": 11, "month": 2}
    gap_day = _day(world, admin, reference, "E1", date(2024, 3, 5))
    # 03-05 00:00 (i = 384) → 03-06 00:00 (i = 480): (480 − 384) × 2 = 192 kWh in the last slot, 1 of 96 counted.
    assert gap_day.energy == pytest.approx(192.0) and gap_day.completeness == pytest.approx(1 / 96)
    assert gap_day.flags == ["incomplete", "spans_gap"]

    ingest_values("E1", late)
    second = _refresh(world, reference)
    assert second.dirty == 1  # one (meter, day)
    assert second.periods == {"hour": 24, "day": 1, "month": 1}
    full_day = _day(world, admin, reference, "E1", date(2024, 3, 5))
    assert full_day.energy == pytest.approx(96 * 2.0) and full_day.completeness == 1.0 and full_day.flags == []
    assert _refresh(world, reference).periods == {"hour": 0, "day": 0, "month": 0}  # nothing left dirty
    _stored_equals_computed(world, admin, reference, "E1", date(2024, 2, 28), date(2024, 3, 11))


def test_an_ingest_refreshes_the_rollups_after_its_commit_so_a_reader_pays_nothing(
    world, meters, admin, reference, ingest_values
) -> None:
    # G1 (interval, m3): 0.5 at every 15 min of 03-01 → 96 × 0.5 = 48 m3 that day, already stored at the ingest.
    ingest_values("G1", [(START + timedelta(minutes=15 * i), 0.5) for i in range(96)], refresh=True)
    with session_scope(world.engine) as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes["a"])).one()
        meter_ids = [m.id for m in session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id))]
        assert not service_refresh.rollup_store_for(session).has_pending(world.codes["a"], meter_ids)
        stored = service_refresh.read_stored(
            session, enterprise, [session.get(Meter, meters["a/G1"])], "day", START, START + timedelta(days=1)
        )
    assert stored.column("energy").to_pylist() == [pytest.approx(48.0)]
    assert _refresh(world, reference).periods == {"hour": 0, "day": 0, "month": 0}  # the reader's refresh: nothing


def test_a_late_day_of_an_interval_meter(world, meters, admin, reference, ingest_values) -> None:
    # G1 (interval, m3): value 0.5 at every 15 min of 03-01 … 03-03; 03-02 arrives late.
    readings = [(START + timedelta(minutes=15 * i), 0.5) for i in range(3 * 96)]
    ingest_values("G1", readings[:96] + readings[192:])
    assert _refresh(world, reference).periods == {"hour": 48, "day": 2, "month": 1}
    ingest_values("G1", readings[96:192])
    assert _refresh(world, reference).periods == {"hour": 24, "day": 1, "month": 1}
    assert _day(world, admin, reference, "G1", date(2024, 3, 2)).energy == pytest.approx(96 * 0.5)  # 48 m3
    _stored_equals_computed(world, admin, reference, "G1", date(2024, 3, 1), date(2024, 3, 3))


def test_a_changed_meter_definition_recomputes_its_stored_days(world, meters, admin, reference, ingest_values) -> None:
    # E1 ×2: 0, 10, 20 at 00:00, 00:15, 00:30 of 03-01 → 2 intervals × 10 × 2 = 40 kWh on 03-01.
    ingest_values("E1", [(START + timedelta(minutes=15 * i), 10.0 * i) for i in range(3)])
    assert _day(world, admin, reference, "E1", date(2024, 3, 1)).energy == pytest.approx(40.0)
    with session_scope(world.engine) as session:
        session.get(Meter, meters["a/E1"]).multiplier = 3.0  # type: ignore[union-attr]
    stats = _refresh(world, reference)
    # Stored days of E1: 02-29 (slot of the 00:00 reading, no energy) and 03-01 → 2 days, 48 hours, 2 months.
    assert stats.periods == {"hour": 48, "day": 2, "month": 2}
    assert _day(world, admin, reference, "E1", date(2024, 3, 1)).energy == pytest.approx(60.0)  # 2 × 10 × 3


def test_a_first_refresh_over_months_apart_keeps_the_lookback_of_each_run(
    world, meters, admin, reference, ingest_values
) -> None:
    # E1 ×2: 0 … 8 every 15 min from 2024-01-10 00:00 and 100 … 108 from 2024-04-10 00:00. Two runs of months
    # (January; April): on the Parquet store a first refresh takes one pass over all readings, which here must not
    # be written as is — April's first reading would take its difference from January's last, which the April run
    # (and a request for April) never sees: it is more than LOOKBACK (31 days) back.
    jan = [(datetime(2024, 1, 10) + timedelta(minutes=15 * i), float(i)) for i in range(9)]
    apr = [(datetime(2024, 4, 10) + timedelta(minutes=15 * i), 100.0 + i) for i in range(9)]
    ingest_values("E1", jan + apr)
    stats = _refresh(world, reference)
    assert stats.dirty == 2  # (E1, 01-10) and (E1, 04-10)
    # Slot days 01-09 (the 00:00 reading closes 01-09 23:45), 01-10, 04-09, 04-10: 96 hours, 4 days, 2 months.
    assert stats.periods == {"hour": 96, "day": 4, "month": 2}
    april = _day(world, admin, reference, "E1", date(2024, 4, 10))
    assert april.energy == pytest.approx(8 * 2.0) and "spans_gap" not in april.flags
    _stored_equals_computed(world, admin, reference, "E1", date(2024, 1, 1), date(2024, 1, 31))
    _stored_equals_computed(world, admin, reference, "E1", date(2024, 4, 1), date(2024, 4, 30))


def test_a_first_refresh_counts_the_days_of_its_readings(world, meters, admin, reference, ingest_values) -> None:
    # The dirty count of a first refresh is the number of (meter, Asia/Shanghai day) pairs of the readings, counted
    # from the day rows' bits (a cumulative reading closes the slot one interval before it).
    # E1 (cumulative): 03-01 00:00 … 03-02 00:00 → reading days 03-01, 03-02 (slots 02-29 23:45 … 03-01 23:45);
    # E3 (cumulative): 03-03 00:00 and 00:15 → reading day 03-03 only, though its slots 03-02 23:45 and 03-03 00:00
    # lie in two days; G1 (interval): 03-01 00:00 … 23:45 → reading day 03-01. 2 + 1 + 1 = 4 (slot days: 5).
    ingest_values("E1", [(START + timedelta(minutes=15 * i), float(i)) for i in range(97)])
    ingest_values("E3", [(START + timedelta(days=2, minutes=15 * i), 5.0 + i) for i in range(2)])
    ingest_values("G1", [(START + timedelta(minutes=15 * i), 0.5) for i in range(96)])
    stats = _refresh(world, reference)
    assert stats.dirty == 4
    # Slot days: E1 02-29, 03-01; E3 03-02, 03-03; G1 03-01 → 5 days, 120 hours; months: E1 February and March,
    # E3 and G1 March → 4 month rows.
    assert stats.periods == {"hour": 120, "day": 5, "month": 4}
    _stored_equals_computed(world, admin, reference, "E1", date(2024, 2, 29), date(2024, 3, 2))


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_rollups_refresh_command(world, meters, admin, reference, ingest_values) -> None:
    from dualcarbon.app.cli import app

    ingest_values("G1", [(START, 1.0), (START + timedelta(hours=1), 2.0)])
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    result = CliRunner().invoke(app, ["rollups", "refresh", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    # Every enterprise of the world (3); G1's one day 03-01: 24 hours, 1 day, 1 month. Then the cost step of every
    # enterprise with meters: the shipped reference has no price for this world's region, so nothing is costed
    # (tests/monitoring/test_cost.py costs with an imported tariff).
    assert json.loads(result.stdout) == {
        "enterprises": 3,
        "dirty": 1,
        "periods": {"hour": 24, "day": 1, "month": 1},
        "costed_days": 0,
        "cost_rows": 0,
    }
    again = CliRunner().invoke(app, ["rollups", "refresh", "--data-dir", data_dir])
    assert json.loads(again.stdout)["periods"] == {"hour": 0, "day": 0, "month": 0}
