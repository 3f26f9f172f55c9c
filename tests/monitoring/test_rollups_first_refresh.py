"""The first refresh's shortcuts give the numbers of the general path (SQLite + Parquet store).

A first refresh (nothing rolled up yet) folds what every meter of the pass shares into literals (the interval, the
year's factors: :func:`.rollup_sql.hour_params`), skips the slot filter when its range holds every possible slot
(:func:`.rollup_sql.slot_filter`), counts the reading days from bits of the day rows and finds the empty hours of a
day from its ``hour_bits``. Each stored period must equal the one computed on request from the readings.

The world's meters (tests/monitoring/conftest.py): a/E1 cumulative electricity kWh ×2, a/G1 interval natural gas.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.monitoring import rollup_sql, service_ingest, service_refresh, service_rollups
from dualcarbon.monitoring.models import Meter
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

SQLITE = pytest.mark.parametrize("world", ["sqlite"], indirect=True)


def _stored_and_computed(world: Any, reference: Any, codes: list[str], first: date, last: date) -> None:
    with session_scope(world.engine) as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes["a"])).one()
        meters = list(
            session.scalars(
                select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code.in_(codes)).order_by(Meter.id)
            )
        )
        for interval in ("hour", "day", "month"):
            stored, _ = service_rollups.rollups_of(session, enterprise, meters, interval, first, last, reference)
            computed, _ = service_rollups.compute_rollups(session, enterprise, meters, interval, first, last, reference)
            assert stored.num_rows == computed.num_rows > 0
            assert stored.to_pylist() == computed.to_pylist(), interval


@SQLITE
def test_one_kind_of_meter_over_a_year_end_with_a_gap(world, meters, admin, reference, ingest_values) -> None:
    # E1 alone (electricity: one factor triple per year, 2023 and 2024 differ): literals through a CASE on the year.
    # 2023-12-31 00:00 … 2024-01-02 00:00 every 15 min, without 2024-01-01 10:00 … 13:45 (a gap of 4 hours).
    start = datetime(2023, 12, 31)
    readings = [(start + timedelta(minutes=15 * i), float(i)) for i in range(193)]
    held = {i for i in range(193) if datetime(2024, 1, 1, 10) <= readings[i][0] < datetime(2024, 1, 1, 14)}
    ingest_values("E1", [r for i, r in enumerate(readings) if i not in held])
    with session_scope(world.engine) as session:
        stats = service_refresh.refresh_rollups(session, reference, credit_code=world.codes["a"])
    # Slots 12-30 23:45 … 01-01 23:45: days 12-30, 12-31, 01-01 (72 hours); reading days 12-31, 01-01, 01-02.
    assert stats.dirty == 3
    assert stats.periods == {"hour": 72, "day": 3, "month": 2}
    _stored_and_computed(world, reference, ["E1"], date(2023, 12, 30), date(2024, 1, 2))
    with session_scope(world.engine) as session:
        day = service_rollups.meter_rollups(
            session,
            admin,
            "hour",
            date(2024, 1, 1),
            date(2024, 1, 1),
            reference,
            credit_code=world.codes["a"],
            meter_code="E1",
        )
    empty = [p.start.hour for p in day.periods if p.flags == ["no_data"]]
    # The 14:00 reading closes the slot 13:45 (spanning the gap): hours 10, 11, 12 have no slot, 13 has one.
    assert empty == [10, 11, 12]


@SQLITE
def test_two_kinds_of_meter_keep_the_joins(world, meters, admin, reference, ingest_values) -> None:
    # E1 (electricity) and G1 (natural gas) in one pass: factors differ, so the hour rows join them.
    start = datetime(2024, 3, 1)
    ingest_values("E1", [(start + timedelta(minutes=15 * i), float(i)) for i in range(97)])
    ingest_values("G1", [(start + timedelta(minutes=15 * i), 0.5) for i in range(0, 96, 2)])
    with session_scope(world.engine) as session:
        service_refresh.refresh_rollups(session, reference, credit_code=world.codes["a"])
    _stored_and_computed(world, reference, ["E1", "G1"], date(2024, 2, 29), date(2024, 3, 2))


def test_hour_params_fold_only_what_every_meter_shares() -> None:
    shared = {"interval_minutes": "CAST('15' AS INTEGER)"}
    one_year = [(1, 2024, 0.1, 0.3, 0.5), (2, 2024, 0.1, 0.3, 0.5)]
    folded = rollup_sql.hour_params(shared, [1, 2], [2024], one_year)
    assert folded["hour_joins"] == ""
    assert "CAST('0.1' AS DOUBLE) AS tce_per_unit" in folded["hour_factors"]
    # A meter without a factors row of the year, or two meters with different factors: the join, as before.
    missing = rollup_sql.hour_params(shared, [1, 2, 3], [2024], one_year)
    differ = rollup_sql.hour_params(shared, [1, 2], [2024], [(1, 2024, 0.1, 0.3, 0.5), (2, 2024, 0.2, 0.3, 0.5)])
    for params in (missing, differ):
        assert "LEFT JOIN factors" in params["hour_joins"] and params["hour_factors"].startswith("f.")
    # Meters with different intervals join the meter table for the expected count.
    mixed = rollup_sql.hour_params({"interval_minutes": "m.interval_minutes"}, [1, 2], [2024], one_year)
    assert "JOIN meters m" in mixed["hour_joins"]
    # A missing factor (no 等价值 for the year) is a NULL literal, like the join's NULL.
    absent = rollup_sql.hour_params(shared, [1], [2024], [(1, 2024, 0.1, None, 0.5)])
    assert "CAST(NULL AS DOUBLE) AS tce_equal_per_unit" in absent["hour_factors"]


def test_slot_filter_is_left_out_only_for_the_range_of_every_possible_slot() -> None:
    assert rollup_sql.slot_filter(rollup_sql.SLOTS_FIRST, rollup_sql.SLOTS_END) == ""
    # The stored readings' limits (UTC) put every slot inside [SLOTS_FIRST, SLOTS_END) local time.
    first_reading = datetime.fromisoformat(service_ingest.TS_MIN_UTC) + timedelta(hours=8)
    last_reading = datetime.fromisoformat(service_ingest.TS_END_UTC) + timedelta(hours=8)
    assert rollup_sql.SLOTS_FIRST <= first_reading - timedelta(days=1) and last_reading <= rollup_sql.SLOTS_END
    month = rollup_sql.slot_filter(datetime(2024, 3, 1), datetime(2024, 4, 1))
    assert month == " WHERE slot >= TIMESTAMP '2024-03-01 00:00:00' AND slot < TIMESTAMP '2024-04-01 00:00:00'"
