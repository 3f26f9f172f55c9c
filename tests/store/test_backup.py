"""Backup and restore on SQLite (also while another thread writes) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.exc import IntegrityError

import dualcarbon.app.models  # noqa: F401  (every table registered: a job row's flush resolves its user foreign key)
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.store.audit import append_audit, verify_audit_chain
from dualcarbon.store.backup import BackupError, backup, restore
from dualcarbon.store.db import DATABASE_URL_ENV, init_store, session_scope
from dualcarbon.store.models import Job


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "sqlite_sequence"]
        return {t: connection.execute(select(func.count()).select_from(table(t))).scalar_one() for t in tables}


def _populate(engine: Engine) -> None:
    with session_scope(engine) as session:
        province = Region.create("330000", "浙江省", "province")
        session.add(province)
        session.add(Region.create("330300", "温州市", "city", province))
        session.flush()
        for index in range(5):
            session.add(
                Enterprise(
                    credit_code=f"9133030000000000{index:02d}",
                    name=f"企业{index}",
                    region_code="330300",
                    industry_code="C3011",
                )
            )
            append_audit(session, "system", "enterprise.create", "enterprise", index, None, {"i": index})


@pytest.fixture(autouse=True)
def _no_database_url_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)


@pytest.mark.parametrize("archive_name", ["backup.tar.gz", "backup-folder"])
def test_sqlite_round_trip_with_data_files(tmp_path: Path, archive_name: str) -> None:
    source_dir = tmp_path / "source"
    engine = init_store(source_dir)
    _populate(engine)
    (source_dir / "parquet" / "meter=1").mkdir(parents=True)
    (source_dir / "parquet" / "meter=1" / "part-0.parquet").write_bytes(b"PAR1 fake")
    archive = backup(source_dir, tmp_path / archive_name)
    assert archive.exists()
    with pytest.raises(BackupError, match="already exists"):
        backup(source_dir, archive)

    target_dir = tmp_path / "target"
    restore(archive, target_dir)
    restored = init_store(target_dir)
    assert _row_counts(restored) == _row_counts(engine)
    assert (target_dir / "parquet" / "meter=1" / "part-0.parquet").read_bytes() == b"PAR1 fake"
    with session_scope(restored) as session:
        assert verify_audit_chain(session) == []
    engine.dispose()
    restored.dispose()


def test_restore_refuses_a_non_empty_target_unless_forced(tmp_path: Path) -> None:
    source = init_store(tmp_path / "source")
    _populate(source)
    archive = backup(tmp_path / "source", tmp_path / "b.tar.gz")

    occupied = init_store(tmp_path / "occupied")
    with session_scope(occupied) as session:
        session.add(Job(kind="left-over"))
    (tmp_path / "occupied" / "stray.txt").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        restore(archive, tmp_path / "occupied")
    restore(archive, tmp_path / "occupied", force=True)  # while `occupied` still has the database open
    assert not (tmp_path / "occupied" / "stray.txt").exists()
    assert _row_counts(occupied) == _row_counts(source)

    fresh = init_store(tmp_path / "fresh")  # migrated but holding no rows: restoring needs no force
    restore(archive, tmp_path / "fresh")
    assert _row_counts(fresh) == _row_counts(source)
    for engine in (source, occupied, fresh):
        engine.dispose()


def test_sqlite_backup_while_another_thread_writes(tmp_path: Path) -> None:
    engine = init_store(tmp_path / "live")
    _populate(engine)
    before = _row_counts(engine)
    stop = threading.Event()
    written = threading.Event()
    errors: list[BaseException] = []

    def keep_writing() -> None:
        index = 0
        try:
            while not stop.is_set():
                with session_scope(engine) as session:
                    session.add(Job(kind=f"job-{index}"))
                    append_audit(session, "worker", "job.create", "job", index, None, {"i": index})
                index += 1
                if index >= 20:
                    written.set()
        except BaseException as exc:
            errors.append(exc)
            written.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert written.wait(30)
        archive = backup(tmp_path / "live", tmp_path / "snap.tar.gz")
    finally:
        stop.set()
        writer.join()
    assert errors == []
    after = _row_counts(engine)

    restore(archive, tmp_path / "restored")
    restored = init_store(tmp_path / "restored")
    counts = _row_counts(restored)
    assert counts["enterprise"] == before["enterprise"] == after["enterprise"]
    assert before["audit_log"] < counts["audit_log"] <= after["audit_log"]
    # Each writer transaction adds one job and one audit row: a consistent snapshot keeps them paired.
    assert counts["job"] == counts["audit_log"] - before["audit_log"]
    with session_scope(restored) as session:
        assert verify_audit_chain(session) == []
    engine.dispose()
    restored.dispose()


def test_restore_rejects_a_folder_that_is_no_backup(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    with pytest.raises(BackupError, match="not a dualcarbon backup"):
        restore(tmp_path / "junk", tmp_path / "target")


@pytest.mark.postgres
def test_postgresql_round_trip(pg_database: Callable[[], str], tmp_path: Path) -> None:
    source_url, target_url = pg_database(), pg_database()
    source = init_store(source_url)
    _populate(source)
    archive = backup(source_url, tmp_path / "pg.tar.gz")

    restore(archive, target_url)  # an empty database needs no force
    target = init_store(target_url)
    assert _row_counts(target) == _row_counts(source)
    with session_scope(target) as session:
        assert verify_audit_chain(session) == []
    with pytest.raises(IntegrityError, match="append-only"), target.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_log")  # the trigger came back with the dump

    with pytest.raises(BackupError, match="already holds data"):
        restore(archive, target_url)
    with session_scope(target) as session:
        session.add(Job(kind="after-backup"))
    restore(archive, target_url, force=True)
    assert _row_counts(target) == _row_counts(source)
    source.dispose()
    target.dispose()


def test_backend_mismatch_is_refused(tmp_path: Path) -> None:
    engine = init_store(tmp_path / "source")
    archive = backup(tmp_path / "source", tmp_path / "b")
    with pytest.raises(BackupError, match="sqlite store; the target is postgresql"):
        restore(archive, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    engine.dispose()


def test_missing_pg_dump_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump not found on PATH"):
        backup("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", tmp_path / "x.tar.gz")


@pytest.mark.parametrize("archive_name", ["backups/b.tar.gz", "backups/b-folder"])
def test_backup_inside_the_data_dir_does_not_copy_itself(tmp_path: Path, archive_name: str) -> None:
    engine = init_store(tmp_path / "data")
    (tmp_path / "data" / "backups").mkdir()
    (tmp_path / "data" / "backups" / "older.txt").write_text("older backup")
    archive = backup(tmp_path / "data", tmp_path / "data" / archive_name)
    restore(archive, tmp_path / "restored")
    restored_backups = tmp_path / "restored" / "backups"
    assert sorted(p.name for p in restored_backups.iterdir()) == ["older.txt"]
    engine.dispose()
