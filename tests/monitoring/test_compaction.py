"""Compaction of the Parquet readings store (issue #8 §3) and the refresh of the rollups after an ingest.

World meters (tests/monitoring/conftest.py): a/E1 cumulative electricity kWh ×2, a/G1 interval natural gas m3.
Every test writes 12 batches of one hour each (4 readings per meter per batch) into March 2024 (Asia/Shanghai), so
the month partition ``month=2024-03`` holds 12 files before compaction.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import PermissionDenied
from dualcarbon.monitoring import cli_compact, service_ingest, service_refresh, store_readings
from dualcarbon.monitoring.store_readings import TEST_PAUSE_ENV, TEST_PAUSE_POINT_ENV, ParquetReadingsStore
from dualcarbon.store.db import session_scope

DUALCARBON = str(Path(sys.executable).with_name("dualcarbon"))
START = datetime(2024, 3, 1)
BATCHES = 12
sqlite_only = pytest.mark.parametrize("world", ["sqlite"], indirect=True)


def _root(world: Any) -> Path:
    return Path(world.url.split("///", 1)[1]).parent / "monitoring"


def _ingest_batches(world: Any, admin: Any, *, refresh: bool = True) -> None:
    """Batch b (0 … 11): hour b of 03-01; E1 counter 4h+q, G1 interval value 0.25 at each quarter q."""
    a = world.codes["a"]
    for b in range(BATCHES):
        rows = []
        for q in range(4):
            ts = (START + timedelta(minutes=15 * (4 * b + q))).isoformat()
            rows += [(a, "E1", ts, str(float(4 * b + q))), (a, "G1", ts, "0.25")]
        table = pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(service_ingest.BATCH_COLUMNS)})
        with session_scope(world.engine) as session:
            receipt = service_ingest.ingest_table(session, admin, table, source="file", refresh=refresh)
        assert (receipt.accepted, receipt.duplicate, receipt.conflict, receipt.rejected) == (8, 0, 0, 0)


def _rows(world: Any) -> list[tuple[int, datetime, float]]:
    """Every visible reading of enterprise a, sorted: the multiset compared before and after."""
    files = ParquetReadingsStore(_root(world)).visible_files(world.codes["a"])
    con = duckdb.connect()
    try:
        return con.execute("SELECT meter_id, ts, value FROM read_parquet(?) ORDER BY ALL", [files]).fetchall()
    finally:
        con.close()


def _partition(world: Any) -> Path:
    return _root(world) / "readings" / f"enterprise={world.codes['a']}" / "month=2024-03"


def _compact(world: Any, principal: Any, **kwargs: Any) -> service_refresh.CompactStats:
    with session_scope(world.engine) as session:
        return service_refresh.compact_readings(session, principal, credit_code=world.codes["a"], **kwargs)


@sqlite_only
def test_compaction_keeps_every_row_sorted_in_one_file_and_recomputes_nothing(world, meters, admin, reference) -> None:
    _ingest_batches(world, admin)
    before = _rows(world)
    assert len(before) == BATCHES * 8 == 96  # 12 batches × 4 quarters × 2 meters
    stats = _compact(world, admin, min_files=5)
    assert (stats.partitions, stats.files_before, stats.files_after, stats.rows) == (1, 12, 1, 96)
    visible = ParquetReadingsStore(_root(world)).visible_files(world.codes["a"])
    assert len(visible) == 1
    assert _rows(world) == before  # the same multiset of (meter, ts, value), exactly
    con = duckdb.connect()
    try:
        in_file = con.execute("SELECT meter_id, ts FROM read_parquet(?)", [visible]).fetchall()
    finally:
        con.close()
    assert in_file == sorted(in_file)  # sorted by (meter_id, ts)
    # The rollups had seen every merged file (refreshed after each ingest): the merged file is recorded as seen.
    with session_scope(world.engine) as session:
        again = service_refresh.refresh_rollups(session, reference, credit_code=world.codes["a"])
    assert (again.dirty, again.periods) == (0, {"hour": 0, "day": 0, "month": 0})
    # A second run finds one file in the partition (not more than 5): nothing to do.
    assert _compact(world, admin, min_files=5).partitions == 0


@sqlite_only
def test_files_not_yet_rolled_up_are_not_merged_unless_refreshed_first(world, meters, admin, reference) -> None:
    _ingest_batches(world, admin, refresh=False)
    assert _compact(world, admin, min_files=5).partitions == 0  # no file is in the rollups' seen manifest
    stats = _compact(world, admin, min_files=5, reference=reference)  # refresh first, then merge
    assert (stats.partitions, stats.files_before) == (1, 12)
    with session_scope(world.engine) as session:
        assert service_refresh.refresh_rollups(session, reference).periods == {"hour": 0, "day": 0, "month": 0}


@sqlite_only
def test_superseded_files_are_hidden_at_once_and_deleted_after_the_grace_period(
    world, meters, admin, monkeypatch
) -> None:
    _ingest_batches(world, admin)
    _compact(world, admin, min_files=5)
    assert len(list(_partition(world).glob("*.parquet"))) == 13  # 12 superseded (kept for readers) + 1 visible
    monkeypatch.setattr(store_readings, "SUPERSEDED_GRACE_SECONDS", 0.0)
    ParquetReadingsStore(_root(world)).compact(world.codes["a"], None, 5)  # any writer purges expired files
    assert len(list(_partition(world).glob("*.parquet"))) == 1
    assert not (_root(world) / "superseded.json").exists()
    assert len(_rows(world)) == 96


def test_only_an_administrator_compacts_and_postgresql_has_nothing_to_compact(world, meters, admin) -> None:
    user = Principal(user_id=None, username="ent", grants=(Grant("enterprise", enterprise_id=1),))
    with pytest.raises(PermissionDenied):
        _compact(world, user)
    stats = _compact(world, admin)
    assert stats.store == ("postgresql" if world.url.startswith("postgresql") else "parquet")
    assert stats.partitions == 0


@sqlite_only
def test_compact_command_prints_counts_and_names_a_bad_month(world, meters, admin) -> None:
    from dualcarbon.app.cli import app

    assert cli_compact.DEFAULT_MIN_FILES == store_readings.COMPACT_MIN_FILES
    _ingest_batches(world, admin)
    data_dir = str(_root(world).parent)
    bad = CliRunner().invoke(app, ["store", "compact-readings", "--month", "2024-13", "--data-dir", data_dir])
    assert bad.exit_code == 2 and "month" in bad.output
    args = ["store", "compact-readings", "--enterprise", world.codes["a"], "--month", "2024-03", "--min-files", "3"]
    result = CliRunner().invoke(app, [*args, "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "store": "parquet",
        "enterprises": 1,
        "partitions": 1,
        "files_before": 12,
        "files_after": 1,
        "rows": 96,
    }


@sqlite_only
@pytest.mark.parametrize(
    ("point", "files_after"),
    [
        ("staged", 12),  # killed before the commit point: the old files stay, the staged file is deleted
        ("commit", 1),  # killed after it, with the new file renamed in and the old ones not yet superseded
    ],
)
def test_kill_9_during_compaction_leaves_the_old_files_or_the_new_one(world, meters, admin, point, files_after) -> None:
    _ingest_batches(world, admin)
    before = _rows(world)
    env = dict(os.environ) | {TEST_PAUSE_ENV: "60", TEST_PAUSE_POINT_ENV: point}
    command = [DUALCARBON, "store", "compact-readings", "--min-files", "5", "--data-dir", str(_root(world).parent)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()  # blocks until the compaction sits at the pause point
        assert TEST_PAUSE_ENV in line, line
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    store = ParquetReadingsStore(_root(world))
    assert len(store.visible_files(world.codes["a"])) == files_after  # never both (13) nor neither (0)
    assert _rows(world) == before
    store.compact(world.codes["a"], None, 100)  # a writer's lock cleans the staging area
    assert not any(store.staging.iterdir())


@sqlite_only
def test_the_live_demos_compaction_merges_enterprise_by_enterprise(world, meters, admin, reference) -> None:
    """``compact_live_readings`` (the live simulator's periodic merge) compacts each enterprise in a transaction of
    its own and audits each; every row stays visible."""
    from sqlalchemy import select

    from dualcarbon.monitoring.service_simulator import compact_live_readings
    from dualcarbon.store.models import AuditLog

    _ingest_batches(world, admin)
    before = _rows(world)
    compact_live_readings(world.engine, min_files=5)
    assert len(ParquetReadingsStore(_root(world)).visible_files(world.codes["a"])) == 1
    assert _rows(world) == before
    with session_scope(world.engine) as session:
        audited = list(session.scalars(select(AuditLog.entity_id).where(AuditLog.action == "readings.compact")))
    assert audited == [world.codes["a"]]
