"""Tampering that only shows from outside the database: truncation, dropped triggers, re-chaining.

An attacker here holds the database (any SQL, triggers may be dropped and re-created) but neither the
audit key file nor the checkpoint file. Every attack must be reported by ``audit verify`` with its own
problem kind; an untouched log verifies clean. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from dualcarbon.accounts.schemas import AuditCheck
from dualcarbon.accounts.service_audit import verify_audit
from dualcarbon.core.access import SYSTEM
from dualcarbon.store.audit import GENESIS_HASH, append_audit, audit_row_hash
from dualcarbon.store.audit_sink import flush_sink
from dualcarbon.store.db import init_store, session_scope
from dualcarbon.store.models import AuditLog

INITIAL = importlib.import_module("dualcarbon.store.migrations.versions.0001_initial")


pytestmark = pytest.mark.usefixtures("audit_files")  # tests/store/conftest.py


def _append(engine: Engine, count: int) -> None:
    for index in range(count):  # one commit each, so one checkpoint each
        with session_scope(engine) as session:
            append_audit(session, "alice", "enterprise.update", "enterprise", 7, {"n": index}, {"n": index + 1})


def _check(engine: Engine) -> AuditCheck:
    with session_scope(engine, write=False) as session:
        return verify_audit(session, SYSTEM)


def _kinds(check: AuditCheck) -> set[str]:
    return {problem.kind for problem in check.problems}


def _drop_triggers(engine: Engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_truncate ON audit_log")


def _restore_triggers(engine: Engine) -> None:
    """Put the triggers back as the migration made them, so that only the other traces remain."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            statements = INITIAL.SQLITE_AUDIT_TRIGGERS
        else:
            statements = INITIAL.POSTGRESQL_AUDIT_TRIGGERS[1:]  # the function is still there
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_untouched_log_verifies_clean(engine: Engine, audit_files: dict[str, Path]) -> None:
    _append(engine, 5)
    check = _check(engine)
    assert (check.intact, check.rows, check.problems) == (True, 5, [])
    lines = audit_files["checkpoints"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["rows"] for line in lines] == [1, 2, 3, 4, 5]  # one per commit
    assert audit_files["key"].stat().st_mode & 0o777 == 0o600


def test_deleting_the_newest_rows_is_truncation(engine: Engine) -> None:
    _append(engine, 5)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id DESC LIMIT 2)")
        )
    _restore_triggers(engine)
    with session_scope(engine, write=False) as session:
        assert len(session.scalars(select(AuditLog.id)).all()) == 3  # the chain left behind is consistent
    check = _check(engine)
    assert not check.intact
    assert _kinds(check) == {"truncated"}
    assert "5 rows" in check.problems[0].detail and "3 rows" in check.problems[0].detail


def test_deleting_every_row_is_truncation(engine: Engine) -> None:
    _append(engine, 3)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    _restore_triggers(engine)
    check = _check(engine)
    assert (check.intact, check.rows, _kinds(check)) == (False, 0, {"truncated"})


def test_dropped_triggers_are_reported(engine: Engine) -> None:
    _append(engine, 2)
    _drop_triggers(engine)
    check = _check(engine)
    assert (check.intact, _kinds(check)) == (False, {"triggers_missing"})
    names = {"audit_log_no_update", "audit_log_no_delete"}
    if engine.dialect.name == "postgresql":
        names = {"audit_log_append_only", "audit_log_no_truncate"}
    assert {p.detail.split(" ")[0] for p in check.problems} == names


@pytest.mark.postgres
def test_disabled_trigger_is_reported_on_postgresql(pg_database: Callable[[], str]) -> None:
    engine = init_store(pg_database())
    _append(engine, 1)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    check = _check(engine)
    engine.dispose()
    assert [(p.kind, p.detail) for p in check.problems] == [("triggers_missing", "audit_log_append_only is disabled")]


def test_edit_and_rehash_with_plain_sha256_is_rechaining(engine: Engine) -> None:
    # The attacker edits row 2 and recomputes every hash from there on with the unkeyed formula, so that
    # every link and every row hash is consistent again - what passed verification before.
    _append(engine, 4)
    _drop_triggers(engine)
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        prev = rows[0].row_hash
        for row in rows[1:]:
            actor = "mallory" if row.id == rows[1].id else row.actor
            forged = audit_row_hash(prev, row.at, actor, row.action, row.entity, row.entity_id, row.before, row.after)
            session.execute(
                text("UPDATE audit_log SET actor = :a, prev_hash = :p, row_hash = :h WHERE id = :id"),
                {"a": actor, "p": prev, "h": forged, "id": row.id},
            )
            prev = forged
    _restore_triggers(engine)
    check = _check(engine)
    assert not check.intact
    assert "rechained" in _kinds(check)
    assert _kinds(check) <= {"rechained", "hash_mismatch"}
    flagged = {p.row_id for p in check.problems if p.kind == "rechained"}
    assert flagged >= {r.id for r in rows[1:]}  # rows 2, 3, 4 carry unkeyed hashes
    assert rows[0].id not in flagged


def test_forged_checkpoint_is_reported(engine: Engine, audit_files: dict[str, Path]) -> None:
    _append(engine, 2)
    path = audit_files["checkpoints"]
    lines = path.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    last["rows"] = 1  # lower the recorded count without the key
    path.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n", encoding="utf-8")
    check = _check(engine)
    assert (check.intact, _kinds(check)) == (False, {"checkpoint_invalid"})


def test_missing_key_is_reported(engine: Engine, audit_files: dict[str, Path]) -> None:
    _append(engine, 2)
    audit_files["key"].unlink()
    check = _check(engine)
    assert not check.intact and "key_missing" in _kinds(check)
    assert not audit_files["key"].exists()  # verifying never creates a key


