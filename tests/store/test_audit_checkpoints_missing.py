"""Keyed audit rows whose checkpoint file is gone fail `audit verify` with ``checkpoints_missing`` — as a missing
key does — instead of a note: every commit that writes keyed rows writes a checkpoint, so a missing file is a
finding. A file without lines of this store stays a note (docs/audit.md). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from dualcarbon.accounts.schemas import AuditCheck
from dualcarbon.accounts.service_audit import verify_audit
from dualcarbon.core.access import SYSTEM
from dualcarbon.store.audit import append_audit
from dualcarbon.store.db import session_scope

pytestmark = pytest.mark.usefixtures("audit_files")  # tests/store/conftest.py


def _append(engine: Engine, count: int) -> None:
    for index in range(count):
        with session_scope(engine) as session:
            append_audit(session, "alice", "enterprise.update", "enterprise", 7, {"n": index}, {"n": index + 1})


def _check(engine: Engine) -> AuditCheck:
    with session_scope(engine, write=False) as session:
        return verify_audit(session, SYSTEM)


def test_a_deleted_checkpoint_file_is_a_problem(engine: Engine, audit_files: dict[str, Path]) -> None:
    _append(engine, 4)
    assert _check(engine).intact
    audit_files["checkpoints"].unlink()
    check = _check(engine)
    assert not check.intact
    problems = [p for p in check.problems if p.kind == "checkpoints_missing"]
    assert len(problems) == 1 and "4 keyed rows" in problems[0].detail and "is missing" in problems[0].detail
    assert {p.kind for p in check.problems} == {"checkpoints_missing"}
    assert "no_checkpoint" not in {w.kind for w in check.warnings}


def test_a_file_without_this_stores_lines_stays_a_note(engine: Engine, audit_files: dict[str, Path]) -> None:
    """A copied database, or lines trimmed by someone who can write the file: the documented limit."""
    _append(engine, 2)
    audit_files["checkpoints"].write_text("", encoding="utf-8")
    check = _check(engine)
    assert check.intact and {w.kind for w in check.warnings} == {"no_checkpoint"}


def test_an_empty_log_without_checkpoints_is_fine(engine: Engine, audit_files: dict[str, Path]) -> None:
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0
    assert _check(engine).intact


def test_cli_verify_exits_1_when_the_checkpoint_file_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dualcarbon.app.cli import app

    runner = CliRunner()
    data = tmp_path / "data"
    monkeypatch.delenv("DUALCARBON_DATABASE_URL", raising=False)
    monkeypatch.delenv("DUALCARBON_AUDIT_KEY_FILE")
    monkeypatch.delenv("DUALCARBON_AUDIT_CHECKPOINT_FILE")
    assert runner.invoke(app, ["init", "--data-dir", str(data)]).exit_code == 0
    (data / "audit-checkpoints.jsonl").unlink()
    result = runner.invoke(app, ["audit", "verify", "--data-dir", str(data)])
    assert result.exit_code == 1, result.output
    assert "checkpoints_missing" in result.stdout and "31 keyed rows" in result.stdout
    # the remedy once the cause is known: anchor the current head again
    assert runner.invoke(app, ["audit", "checkpoint", "--data-dir", str(data)]).exit_code == 0
    assert runner.invoke(app, ["audit", "verify", "--data-dir", str(data)]).exit_code == 0
