"""One partitioned COPY for many files (monitoring/store_files.py), and the first refresh that uses it.

A level's first files (hour, day, month) and the region table's deltas are written with one ``COPY … PARTITION_BY``
into a staging folder, then each partition's file is renamed into place. These tests check the helper itself (a
partition written as several files becomes one), that the stored rollups equal the computed ones after a first
refresh across months, and that the staging folder of a crashed write is neither read nor left behind.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from dualcarbon.monitoring import service_refresh, service_rollups
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.store_files import copy_partitioned, one_file
from dualcarbon.monitoring.store_region import RegionDays
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

SQLITE = pytest.mark.parametrize("world", ["sqlite"], indirect=True)


def test_copy_partitioned_gives_one_file_per_key_without_the_key_column(tmp_path: Path) -> None:
    con = duckdb.connect()
    try:
        rows, files = copy_partitioned(
            con, "SELECT i AS meter_id, i % 3 + 202401 AS pkey FROM range(10) t(i)", tmp_path / "staging"
        )
    finally:
        con.close()
    assert rows == 10 and sorted(files) == [202401, 202402, 202403]
    got = {key: sorted(pq.read_table(f).column("meter_id").to_pylist()) for key, f in files.items()}
    assert got == {202401: [0, 3, 6, 9], 202402: [1, 4, 7], 202403: [2, 5, 8]}
    assert pq.read_schema(files[202401]).names == ["meter_id"]


def test_a_partition_written_as_several_files_becomes_one(tmp_path: Path) -> None:
    part = tmp_path / "pkey=202401"
    part.mkdir()
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT 1 AS meter_id, 'a' AS flags) TO '{part / 'data_0.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT 2 AS meter_id, 'b' AS flags) TO '{part / 'data_1.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    merged = one_file(part)
    assert merged.parent == part and merged.name not in {"data_0.parquet", "data_1.parquet"}
    assert sorted(pq.read_table(merged).to_pylist(), key=lambda r: r["meter_id"]) == [
        {"meter_id": 1, "flags": "a"},
        {"meter_id": 2, "flags": "b"},
    ]
    only = tmp_path / "pkey=202402"
    only.mkdir()
    (only / "data_0.parquet").write_bytes(merged.read_bytes())
    assert one_file(only) == only / "data_0.parquet"


@SQLITE
def test_first_refresh_across_months_and_a_crashed_write_left_behind(
    world: Any, meters: Any, reference: Any, ingest_values: Any
) -> None:
    code = world.codes["a"]
    root = Path(world.url.split("///", 1)[1]).parent / "monitoring"
    # What a write killed between its COPY and its renames leaves: a staging folder with a partition file.
    dead = root / "rollups" / f"enterprise={code}" / "interval=hour" / ".partitioned-dead" / "pkey=202402"
    dead.mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT 1 AS meter_id) TO '{dead / 'data_0.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    dead_region = root / "region" / ".partitioned-dead"
    dead_region.mkdir(parents=True)
    (root / "region" / "READY").write_text("1\n", encoding="utf-8")  # the region table exists: deltas are written
    # E1 from 2024-01-31 00:00 to 2024-03-01 00:00 every 15 minutes: slots from 01-30 23:45 to 02-29 23:45.
    start = datetime(2024, 1, 31)
    ingest_values("E1", [(start + timedelta(minutes=15 * i), float(i)) for i in range(30 * 96 + 1)])
    with session_scope(world.engine) as session:
        stats = service_refresh.refresh_rollups(session, reference, credit_code=code)
    assert stats.periods == {"hour": 31 * 24, "day": 31, "month": 2}
    assert not dead.parent.exists() and not dead_region.exists()
    hour_files = sorted(p.name for p in (root / "rollups" / f"enterprise={code}" / "interval=hour").iterdir())
    assert hour_files == ["month=2024-01.parquet", "month=2024-02.parquet"]
    deltas = sorted(p.name for p in (root / "region" / "interval=day").glob("month=*/delta-*.parquet"))
    # The first reading's slot (01-30 23:45) has no energy but is a period: January 30 and 31, February 1 … 29.
    assert deltas == ["delta-1-2.parquet", "delta-1-29.parquet"]
    region = RegionDays(root).query(
        "SELECT count(*), sum(energy) FROM {days}", datetime(2024, 1, 1), datetime(2024, 4, 1)
    )
    with session_scope(world.engine) as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).one()
        meter = session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code == "E1")).all()
        for interval in ("hour", "day", "month"):
            stored, _ = service_rollups.rollups_of(
                session, enterprise, list(meter), interval, date(2024, 1, 30), date(2024, 3, 1), reference
            )
            computed, _ = service_rollups.compute_rollups(
                session, enterprise, list(meter), interval, date(2024, 1, 30), date(2024, 3, 1), reference
            )
            assert stored.num_rows == computed.num_rows > 0
            assert stored.to_pylist() == computed.to_pylist(), interval
        days, _ = service_rollups.rollups_of(
            session, enterprise, list(meter), "day", date(2024, 1, 30), date(2024, 2, 29), reference
        )
    assert region[0][0] == 31 and region[0][1] == pytest.approx(sum(e for e in days.column("energy").to_pylist() if e))
