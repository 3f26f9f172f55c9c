"""``optimistic_transaction``: background work reads and computes without SQLite's write lock, and is redone when
another writer committed meanwhile (brief I: the alert loop and the rollup refresh kept the lock for seconds)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dualcarbon.store import db
from dualcarbon.store.db import make_engine, optimistic_transaction, session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_lock (importlib mode)
from race_lock import sqlite_file, write_lock_free, write_lock_held


@pytest.fixture
def store(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'o.sqlite3'}")
    with session_scope(engine) as session:
        session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    yield engine
    engine.dispose()


def _value(engine: Any) -> int:
    with session_scope(engine, write=False) as session:
        return int(session.scalar(text("SELECT n FROM counter")))


def test_the_computation_holds_no_lock_and_a_stale_read_is_redone(store: Any) -> None:
    url = str(store.url)
    runs: list[tuple[int, bool]] = []

    def add_one(session: Session) -> int:
        seen = int(session.scalar(text("SELECT n FROM counter")))
        runs.append((seen, write_lock_free(url)))  # computing: nobody is kept waiting
        if len(runs) == 1:  # meanwhile another writer commits: what was read is stale now
            other = sqlite3.connect(sqlite_file(url), isolation_level=None)
            other.execute("UPDATE counter SET n = n + 10")
            other.close()
        session.execute(text("UPDATE counter SET n = :n"), {"n": seen + 1})
        return seen + 1

    assert optimistic_transaction(store, add_one, pause_s=0.01) == 11
    assert runs == [(0, True), (10, True)]  # the first run's write was refused (not the lost update 0 + 1)
    assert _value(store) == 11


def test_the_last_attempt_waits_for_the_lock_so_the_work_is_not_starved(store: Any) -> None:
    attempts: list[int] = []

    def add_one(session: Session) -> None:
        attempts.append(1)
        seen = int(session.scalar(text("SELECT n FROM counter")))  # reads first: a deferred try cannot then wait
        session.execute(text("UPDATE counter SET n = :n"), {"n": seen + 1})

    with write_lock_held(str(store.url), 0.6):  # the optimistic tries meet a held lock; the last one waits
        optimistic_transaction(store, add_one, attempts=2, pause_s=0.01)
    assert len(attempts) == 2 and _value(store) == 1


def test_without_the_locking_last_attempt_a_busy_store_raises(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)

    def add_one(session: Session) -> None:
        session.execute(text("UPDATE counter SET n = n + 1"))

    engine = make_engine(store.url)
    try:
        with write_lock_held(str(store.url), 1.0), pytest.raises(Exception) as raised:
            optimistic_transaction(engine, add_one, attempts=2, pause_s=0.01, lock_at_last=False)
    finally:
        engine.dispose()
    assert db.is_transient_lock_error(raised.value)
    assert _value(store) == 0
