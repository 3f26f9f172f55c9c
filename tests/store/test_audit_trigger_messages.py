"""Each missing append-only trigger of the audit log is reported with what it no longer refuses: SQLite's
``audit_log_no_update`` UPDATE, ``audit_log_no_delete`` DELETE; PostgreSQL's ``audit_log_append_only``
UPDATE/DELETE and ``audit_log_no_truncate`` TRUNCATE (the walk of issue #7 §3 saw "audit_log_no_truncate is
missing: UPDATE/DELETE are not refused" after a TRUNCATE)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from dualcarbon.store.audit_check import trigger_problems

DROP = {
    "sqlite": {
        "audit_log_no_update": "DROP TRIGGER audit_log_no_update",
        "audit_log_no_delete": "DROP TRIGGER audit_log_no_delete",
    },
    "postgresql": {
        "audit_log_append_only": "DROP TRIGGER audit_log_append_only ON audit_log",
        "audit_log_no_truncate": "DROP TRIGGER audit_log_no_truncate ON audit_log",
    },
}
REFUSES = {
    "audit_log_no_update": "UPDATE",
    "audit_log_no_delete": "DELETE",
    "audit_log_append_only": "UPDATE/DELETE",
    "audit_log_no_truncate": "TRUNCATE",
}


@pytest.fixture(autouse=True)
def audit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("DUALCARBON_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    monkeypatch.delenv("DUALCARBON_AUDIT_SINK_URL", raising=False)


def test_a_missing_trigger_names_what_is_no_longer_refused(engine: Engine) -> None:
    drops = DROP[engine.dialect.name]
    for name, statement in drops.items():
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
        with engine.connect() as connection:
            messages = {p.detail for p in trigger_problems(connection)}
        assert f"{name} is missing: {REFUSES[name]} no longer refused" in messages, messages
