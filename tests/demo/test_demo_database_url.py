"""`dualcarbon demo` honours DUALCARBON_DATABASE_URL (issue #7 §2): the demo builds into PostgreSQL.

A fresh, empty PostgreSQL database is created for the test; the demo (20 enterprises, one district, no
server) builds into it — not into a SQLite file in the workspace — and a second run into the same, now
used, database is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dualcarbon.accounts.models import User
from dualcarbon.app.cli import app
from dualcarbon.catalog.models import Catalog
from dualcarbon.registry.models import Enterprise
from dualcarbon.reports.models import PeriodReport
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import DATABASE_URL_ENV, SQLITE_FILENAME, make_engine, session_scope
from dualcarbon.store.models import AuditLog

pytestmark = pytest.mark.postgres


def test_demo_builds_into_the_postgresql_database_the_variable_names(
    pg_database: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_database()  # empty, not migrated
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    workspace = tmp_path / "demo"
    args = [
        "demo",
        "--data-dir",
        str(workspace),
        "--no-serve",
        "--enterprises",
        "20",
        "--districts",
        "1",
        "--meter-days",
        "3",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "building into postgresql" in " ".join(result.output.split())  # rich wraps long lines
    assert not (workspace / SQLITE_FILENAME).exists()  # nothing went into a workspace SQLite file
    assert (workspace / "DEMO-LOGINS.txt").is_file()

    engine = make_engine(url)
    try:
        with session_scope(engine, write=False) as session:
            assert session.scalar(select(func.count()).select_from(Enterprise)) == 20
            assert session.scalar(select(func.count()).select_from(User)) > 0
            assert session.scalar(select(func.count()).select_from(PeriodReport)) > 0
            assert session.scalar(select(func.count()).select_from(Catalog).where(Catalog.state == "published")) >= 1
            audit_rows = session.scalar(select(func.count()).select_from(AuditLog))
            assert audit_rows is not None and audit_rows > 0
            assert verify_audit_chain(session) == []
    finally:
        engine.dispose()

    again = CliRunner().invoke(app, [*args[:2], str(tmp_path / "demo2"), *args[3:]])
    assert again.exit_code == 2
    refusal = " ".join(again.output.split())
    assert "already holds data" in refusal and "user_account" in refusal
    engine = make_engine(url)
    try:
        with session_scope(engine, write=False) as session:
            assert session.scalar(select(func.count()).select_from(Enterprise)) == 20  # untouched
            assert session.scalar(select(func.count()).select_from(AuditLog)) == audit_rows
    finally:
        engine.dispose()
