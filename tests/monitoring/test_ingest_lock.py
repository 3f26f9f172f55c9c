"""The MQTT ingest on SQLite holds the write lock only for its rows, not for the classification (brief I).

The live demo's subscriber flushed every second; classifying a batch against the stored readings (DuckDB over
Parquet) inside a BEGIN IMMEDIATE transaction kept SQLite's write lock taken almost all the time, and logins,
approvals and pages behind it answered 503. Now the Parquet work runs first and the transaction begins (and waits
within the lock budget, a few times over) only for the arrival, audit and conflict rows.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from dualcarbon.monitoring import service_ingest, store_readings
from dualcarbon.monitoring.models import ReadingArrival
from dualcarbon.store import db
from dualcarbon.store.db import make_engine, session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_lock (importlib mode)
from race_lock import write_lock_free, write_lock_held


def _batch(code: str, values: list[float]) -> pa.Table:
    times = [f"2024-03-01T00:{15 * i:02d}:00" for i in range(len(values))]
    return pa.table(
        {
            "credit_code": pa.array([code] * len(values), pa.string()),
            "meter_code": pa.array(["E1"] * len(values), pa.string()),
            "ts": pa.array(times, pa.string()),
            "value": pa.array([repr(v) for v in values], pa.string()),
        }
    )


@pytest.fixture
def sqlite_only(world: Any) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")


def _counts(world: Any, meter_id: int) -> tuple[int, int]:
    with session_scope(world.engine, write=False) as session:
        arrivals = session.scalar(select(func.sum(ReadingArrival.arrivals)).where(ReadingArrival.meter_id == meter_id))
        audits = session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "readings.ingest"))
    return int(arrivals or 0), int(audits or 0)


def test_the_classification_runs_without_the_write_lock(
    world: Any, meters: dict[str, int], admin: Any, sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real_write = store_readings.ParquetReadingsStore.write

    def watched(self: Any, batch: pa.Table, code: str) -> Any:
        seen.append(write_lock_free(world.url))  # another writer could commit while the batch is classified
        return real_write(self, batch, code)

    monkeypatch.setattr(store_readings.ParquetReadingsStore, "write", watched)
    _, audits_before = _counts(world, meters["a/E1"])
    with session_scope(world.engine) as session:  # the subscriber's transaction: a writing session
        receipt = service_ingest.ingest_table(session, admin, _batch(world.codes["a"], [1.0, 2.0, 3.0]), source="mqtt")
    assert seen == [True]
    assert (receipt.accepted, receipt.duplicate, receipt.rejected) == (3, 0, 0)
    assert _counts(world, meters["a/E1"]) == (3, audits_before + 1)  # its rows are written all the same


def test_a_file_ingest_keeps_its_single_transaction(
    world: Any, meters: dict[str, int], admin: Any, sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP and file ingests are unchanged: a CLI retry of a failed one must not find its own readings stored."""
    seen: list[bool] = []
    real_write = store_readings.ParquetReadingsStore.write

    def watched(self: Any, batch: pa.Table, code: str) -> Any:
        seen.append(write_lock_free(world.url))
        return real_write(self, batch, code)

    monkeypatch.setattr(store_readings.ParquetReadingsStore, "write", watched)
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, admin, _batch(world.codes["a"], [1.0]), source="file")
    assert seen == [False] and receipt.accepted == 1


def test_a_busy_store_makes_the_flush_wait_then_write_its_rows(
    world: Any, meters: dict[str, int], admin: Any, sqlite_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds the lock past one lock budget (0.3 s here): the batch is classified meanwhile, then
    waits again for the lock instead of failing with its readings stored but their arrivals lost."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    engine = make_engine(world.url)
    try:
        with write_lock_held(world.url, 0.8):
            with session_scope(engine) as session:
                receipt = service_ingest.ingest_table(
                    session, admin, _batch(world.codes["a"], [5.0, 6.0]), source="mqtt", refresh=False
                )
    finally:
        engine.dispose()
    assert receipt.accepted == 2
    assert _counts(world, meters["a/E1"])[0] == 2
