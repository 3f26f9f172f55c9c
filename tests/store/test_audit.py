"""Audit log: keyed hash chain append/verify, tamper detection, append-only triggers, concurrent writers.

Attacks visible only from outside the database (truncation, re-chaining, dropped triggers) are in
test_audit_tamper.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from dualcarbon.store.audit import GENESIS_HASH, append_audit, audit_head, audit_row_hash, verify_audit_chain
from dualcarbon.store.db import init_store, session_scope
from dualcarbon.store.models import AuditLog


def _append_some(engine: Engine, count: int) -> None:
    for index in range(count):
        with session_scope(engine) as session:
            append_audit(session, "alice", "enterprise.update", "enterprise", 7, {"n": index}, {"n": index + 1})


def _drop_triggers(engine: Engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")


def test_append_builds_a_valid_chain(engine: Engine) -> None:
    with session_scope(engine) as session:
        created = append_audit(session, "system", "enterprise.create", "enterprise", 7, None, {"name": "某企业"})
        assert created.prev_hash == GENESIS_HASH
        second = append_audit(session, "alice", "enterprise.update", "enterprise", "7", {"a": 1}, {"a": 2})
        assert second.prev_hash == created.row_hash
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert [(r.actor, r.entity_id, r.before, r.after) for r in rows] == [
            ("system", "7", None, {"name": "某企业"}),
            ("alice", "7", {"a": 1}, {"a": 2}),
        ]
        assert rows[0].at.tzinfo is UTC
        assert verify_audit_chain(session) == []
        assert audit_head(session) == (rows[1].id, rows[1].row_hash)


def test_row_hash_is_reproducible() -> None:
    at = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    digest = audit_row_hash(GENESIS_HASH, at, "a", "x.y", "x", "1", None, {"k": [1, 2.5, "值"]})
    assert digest == audit_row_hash(GENESIS_HASH, at, "a", "x.y", "x", "1", None, {"k": [1, 2.5, "值"]})
    assert digest != audit_row_hash(GENESIS_HASH, at, "a", "x.y", "x", "1", None, {"k": [1, 2.5, "值 "]})


def test_non_json_values_are_normalised(engine: Engine) -> None:
    with session_scope(engine) as session:
        row = append_audit(
            session,
            "alice",
            "report.submit",
            "period_report",
            3,
            None,
            {"at": datetime(2024, 5, 1, 8, 0, tzinfo=UTC), "deadline": date(2024, 6, 30), "tce": Decimal("1.50")},
        )
        assert row.after == {"at": "2024-05-01T08:00:00+00:00", "deadline": "2024-06-30", "tce": "1.50"}
    with session_scope(engine) as session:
        assert verify_audit_chain(session) == []
    with pytest.raises(TypeError), session_scope(engine) as session:
        append_audit(session, "alice", "x", "x", 1, None, {"bad": object()})
    with pytest.raises(TypeError, match="must be a dict"), session_scope(engine) as session:
        append_audit(session, "alice", "x", "x", 1, None, 5.0)  # type: ignore[arg-type]


def test_empty_chain_verifies(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert verify_audit_chain(session) == []
        assert audit_head(session) is None


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"])
def test_triggers_refuse_update_and_delete(engine: Engine, statement: str) -> None:
    _append_some(engine, 2)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with session_scope(engine) as session:
        assert len(session.scalars(select(AuditLog)).all()) == 2


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(pg_database: Callable[[], str]) -> None:
    engine = init_store(pg_database())
    _append_some(engine, 1)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE audit_log")
    engine.dispose()


def test_edited_row_is_detected(engine: Engine) -> None:
    _append_some(engine, 4)
    _drop_triggers(engine)
    with engine.begin() as connection:
        third = connection.execute(text("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 2")).scalar_one()
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"), {"id": third})
    with session_scope(engine) as session:
        problems = verify_audit_chain(session)
    assert [(p.row_id, p.kind) for p in problems] == [(third, "hash_mismatch")]


def test_edited_json_is_detected(engine: Engine) -> None:
    _append_some(engine, 2)
    _drop_triggers(engine)
    with engine.begin() as connection:
        first = connection.execute(text("SELECT min(id) FROM audit_log")).scalar_one()
        connection.execute(text("UPDATE audit_log SET after = '{\"n\": 99}' WHERE id = :id"), {"id": first})
    with session_scope(engine) as session:
        assert [(p.row_id, p.kind) for p in verify_audit_chain(session)] == [(first, "hash_mismatch")]


def test_removed_row_breaks_the_link(engine: Engine) -> None:
    _append_some(engine, 4)
    _drop_triggers(engine)
    with engine.begin() as connection:
        ids = connection.execute(text("SELECT id FROM audit_log ORDER BY id")).scalars().all()
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    with session_scope(engine) as session:
        problems = verify_audit_chain(session)
    # The next row's link breaks, and its position no longer follows (seq 3 after seq 1).
    assert [(p.row_id, p.kind) for p in problems] == [(ids[2], "broken_link"), (ids[2], "sequence_gap")]


def test_rehashed_forgery_still_breaks_the_next_link(engine: Engine) -> None:
    # A forger who recomputes the edited row's own hash (without the key: the old plain SHA-256) is seen
    # as re-chaining on that row, and still breaks the link to the row after it.
    _append_some(engine, 3)
    _drop_triggers(engine)
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        target = rows[0]
        forged = audit_row_hash(
            target.prev_hash, target.at, "mallory", target.action, target.entity, target.entity_id, None, None
        )
        session.execute(
            text("UPDATE audit_log SET actor = 'mallory', before = NULL, after = NULL, row_hash = :h WHERE id = :id"),
            {"h": forged, "id": target.id},
        )
    with session_scope(engine) as session:
        assert [(p.row_id, p.kind) for p in verify_audit_chain(session)] == [
            (rows[0].id, "rechained"),
            (rows[1].id, "broken_link"),
        ]


@pytest.mark.parametrize("write", [True, False], ids=["immediate", "deferred"])
def test_concurrent_appends_keep_the_chain_valid(engine: Engine, write: bool) -> None:
    per_thread = 25
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(actor: str) -> None:
        try:
            start.wait()
            for index in range(per_thread):
                with session_scope(engine, write=write) as session:
                    append_audit(session, actor, "meter.reading", "meter", index, None, {"i": index})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(engine) as session:
        assert len(session.scalars(select(AuditLog.id)).all()) == 2 * per_thread
        assert verify_audit_chain(session) == []


def test_a_fork_is_refused_by_the_database(engine: Engine) -> None:
    _append_some(engine, 1)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        head = session.scalars(select(AuditLog)).one()
        at = datetime.now(UTC)
        session.add(
            AuditLog(
                at=at,
                actor="rogue",
                action="x",
                entity="x",
                entity_id="1",
                prev_hash=head.prev_hash,  # same predecessor as the existing row
                row_hash=audit_row_hash(head.prev_hash, at, "rogue", "x", "x", "1", None, None),
            )
        )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    after=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)
def test_any_json_survives_storage_and_verifies(
    engine: Engine, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        append_audit(session, "prop", "x.y", "x", 1, before, after)
    with session_scope(engine) as session:
        assert verify_audit_chain(session) == []
