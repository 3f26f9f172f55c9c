"""The region day table (store_region): after every kind of write it holds exactly the enterprise day files' rows.

Unit level (the Parquet rollup store's own writer, whose day writes feed the table): first write builds the table,
a late day adds a delta, a recomputed day replaces the stored one (latest write wins, also across compactions),
a crash between the enterprise file and the delta is healed by the rewrite the refresh does next, a crashed
compaction's leftovers are ignored, concurrent writers under the rollups' lock lose nothing, the migration
builds the table from existing day files. Integration: ingest → refresh keeps it current, and a refresh that
crashes in the hook leaves its dirty set, so the next refresh completes the table.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from dualcarbon.monitoring import service_ingest, service_refresh, store_region
from dualcarbon.monitoring.store_region import RegionDays
from dualcarbon.monitoring.store_rollups import ROLLUP_SCHEMA, rollup_store_for
from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

ALL = (datetime(2000, 1, 1), datetime(2100, 1, 1))


def _rows(meter_id: int, first: date, values: list[float]) -> pa.Table:
    n = len(values)
    return pa.table(
        {
            "meter_id": pa.array([meter_id] * n, pa.int32()),
            "start": pa.array([datetime.combine(first, datetime.min.time()) + timedelta(days=i) for i in range(n)]),
            "energy": values,
            "tce": [v * 0.1 for v in values],
            "tce_equal": [v * 0.1 for v in values],
            "tco2": [v * 0.5 for v in values],
            "completeness": [1.0] * n,
            "flags": [""] * n,
            "sig": ["s"] * n,
        },
        schema=ROLLUP_SCHEMA,
    )


def _region(root: Path) -> list[tuple[Any, ...]]:
    return RegionDays(root).query("SELECT meter_id, start, energy, tce, tco2 FROM {days} ORDER BY 1, 2", *ALL)


def _enterprise_files(root: Path) -> list[tuple[Any, ...]]:
    files = sorted(str(f) for f in (root / "rollups").glob("enterprise=*/interval=day/*.parquet"))
    if not files:
        return []
    return duckdb.sql(
        f"SELECT meter_id, start, energy, tce, tco2 FROM read_parquet({files!r}) ORDER BY 1, 2"
    ).fetchall()


def _write(store: ParquetRollupStore, code: str, rows: pa.Table) -> None:
    with store.locked():
        store.replace(code, "day", rows)


def test_first_write_builds_then_late_days_and_recomputes_are_deltas(tmp_path: Path) -> None:
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 1, 30), [10.0, 11.0, 12.0]))  # across a month boundary
    region = RegionDays(store.root)
    assert region.ready()
    assert sorted(p.name for p in region.folder.iterdir()) == ["month=2024-01", "month=2024-02"]
    assert _region(store.root) == _enterprise_files(store.root)
    _write(store, "B", _rows(2, date(2024, 2, 1), [5.0]))  # another enterprise
    _write(store, "A", _rows(1, date(2024, 2, 2), [13.0]))  # a late day
    _write(store, "A", _rows(1, date(2024, 1, 31), [99.0]))  # a recomputed day: latest write wins
    rows = _region(store.root)
    assert rows == _enterprise_files(store.root)
    assert (1, datetime(2024, 1, 31), 99.0, pytest.approx(9.9), 49.5) in rows
    assert len(rows) == 5
    deltas = sorted(f.name for f in (region.folder / "month=2024-01").iterdir())
    assert deltas[0].startswith("base-") and deltas[1].startswith("delta-") and len(deltas) == 2


def test_compaction_keeps_the_latest_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_region, "MAX_DELTAS", 5)
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 3, 1), [1.0] * 31))
    for i in range(12):  # the same day rewritten 12 times, other meters in between
        _write(store, "A", _rows(1, date(2024, 3, 5), [100.0 + i]))
        _write(store, f"E{i}", _rows(10 + i, date(2024, 3, 5), [float(i)]))
    folder = RegionDays(store.root).folder / "month=2024-03"
    names = sorted(f.name for f in folder.iterdir())
    assert sum(n.startswith("base-") for n in names) == 1 and sum(n.startswith("delta-") for n in names) < 5
    rows = _region(store.root)
    assert rows == _enterprise_files(store.root)
    assert [r[2] for r in rows if r[0] == 1 and r[1] == datetime(2024, 3, 5)] == [111.0]
    assert len(rows) == 31 + 12


def test_a_crash_between_the_files_is_healed_by_the_next_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 5, 1), [1.0, 2.0]))

    def crash(self: RegionDays, con: Any, relation: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(RegionDays, "append", crash)
    with pytest.raises(OSError):
        _write(store, "A", _rows(1, date(2024, 5, 2), [7.0]))  # the enterprise file is renamed in; no delta
    assert _region(store.root) != _enterprise_files(store.root)  # until the refresh recomputes the dirty days
    monkeypatch.undo()
    _write(store, "A", _rows(1, date(2024, 5, 2), [7.0]))
    assert _region(store.root) == _enterprise_files(store.root)


def test_leftovers_of_a_crashed_compaction_are_ignored(tmp_path: Path) -> None:
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 6, 1), [1.0, 2.0]))
    _write(store, "A", _rows(1, date(2024, 6, 1), [3.0]))
    region = RegionDays(store.root)
    folder = region.folder / "month=2024-06"
    (delta,) = [f for f in folder.iterdir() if f.name.startswith("delta-")]
    stale_base = next(f for f in folder.iterdir() if f.name.startswith("base-"))
    kept_delta, kept_base = delta.read_bytes(), stale_base.read_bytes()
    with store.locked():
        region.compact(duckdb.connect(), folder)
    # a crash right after the new base's rename: the merged delta and the old base are still there
    delta.write_bytes(kept_delta)
    stale_base.write_bytes(kept_base)
    rows = _region(store.root)
    assert rows == _enterprise_files(store.root)
    assert [(r[1].day, r[2]) for r in rows] == [(1, 3.0), (2, 2.0)]
    _write(store, "A", _rows(1, date(2024, 6, 2), [4.0]))  # a later write gets a seq above every file
    assert [r[2] for r in _region(store.root)] == [3.0, 4.0]


def test_concurrent_writers_under_the_lock_lose_nothing(tmp_path: Path) -> None:
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 7, 1), [1.0]))  # built

    def writer(k: int) -> None:
        own = ParquetRollupStore(tmp_path / "monitoring")
        for day in range(6):
            _write(own, f"T{k}", _rows(100 + k, date(2024, 7, 1) + timedelta(days=day), [float(k * 10 + day)]))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = _region(store.root)
    assert len(rows) == 1 + 4 * 6
    assert rows == _enterprise_files(store.root)


def test_migration_builds_the_table_from_existing_day_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RegionDays, "append", lambda self, con, relation: None)  # rollups from before the table
    store = ParquetRollupStore(tmp_path / "monitoring")
    for k in range(3):
        _write(store, f"M{k}", _rows(k + 1, date(2024, 8, 30), [1.0 + k, 2.0, 3.0]))
    region = RegionDays(store.root)
    assert not region.ready()
    monkeypatch.undo()
    with store.locked():
        counts = region.build()
    assert counts == {"months": 2, "rows": 9} and region.ready()
    assert _region(store.root) == _enterprise_files(store.root)


def _parquet_root(world: Any) -> Path:
    if not world.url.startswith("sqlite"):
        pytest.skip("the region day table is the Parquet store's (PostgreSQL aggregates monitoring_rollup)")
    return Path(world.url.split("///", 1)[1]).parent


def test_the_store_command_builds_the_table(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dualcarbon.app.cli import app

    data_dir = _parquet_root(world)
    monkeypatch.delenv("DUALCARBON_DATABASE_URL", raising=False)
    store = ParquetRollupStore(data_dir / "monitoring")
    monkeypatch.setattr(RegionDays, "append", lambda self, con, relation: None)  # rollups from before the table
    _write(store, "X", _rows(1, date(2024, 9, 1), [4.0, 5.0]))
    monkeypatch.undo()
    monkeypatch.delenv("DUALCARBON_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["store", "build-region-days", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert '"store": "parquet", "months": 1, "rows": 2' in result.output
    assert RegionDays(store.root).ready() and len(_region(store.root)) == 2


def _readings(code: str, start: datetime, hours: int, base: float = 0.0) -> pa.Table:
    ts = [(start + timedelta(minutes=15 * i)).isoformat() for i in range(hours * 4 + 1)]
    return pa.table(
        {
            "credit_code": [code] * len(ts),
            "meter_code": ["E1"] * len(ts),
            "ts": ts,
            "value": [str(base + 2.0 * i) for i in range(len(ts))],
        }
    )


def test_ingest_refresh_keeps_the_table_current_and_a_crash_is_redone(
    world: Any, meters: dict[str, int], admin: Any, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _parquet_root(world) / "monitoring"
    code = world.codes["a"]
    with session_scope(world.engine) as session:
        service_ingest.ingest_table(session, admin, _readings(code, datetime(2024, 3, 1), 48), source="file")
    assert RegionDays(root).ready() and _region(root) == _enterprise_files(root) != []
    # a late day whose refresh crashes in the hook: the enterprise file is in, the dirty set stays
    monkeypatch.setattr(RegionDays, "append", lambda self, con, relation: (_ for _ in ()).throw(OSError("crash")))
    with session_scope(world.engine) as session:
        service_ingest.ingest_table(
            session, admin, _readings(code, datetime(2024, 3, 3), 24, base=384.0), source="file", refresh=False
        )
    with session_scope(world.engine) as session:
        with pytest.raises(OSError):
            service_refresh.refresh_rollups(session, reference, credit_code=code)
    assert _region(root) != _enterprise_files(root)
    monkeypatch.undo()
    with session_scope(world.engine) as session:
        stats = service_refresh.refresh_rollups(session, reference, credit_code=code)
        enterprise = session.query(Enterprise).filter_by(credit_code=code).one()
        assert stats.periods["day"] > 0
        assert rollup_store_for(session).read(code, [meters["a/E1"]], "day", *ALL).num_rows == 4
        assert enterprise is not None
    assert _region(root) == _enterprise_files(root)
    assert {r[1].date() for r in _region(root) if r[0] == meters["a/E1"]} == {
        date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
    }  # fmt: skip


def test_a_reader_racing_a_compaction_reads_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 10, 1), [1.0, 2.0]))
    _write(store, "A", _rows(1, date(2024, 10, 2), [5.0]))
    region = RegionDays(store.root)
    folder = region.folder / "month=2024-10"
    real = store_region.duck
    calls = []

    def racing() -> duckdb.DuckDBPyConnection:
        calls.append(1)
        if len(calls) == 1:  # the reader has listed base + delta; a compaction merges them before it reads
            with store.locked():
                region.compact(real(), folder)
        return real()

    monkeypatch.setattr(store_region, "duck", racing)
    assert [r[2] for r in _region(store.root)] == [1.0, 5.0]
    assert len(calls) == 2  # the first read failed on a vanished file and was retried on a fresh listing


def _process_writer(root: str, k: int) -> None:
    store = ParquetRollupStore(Path(root))
    for day in range(5):
        _write(store, f"P{k}", _rows(200 + k, date(2024, 11, 1) + timedelta(days=day), [float(100 * k + day)]))


def test_concurrent_refresh_processes_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    # a spawned child imports this module by name (tests.monitoring.…): it gets the parent's sys.path, which must
    # hold the repository root whatever import mode pytest ran with (a fresh-clone CI run failed without it)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    store = ParquetRollupStore(tmp_path / "monitoring")
    _write(store, "A", _rows(1, date(2024, 11, 1), [1.0]))
    context = multiprocessing.get_context("spawn")  # separate processes, each taking the file lock
    workers = [context.Process(target=_process_writer, args=(str(store.root), k)) for k in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    rows = _region(store.root)
    assert len(rows) == 1 + 3 * 5
    assert rows == _enterprise_files(store.root)
