"""The per-table generation counters of migration 0022 (store/generation.py, decision 0013): every table has its
triggers, a committed change bumps its table's counter and nothing else does, and a table without triggers is
stamped with the whole marker (coarse, never stale)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, text

import dualcarbon.app.models  # noqa: F401  (every subject's tables on Base.metadata)
from dualcarbon.store import generation as store_generation
from dualcarbon.store.base import Base
from dualcarbon.store.generation import (
    BOOKKEEPING_COLUMNS,
    GENERATION_TABLE,
    NOT_COUNTED,
    Snapshot,
    generation_for,
    live_trigger_tables,
)


def _counters(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT table_name, sum(counter) FROM {GENERATION_TABLE} GROUP BY table_name"))
        return {str(t): int(c) for t, c in rows}


def _live(engine: Engine) -> set[str]:
    connection = engine.raw_connection()
    try:
        dbapi = connection.driver_connection if engine.dialect.name == "sqlite" else connection
        return live_trigger_tables(dbapi, engine.dialect.name)
    finally:
        connection.close()


def test_every_table_of_the_models_has_its_triggers_and_counter(engine: Engine) -> None:
    tables = set(Base.metadata.tables) - NOT_COUNTED
    assert GENERATION_TABLE in Base.metadata.tables and len(tables) > 50
    assert tables - _live(engine) == set(), "tables without generation triggers: add them in the migration"
    assert tables - set(_counters(engine)) == set(), "tables without a counter row"


def test_a_bookkeeping_update_is_the_only_update_that_is_not_counted(engine: Engine) -> None:
    """The column list of each UPDATE trigger is every column but the bookkeeping ones (a column added later
    without the trigger re-created would escape: this fails then)."""
    for table, skipped in BOOKKEEPING_COLUMNS.items():
        columns = {c.name for c in Base.metadata.tables[table].columns}
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                sql = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": f"dcgen_{table}_upd"}
                ).scalar_one()
                found = re.search(r"UPDATE OF (.*?) ON", sql)
                assert found is not None
                watched = {name.strip().strip('"') for name in found.group(1).split(",")}
            else:
                rows = connection.execute(
                    text(
                        "SELECT event_object_column FROM information_schema.triggered_update_columns "
                        "WHERE trigger_name = :n"
                    ),
                    {"n": f"dcgen_{table}"},
                )
                watched = {str(row[0]) for row in rows}
        assert watched == columns - skipped


def test_commits_bump_their_tables_once_rollbacks_and_touches_do_not(engine: Engine) -> None:
    before = _counters(engine)
    with engine.begin() as connection:
        for kind in ("a", "b", "c"):  # three statements, one transaction
            connection.execute(
                text("INSERT INTO job (kind, state, created_at, progress) VALUES (:k, 'queued', CURRENT_TIMESTAMP, 0)"),
                {"k": kind},
            )
    after = _counters(engine)
    bumped = {t for t in after if after[t] != before.get(t)}
    assert bumped == {"job"}
    assert after["job"] - before["job"] == (1 if engine.dialect.name == "postgresql" else 3)  # PG: per transaction
    with engine.connect() as connection:
        connection.execute(text("DELETE FROM job"))
        connection.rollback()
    assert _counters(engine) == after
    with engine.begin() as connection:
        user = "INSERT INTO user_account (username, display_name, disabled, failed_logins, created_at, language) "
        connection.execute(text(user + "VALUES ('t', 't', false, 0, CURRENT_TIMESTAMP, 'zh')"))
        token = "INSERT INTO api_token (user_id, name, token_hash, prefix, scopes, created_at, lock_version) "
        connection.execute(text(token + "SELECT id, 't', 'h', 'p', 'read', CURRENT_TIMESTAMP, 0 FROM user_account"))
    added = _counters(engine)
    with engine.begin() as connection:  # a token touch: nothing changes for any reader
        connection.execute(text("UPDATE api_token SET last_used_at = CURRENT_TIMESTAMP"))
    assert _counters(engine) == added
    with engine.begin() as connection:  # a revoke is counted, with or without a touch beside it
        connection.execute(
            text("UPDATE api_token SET last_used_at = CURRENT_TIMESTAMP, revoked_at = CURRENT_TIMESTAMP")
        )
    final = _counters(engine)
    assert added["user_account"] > after["user_account"] and final["api_token"] > added["api_token"]


def _kind(stamp: object) -> object:
    assert isinstance(stamp, tuple)
    return stamp[0]


def test_a_table_without_triggers_is_stamped_with_the_marker(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_generation, "PG_SCHEMA_EVERY", 0.0)  # PostgreSQL: check the catalog on every reading
    generation = generation_for(engine)
    try:
        snapshot = generation.current()
        assert snapshot is not None and snapshot.counters is not None
        assert _kind(snapshot.stamp(["enterprise"])) != "marker" and _kind(snapshot.stamp([])) == "marker"
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP TRIGGER dcgen_enterprise ON enterprise"))
            else:
                connection.execute(text("DROP TRIGGER dcgen_enterprise_upd"))
        assert "enterprise" not in _live(engine)
        later = generation.current()
        assert later is not None and _kind(later.stamp(["enterprise", "region"])) == "marker"
        assert later.stamp(["region"]) == snapshot.stamp(["region"])
        assert isinstance(later, Snapshot)
    finally:
        generation.close()


def test_a_store_before_0022_has_no_counters(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {GENERATION_TABLE}"))
    generation = generation_for(engine)
    try:
        snapshot = generation.current()
        assert snapshot is not None and snapshot.counters is None
        assert snapshot.stamp(["enterprise"]) == ("marker", snapshot.marker)
    finally:
        generation.close()
