"""Database location, engine settings, sessions and UTC timestamps."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import StatementError

from dualcarbon.store.db import (
    DATA_DIR_ENV,
    DATABASE_URL_ENV,
    init_store,
    make_engine,
    resolve_database_url,
    session_scope,
    sqlite_path,
)
from dualcarbon.store.models import Job


def test_database_url_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg://dc@db.example/dualcarbon")
    assert resolve_database_url(tmp_path) == "postgresql+psycopg://dc@db.example/dualcarbon"


def test_sqlite_file_in_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert sqlite_path(resolve_database_url(tmp_path / "arg")) == (tmp_path / "arg" / "dualcarbon.sqlite3")
    assert sqlite_path(resolve_database_url()) == tmp_path / "from-env" / "dualcarbon.sqlite3"
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.chdir(tmp_path)
    assert sqlite_path(resolve_database_url()) == tmp_path / "dualcarbon-data" / "dualcarbon.sqlite3"


def test_init_store_creates_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    engine = init_store(tmp_path / "new" / "data")
    assert (tmp_path / "new" / "data" / "dualcarbon.sqlite3").is_file()
    engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000, "synchronous": 1}
    engine.dispose()


def test_session_scope_commits_and_rolls_back(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Job(kind="import"))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Job(kind="export"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(engine, write=False) as session:
        assert session.scalars(select(Job.kind)).all() == ["import"]


def test_timestamps_come_back_as_utc(engine: Engine) -> None:
    beijing = timezone(timedelta(hours=8))
    started = datetime(2024, 7, 1, 8, 30, 15, 123456, tzinfo=beijing)
    with session_scope(engine) as session:
        job = Job(kind="import", started_at=started)
        session.add(job)
    with session_scope(engine) as session:
        loaded = session.get_one(Job, job.id)
        assert loaded.started_at == started
        assert loaded.started_at is not None and loaded.started_at.tzinfo == UTC
        assert loaded.started_at.hour == 0
        assert loaded.created_at.tzinfo == UTC


def test_naive_datetime_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as session:
        session.add(Job(kind="import", started_at=datetime(2024, 7, 1, 8, 30)))
        session.flush()


def test_sqlite_reader_does_not_wait_for_writer(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'dualcarbon.sqlite3'}")
    with session_scope(engine) as setup:
        setup.add(Job(kind="import"))
    writer_holds_lock = threading.Event()
    release = threading.Event()

    def write() -> None:
        with session_scope(engine) as session:  # BEGIN IMMEDIATE: holds the write lock
            session.add(Job(kind="export"))
            session.flush()
            writer_holds_lock.set()
            release.wait(10)

    thread = threading.Thread(target=write)
    thread.start()
    assert writer_holds_lock.wait(10)
    try:
        with session_scope(engine, write=False) as session:
            assert session.scalars(select(Job.kind)).all() == ["import"]  # snapshot before the writer
    finally:
        release.set()
        thread.join()
    with session_scope(engine, write=False) as session:
        assert session.execute(text("SELECT count(*) FROM job")).scalar() == 2
    engine.dispose()


@pytest.mark.parametrize(("write", "blocks_other_writers"), [(True, True), (False, False)])
def test_sqlite_write_session_takes_the_lock_at_begin(tmp_path: Path, write: bool, blocks_other_writers: bool) -> None:
    engine = init_store(f"sqlite+pysqlite:///{tmp_path / 'dualcarbon.sqlite3'}")
    other = sqlite3.connect(tmp_path / "dualcarbon.sqlite3", timeout=0.1, isolation_level=None)
    with session_scope(engine, write=write) as session:
        session.execute(select(Job.id)).all()  # a read only: the transaction has begun
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            blocked = False
        except sqlite3.OperationalError:
            blocked = True
    assert blocked is blocks_other_writers
    other.close()
    engine.dispose()