def test_legacy_rows_are_linked_and_noted(engine: Engine) -> None:
    # Rows written by the unkeyed code before migration 0005 carry no seq; they stay valid, with a note.
    with session_scope(engine) as session:
        prev = GENESIS_HASH
        for index in range(2):
            row = AuditLog(
                at=datetime.now(UTC),
                actor="old",
                action="x.y",
                entity="x",
                entity_id=str(index),
                before=None,
                after={"i": index},
                prev_hash=prev,
                row_hash="",
            )
            row.row_hash = audit_row_hash(prev, row.at, "old", "x.y", "x", str(index), None, {"i": index})
            session.add(row)
            session.flush()
            prev = row.row_hash
    _append(engine, 2)
    with session_scope(engine, write=False) as session:
        assert session.scalars(select(AuditLog.seq).order_by(AuditLog.id)).all() == [None, None, 3, 4]
    check = _check(engine)
    assert (check.intact, check.rows, check.problems) == (True, 4, [])
    assert [w.kind for w in check.warnings] == ["legacy_rows"]


def test_rows_turned_into_legacy_after_keyed_ones_are_rechaining(engine: Engine) -> None:
    _append(engine, 3)
    _drop_triggers(engine)
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        last = rows[-1]
        forged = audit_row_hash(
            last.prev_hash, last.at, last.actor, last.action, last.entity, last.entity_id, last.before, last.after
        )
        session.execute(
            text("UPDATE audit_log SET seq = NULL, row_hash = :h WHERE id = :id"), {"h": forged, "id": last.id}
        )
    _restore_triggers(engine)
    assert "rechained" in _kinds(_check(engine))


class _Sink(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:  # http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Sink.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Sink)
    _Sink.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/checkpoints"
    server.shutdown()
    server.server_close()


def test_checkpoints_go_to_the_sink(engine: Engine, sink: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_AUDIT_SINK_URL", sink)
    _append(engine, 3)
    flush_sink(timeout=10)
    assert [c["rows"] for c in _Sink.received] == [1, 2, 3]
    assert all(set(c) >= {"last_id", "head", "at", "sig", "store"} for c in _Sink.received)


def test_a_dead_sink_never_breaks_the_write(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_AUDIT_SINK_URL", "http://127.0.0.1:9/nothing-listens")
    _append(engine, 2)
    flush_sink(timeout=10)
    check = _check(engine)
    assert (check.intact, check.rows) == (True, 2)


def test_a_rolled_back_append_writes_no_checkpoint(engine: Engine, audit_files: dict[str, Path]) -> None:
    _append(engine, 1)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        append_audit(session, "alice", "x.y", "x", 1, None, {"n": 1})
        raise RuntimeError("abandon the transaction")
    assert len(audit_files["checkpoints"].read_text(encoding="utf-8").splitlines()) == 1
    assert _check(engine).intact


def test_a_released_savepoint_waits_for_the_outer_commit(engine: Engine, audit_files: dict[str, Path]) -> None:
    with session_scope(engine) as session:
        with session.begin_nested():
            append_audit(session, "alice", "x.y", "x", 1, None, {"n": 1})
        assert not audit_files["checkpoints"].exists()  # not committed yet: nothing to anchor
    lines = audit_files["checkpoints"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["rows"] for line in lines] == [1]


def test_cli_verify_exits_1_on_truncation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dualcarbon.app.cli import app

    runner = CliRunner()
    data = tmp_path / "data"
    monkeypatch.delenv("DUALCARBON_DATABASE_URL", raising=False)
    monkeypatch.delenv("DUALCARBON_AUDIT_KEY_FILE")  # the defaults: beside the SQLite file
    monkeypatch.delenv("DUALCARBON_AUDIT_CHECKPOINT_FILE")
    assert runner.invoke(app, ["init", "--data-dir", str(data)]).exit_code == 0
    assert (data / "audit.key").is_file() and (data / "audit-checkpoints.jsonl").is_file()
    result = runner.invoke(app, ["audit", "verify", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("chain intact: 31 rows")  # the 31 provinces seeded by init
    engine = init_store(data)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id > 29"))
    engine.dispose()
    result = runner.invoke(app, ["audit", "verify", "--data-dir", str(data)])
    assert result.exit_code == 1
    assert "truncated" in result.stdout and "triggers_missing" in result.stdout
    assert "31 rows" in result.stdout and "29 rows" in result.stdout


def test_an_external_database_keeps_its_audit_files_in_the_data_dir_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``DUALCARBON_DATABASE_URL`` set, ``--data-dir D`` (demo, serve, audit verify) puts the audit key and the
    checkpoints in D — not in ``./dualcarbon-data`` of whatever directory the command ran in (found by a walk: a
    verify from another directory then reported ``key_missing``). No connection is made: only paths are resolved."""
    from dualcarbon.store.audit_files import audit_files_for
    from dualcarbon.store.db import resolve_database_url

    monkeypatch.delenv("DUALCARBON_AUDIT_KEY_FILE", raising=False)
    monkeypatch.delenv("DUALCARBON_AUDIT_CHECKPOINT_FILE", raising=False)
    url = f"postgresql+psycopg://dc@127.0.0.1:5432/home_{tmp_path.name[-12:]}"
    monkeypatch.setenv("DUALCARBON_DATABASE_URL", url)
    data = tmp_path / "elsewhere"
    files = audit_files_for(resolve_database_url(data))
    assert files.key_file == (data / "audit.key").absolute()
    assert files.checkpoint_file == (data / "audit-checkpoints.jsonl").absolute()
