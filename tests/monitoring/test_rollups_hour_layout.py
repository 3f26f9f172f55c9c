"""The stored hour layout (store_rollups.HOUR_COLUMNS): factors and flag bits in the files, tce / tce_equal / tCO₂ and
the flag names derived on read, and hour files of the earlier layout (tce … and ``flags`` stored) still read.

The world's meters (tests/monitoring/conftest.py): a/E1 cumulative electricity kWh ×2, a/E4 with max_rate 100 kWh/h,
a/G1 interval natural gas m3. Periods are Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from dualcarbon.monitoring import service_refresh, service_rollups
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.rollup_sql import AGG_HOUR_SQL, AGG_SQL, PERIOD_FLAG_NAMES
from dualcarbon.monitoring.service_rollups import _sql_params
from dualcarbon.monitoring.store_rollups import (
    HOUR_AS_ROLLUP,
    HOUR_COLUMNS,
    ROLLUP_COLUMNS,
    rollup_store_for,
)
from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

START = datetime(2024, 3, 1)
FAR = (datetime(2000, 1, 1), datetime(2100, 1, 1))


def _refresh(world: Any, reference: Any) -> None:
    with session_scope(world.engine) as session:
        service_refresh.refresh_rollups(session, reference, credit_code=world.codes["a"])


def _hour_files(world: Any) -> list[Path]:
    folder = Path(world.url.removeprefix("sqlite+pysqlite:///")).parent / "monitoring" / "rollups"
    return sorted(folder.glob(f"enterprise={world.codes['a']}/interval=hour/*.parquet"))


def _stored_hours(world: Any, codes: list[str]) -> pa.Table:
    with session_scope(world.engine) as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes["a"])).one()
        ids = [
            m.id
            for m in session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code.in_(codes)))
        ]
        return rollup_store_for(session).read(enterprise.credit_code, ids, "hour", *FAR)


def _stored_equals_computed(world: Any, reference: Any, codes: list[str], first: date, last: date) -> None:
    with session_scope(world.engine) as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes["a"])).one()
        meters = list(
            session.scalars(
                select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code.in_(codes)).order_by(Meter.id)
            )
        )
        stored, _ = service_rollups.rollups_of(session, enterprise, meters, "hour", first, last, reference)
        computed, _ = service_rollups.compute_rollups(session, enterprise, meters, "hour", first, last, reference)
    assert stored.num_rows == computed.num_rows > 0
    assert stored.to_pylist() == computed.to_pylist()


def _readings(ingest_values: Any) -> None:
    # E1: 2 days of 15-min counters with a hole on 03-01 10:00–12:00 (incomplete, spans_gap); E4: 80 kWh a slot,
    # above its max_rate of 100 kWh/h (rate_above_max); G1: hourly interval readings of 5 m3.
    e1 = [(START + timedelta(minutes=15 * i), float(i)) for i in range(193) if not 40 < i < 48]
    ingest_values("E1", e1)
    ingest_values("E4", [(START + timedelta(minutes=15 * i), 80.0 * i) for i in range(97)])
    ingest_values("G1", [(START + timedelta(hours=i), 5.0) for i in range(48)])


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_hour_files_hold_factors_and_flag_bits_and_read_as_the_contract(
    world: Any, meters: Any, reference: Any, ingest_values: Any
) -> None:
    _readings(ingest_values)
    _refresh(world, reference)
    files = _hour_files(world)
    assert files and all(pq.read_schema(f).names == list(HOUR_COLUMNS) for f in files)
    raw = pa.concat_tables([pq.read_table(f) for f in files])
    hours = _stored_hours(world, ["E1", "E4", "G1"])
    assert hours.column_names == list(ROLLUP_COLUMNS) and hours.num_rows == raw.num_rows
    # tce … are energy × the stored factor (the product the refresh took before, to the bit); the flags' names.
    by_key = {(r["meter_id"], r["start"]): r for r in raw.to_pylist()}
    flagged = set()
    for row in hours.to_pylist():
        stored = by_key[(row["meter_id"], row["start"])]
        for column, factor in (("tce", "tce_per_unit"), ("tce_equal", "tce_equal_per_unit"), ("tco2", "tco2_per_unit")):
            energy, per_unit = stored["energy"], stored[factor]
            assert row[column] == (None if energy is None or per_unit is None else energy * per_unit)
        names = [n for i, n in enumerate(PERIOD_FLAG_NAMES) if stored["flag_bits"] & (1 << i)]
        assert row["flags"] == "|".join(names) and row["sig"] == ""
        flagged.update(names)
    assert {"no_data", "incomplete", "spans_gap", "rate_above_max"} <= flagged
    # … and what the API reads equals the computation on request.
    _stored_equals_computed(world, reference, ["E1", "E4", "G1"], date(2024, 2, 29), date(2024, 3, 3))


def _to_earlier_layout(files: list[Path]) -> None:
    """Rewrite hour files as an earlier version stored them (tce …, ``flags`` joined by ``|``, ``sig`` '')."""
    con = duckdb.connect()
    try:
        for file in files:
            tmp = file.with_name(f".{file.name}.old")
            con.execute(f"COPY (SELECT {HOUR_AS_ROLLUP} FROM read_parquet('{file}')) TO '{tmp}' (FORMAT parquet)")
            tmp.replace(file)
    finally:
        con.close()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_hour_files_of_the_earlier_layout_read_and_keep_it_when_rows_are_merged(
    world: Any, meters: Any, reference: Any, ingest_values: Any
) -> None:
    readings = [(START + timedelta(minutes=15 * i), float(i)) for i in range(961)]  # to 03-11
    late = [r for i, r in enumerate(readings) if 385 <= i <= 479]  # inside 03-05
    ingest_values("E1", [r for i, r in enumerate(readings) if not 385 <= i <= 479])
    _refresh(world, reference)
    before = _stored_hours(world, ["E1"])
    files = _hour_files(world)
    _to_earlier_layout(files)
    assert all("flags" in pq.read_schema(f).names and "flag_bits" not in pq.read_schema(f).names for f in files)
    assert _stored_hours(world, ["E1"]).to_pylist() == before.to_pylist()

    ingest_values("E1", late)
    _refresh(world, reference)  # 03-05 recomputed: its 24 hours merged into the March file of the earlier layout
    assert all(pq.read_schema(f).names == list(ROLLUP_COLUMNS) for f in files)
    _stored_equals_computed(world, reference, ["E1"], date(2024, 2, 29), date(2024, 3, 10))
    march = [r for r in _stored_hours(world, ["E1"]).to_pylist() if r["start"].date() == date(2024, 3, 5)]
    assert len(march) == 24 and all(r["flags"] == "" for r in march)

    # A month of the new layout beside one of the earlier layout: one read gives both.
    ingest_values("E1", [(datetime(2024, 4, 2) + timedelta(minutes=15 * i), 2000.0 + i) for i in range(9)])
    _refresh(world, reference)
    april = [f for f in _hour_files(world) if f.name == "month=2024-04.parquet"]
    assert april and pq.read_schema(april[0]).names == list(HOUR_COLUMNS)
    _stored_equals_computed(world, reference, ["E1"], date(2024, 2, 29), date(2024, 4, 2))


def test_flag_bits_and_factors_read_back_as_the_names_and_products_of_the_other_levels() -> None:
    """Every flag condition, alone and together: AGG_HOUR_SQL read through HOUR_AS_ROLLUP gives what AGG_SQL gives."""
    p = _sql_params()
    joined = (
        "SELECT * FROM (VALUES "
        # meter, start, expected, counted, bits, energy, tce_per_unit, tce_equal_per_unit, tco2_per_unit
        "(1, TIMESTAMP '2024-03-01 00:00', 4.0, 4, 0, 10.0, 0.1229, 0.3, 0.5703),"  # clean
        "(1, TIMESTAMP '2024-03-01 01:00', 4.0, NULL, NULL, NULL, 0.1229, 0.3, 0.5703),"  # no_data
        "(1, TIMESTAMP '2024-03-01 02:00', 4.0, 3, {reset}, 7.5, 0.1229, 0.3, 0.5703),"
        "(1, TIMESTAMP '2024-03-01 03:00', 4.0, 4, {rollover} | {gap}, 1.25, 0.1229, 0.3, 0.5703),"
        "(1, TIMESTAMP '2024-03-01 04:00', 4.0, 2, {above}, 3.0, NULL, 0.3, 0.5703),"
        "(1, TIMESTAMP '2024-03-01 05:00', 4.0, 4, 0, 3.0, 0.1229, NULL, NULL),"
        "(1, TIMESTAMP '2024-03-01 06:00', 4.0, 1, {reset} | {rollover} | {above} | {gap}, 0.1, NULL, NULL, NULL)"
        ") t(meter_id, start, expected, counted, bits, energy, tce_per_unit, tce_equal_per_unit, tco2_per_unit)"
    ).format(**p)
    con = duckdb.connect()
    try:
        names = con.sql(
            f"SELECT {', '.join(ROLLUP_COLUMNS[:-1])} FROM ({AGG_SQL.format(joined=joined, extra='', **p)}) "
            "ORDER BY start"
        ).fetchall()
        bits = con.sql(
            f"SELECT {', '.join(ROLLUP_COLUMNS[:-1])} FROM (SELECT {HOUR_AS_ROLLUP} "
            f"FROM ({AGG_HOUR_SQL.format(joined=joined, **p)})) ORDER BY start"
        ).fetchall()
    finally:
        con.close()
    assert bits == names
    assert [row[-1] for row in names] == [
        "",
        "no_data",
        "incomplete|counter_reset",
        "rollover|spans_gap",
        "incomplete|rate_above_max|tce_unavailable",
        "tce_equal_unavailable|tco2_unavailable",
        "incomplete|counter_reset|rollover|rate_above_max|spans_gap|tce_unavailable|tce_equal_unavailable"
        "|tco2_unavailable",
    ]


def test_hour_rows_are_not_stored_from_arrow_rows(tmp_path: Path) -> None:
    rows = pa.table({c: pa.array([None], pa.string()) for c in ROLLUP_COLUMNS})
    with pytest.raises(ValueError, match="replace_query"):
        ParquetRollupStore(tmp_path).replace("X", "hour", rows)
