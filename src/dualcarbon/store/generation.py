"""The store's data generation: which committed changes a reader has seen, per table.

A cached answer (:mod:`dualcarbon.ui.response_cache`) is served only while nothing it depends on has changed
since it was made. Two layers answer "has anything changed?" (docs/decisions/0012, 0013):

* **The marker** — cheap, global, coarse: any commit anywhere moves it.

  - SQLite: ``PRAGMA data_version`` on a connection of its own that never writes; SQLite changes it when any
    *other* connection (this process, another process, the ``sqlite3`` shell) has committed since the last
    reading. Values compare only within one connection, so the marker names the connection too (a random id
    per process and store, a count of reopenings) and the file's inode.
  - PostgreSQL: ``pg_current_snapshot()`` on a connection of its own in autocommit; an equal snapshot means an
    equal visible set of transactions. Any transaction that took an id anywhere in the cluster moves it.

* **The counters** — exact, per table: a row per (table, slot) in ``data_generation``, bumped by triggers
  created by migration 0022 (:func:`trigger_statements`) in the writing transaction itself, so a bump becomes
  visible exactly when the change does, whoever made it (any connection, process or raw SQL). SQLite: row
  triggers, slot 0 (one writer at a time). PostgreSQL: one statement trigger per table that bumps once per
  transaction and table (a transaction-local setting remembers it), in one of 64 slots that the transaction holds
  alone until it ends (a transaction-level advisory lock, taken at its first bump: its backend's
  ``pg_backend_pid() % 64`` or the next free one; migration 0023), so concurrent writers never wait on each
  other's counter rows — and cannot deadlock on them, whatever order they write their tables in (0022's slot
  ``pid % 16`` alone let two transactions of one slot writing tables A, B and B, A deadlock: tests/store/
  test_generation_deadlock.py). Only a 65th concurrent writing transaction waits, for its own slot's holder.
  A table's counter is the sum over its slots.
  Updates that only touch bookkeeping columns (:data:`BOOKKEEPING_COLUMNS`: a token's ``last_used_at``) do not
  bump: they change no answer.

:meth:`DataGeneration.current` reads the marker and, only when it moved, the counters; it returns a
:class:`Snapshot`. An answer's *stamp* is the snapshot's projection on the tables the answer read
(:meth:`Snapshot.stamp`); equal stamps mean none of those tables changed. A table without a live trigger or
counter row (a store not yet at 0022, a table a later migration forgot) stamps with the whole marker: as
coarse as before, never stale. The snapshot is read *before* an answer is made, so a change committed while
it is made makes its stamp old at once.

:data:`statement_tables` collects the tables named in the SQL a request runs (every engine of this process,
:func:`_seen_statement`), so the response cache knows what each answer read without a list kept by hand.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Hashable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Engine, Integer, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.pool import NullPool

from dualcarbon.store.base import Base
from dualcarbon.store.db import sqlite_path

#: The caller part of the generation of the request being served (None: not read, or no marker for the store):
#: the stamp of the tables a caller's resolution reads. The principal cache compares its entries against it
#: (accounts/service_principal_cache.py).
request_generation: ContextVar[Hashable | None] = ContextVar("dualcarbon_request_generation", default=None)

#: While the response cache makes an answer: the set the names of the tables its SQL mentions are added to.
statement_tables: ContextVar[set[str] | None] = ContextVar("dualcarbon_statement_tables", default=None)

GENERATION_TABLE = "data_generation"
TRIGGER_PREFIX = "dcgen_"
#: Counter slots per table on PostgreSQL: more than the writing transactions one server runs at once (a pool of
#: 30 + 10 connections per worker), so a transaction nearly always finds a free one (migration 0023).
PG_SLOTS = 64
#: Columns whose updates change no answer: updates of these only do not bump the table's counter.
BOOKKEEPING_COLUMNS: dict[str, frozenset[str]] = {"api_token": frozenset({"last_used_at"})}
#: Tables without triggers: Alembic's own, and the counters themselves.
NOT_COUNTED = frozenset({"alembic_version", GENERATION_TABLE})

_WROTE = "dualcarbon.generation.wrote"
_local_commits = 0
_LIKE_PREFIX = TRIGGER_PREFIX.replace("_", "\\_")  # for LIKE ... ESCAPE '\\'
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class GenerationCounter(Base):
    """Committed changes per table and slot, written only by the triggers of migration 0022."""

    __tablename__ = GENERATION_TABLE

    table_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    counter: Mapped[int] = mapped_column(BigInteger)


# ---- the triggers (migration 0022, and any later migration that creates or re-creates a table) -------------
#: First key of the transaction-level advisory lock a PostgreSQL transaction holds on its counter slot (the second
#: key is the slot): a fixed number of this module, so no other lock of the app shares it (``lock_key`` uses the
#: one-key bigint form, a separate key space).
PG_SLOT_LOCK_CLASS = 0x6463_6765  # "dcge"
#: The transaction-local setting that remembers the slot a transaction holds.
PG_SLOT_SETTING = f"{TRIGGER_PREFIX[:-1]}_slot.id"
# Migration 0023's body (0022 created the first, which bumped in slot ``pg_backend_pid() % 16`` for every table).
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER_PREFIX}bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := '{TRIGGER_PREFIX[:-1]}.' || TG_TABLE_NAME;
    held text;
    chosen integer;
BEGIN
    IF coalesce(current_setting(flag, true), '') = '1' THEN
        RETURN NULL;
    END IF;
    held := coalesce(current_setting('{PG_SLOT_SETTING}', true), '');
    IF held = '' THEN
        -- take a slot no other transaction holds (from this backend's own on), for the whole transaction
        FOR step IN 0..{PG_SLOTS - 1} LOOP
            chosen := (pg_backend_pid() + step) % {PG_SLOTS};
            EXIT WHEN pg_try_advisory_xact_lock({PG_SLOT_LOCK_CLASS}, chosen);
            chosen := NULL;
        END LOOP;
        IF chosen IS NULL THEN  -- more writing transactions than slots: wait for this backend's own
            chosen := pg_backend_pid() % {PG_SLOTS};
            PERFORM pg_advisory_xact_lock({PG_SLOT_LOCK_CLASS}, chosen);
        END IF;
        PERFORM set_config('{PG_SLOT_SETTING}', chosen::text, true);
    ELSE
        chosen := held::integer;
    END IF;
    INSERT INTO {GENERATION_TABLE} (table_name, slot, counter)
    VALUES (TG_TABLE_NAME, chosen, 1)
    ON CONFLICT (table_name, slot) DO UPDATE SET counter = {GENERATION_TABLE}.counter + 1;
    PERFORM set_config(flag, '1', true);
    RETURN NULL;
END
$$"""


def trigger_statements(dialect: str, table: str, columns: Iterable[str]) -> list[str]:
    """SQL that makes every committed change to ``table`` bump its counter (and seeds the counter row).

    ``columns``: the table's columns now; updates of only :data:`BOOKKEEPING_COLUMNS` do not bump. A migration
    that creates a table, or re-creates one (SQLite's batch mode drops the table's triggers), must run these
    for it: tests/store/test_generation_triggers.py fails otherwise."""
    if table in NOT_COUNTED:
        raise ValueError(f"{table} is not counted")
    skipped = BOOKKEEPING_COLUMNS.get(table, frozenset())
    watched = [c for c in columns if c not in skipped]
    of = f" OF {', '.join(_quote(c) for c in watched)}" if skipped else ""
    name = f"{TRIGGER_PREFIX}{table}"
    seed = (
        f"INSERT INTO {GENERATION_TABLE} (table_name, slot, counter) VALUES ('{table}', 0, 0) "
        "ON CONFLICT (table_name, slot) DO NOTHING"
    )
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name} ON {_quote(table)}",
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE{of} OR DELETE OR TRUNCATE ON {_quote(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER_PREFIX}bump()",
            seed,
        ]
    if dialect == "sqlite":
        bump = (
            f"INSERT INTO {GENERATION_TABLE} (table_name, slot, counter) VALUES ('{table}', 0, 1) "
            "ON CONFLICT (table_name, slot) DO UPDATE SET counter = counter + 1;"
        )
        statements = []
        for suffix, what in (("ins", "INSERT"), ("upd", f"UPDATE{of}"), ("del", "DELETE")):
            statements.append(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
            statements.append(f"CREATE TRIGGER {name}_{suffix} AFTER {what} ON {_quote(table)} BEGIN {bump} END")
        return [*statements, seed]
    raise ValueError(f"no generation triggers for {dialect}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def live_trigger_tables(connection: Any, dialect: str) -> set[str]:
    """Tables whose generation triggers are all there (and enabled), read from the catalog; ``connection`` is
    a DBAPI connection or cursor-like object with ``execute`` returning rows."""
    if dialect == "sqlite":
        rows = connection.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '\\'",
            (_LIKE_PREFIX + "%",),
        ).fetchall()
        found: dict[str, set[str]] = {}
        for table, name in rows:
            found.setdefault(table, set()).add(name)
        return {t for t, names in found.items() if names >= {f"{TRIGGER_PREFIX}{t}_{s}" for s in ("ins", "upd", "del")}}
    rows = _pg_rows(
        connection,
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname = %s || c.relname "
        "AND t.tgenabled <> 'D' AND NOT t.tgisinternal",
        (TRIGGER_PREFIX,),
    )
    return {str(row[0]) for row in rows}


def _pg_rows(connection: Any, statement: str, parameters: tuple[Any, ...] | None = None) -> list[Any]:
    cursor = connection.cursor()
    try:
        cursor.execute(statement, parameters)  # None: no placeholders (a literal % stays one)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# ---- snapshots ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """What one reading of the store saw: the marker, and the counters of the tables that have them."""

    marker: Hashable  # (commits of this process, the store's marker): moves on every commit
    store: Hashable = None  # which store (and which epoch of it) the counters belong to
    counters: Mapping[str, int] | None = None  # None: no counters (then every stamp is the marker)
    tables: frozenset[str] = field(default_factory=frozenset)  # every table of the store

    def stamp(self, tables: Iterable[str]) -> Hashable:
        """Equal stamps of two snapshots: none of ``tables`` changed in between (an empty set: the marker)."""
        counters = self.counters
        if counters is None:
            return ("marker", self.marker)
        names = tuple(sorted(tables))
        values = []
        for name in names:
            value = counters.get(name)
            if value is None:
                return ("marker", self.marker)
            values.append(value)
        if not names:
            return ("marker", self.marker)
        return (self.store, names, tuple(values))


class DataGeneration:
    """The data generation of one store, read through a connection of its own (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: Snapshot | None = None
        self._epoch = 0
        self._nonce = os.urandom(8).hex()

    def current(self) -> Snapshot | None:
        """The snapshot now; None when it cannot be read (then nothing may be served from a cache)."""
        marker = self.marker()
        if marker is None:
            return None
        full = (_local_commits, marker)
        last = self._last
        if last is not None and last.marker == full:
            return last  # nothing committed since the counters were read: they are still the counters now
        read = self.counters()
        if read is None:
            snapshot = Snapshot(full)
        else:
            counters, tables, identity = read
            if last is not None and last.counters is not None and last.store == (identity, self._nonce, self._epoch):
                if any(counters.get(t, 0) < v for t, v in last.counters.items()):
                    self._epoch += 1  # a counter went back (a restored copy): no earlier stamp may match
            snapshot = Snapshot(full, (identity, self._nonce, self._epoch), counters, tables)
        self._last = snapshot
        return snapshot

    def marker(self) -> Hashable | None:
        """The store's own marker: equal markers, equal data."""
        return None

    def counters(self) -> tuple[dict[str, int], frozenset[str], Hashable] | None:
        """(counter per table with live triggers, every table, the store's identity); None without counters."""
        return None

    def close(self) -> None:
        """Close the connection of its own (the store's engine is being disposed)."""


class SqliteGeneration(DataGeneration):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._inode: int | None = None
        self._opened = 0
        self._schema: tuple[int, set[str], frozenset[str]] | None = None  # (schema_version, triggered, tables)

    def marker(self) -> Hashable | None:
        with self._lock:
            try:
                inode = os.stat(self.path).st_ino
                if self._connection is None or inode != self._inode:
                    self._close()
                    uri = f"{self.path.absolute().as_uri()}?mode=rw"  # never creates a missing file
                    self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
                    self._inode = inode
                    self._opened += 1
                # fetchall: the statement runs to its end, so no read transaction (and snapshot) stays open
                (row,) = self._connection.execute("PRAGMA data_version").fetchall()
            except (OSError, sqlite3.Error):
                self._close()
                return None
            return (self._nonce, self._opened, inode, int(row[0]))

    def counters(self) -> tuple[dict[str, int], frozenset[str], Hashable] | None:
        with self._lock:
            connection = self._connection
            if connection is None:
                return None
            try:
                (version,) = connection.execute("PRAGMA schema_version").fetchall()[0]
                if self._schema is None or self._schema[0] != version:
                    names = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                    tables = frozenset(str(n[0]) for n in names)
                    if GENERATION_TABLE not in tables:
                        self._schema = (version, set(), tables)
                        return None
                    self._schema = (version, live_trigger_tables(connection, "sqlite"), tables)
                _, triggered, tables = self._schema
                if GENERATION_TABLE not in tables:
                    return None
                rows = connection.execute(
                    f"SELECT table_name, counter FROM {GENERATION_TABLE} WHERE slot = 0"
                ).fetchall()
            except sqlite3.Error:
                self._close()
                return None
            counters = {str(t): int(c) for t, c in rows if t in triggered}
            return counters, tables, (str(self.path.absolute()), self._inode)

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sqlite3.Error:
                pass
        self._connection = None
        self._schema = None

    def close(self) -> None:
        with self._lock:
            self._close()


_PG_COUNTERS = f"SELECT table_name, sum(counter)::bigint FROM {GENERATION_TABLE} GROUP BY table_name"
# a fingerprint of the tables and of the generation triggers (a created table, a dropped or disabled trigger)
_PG_SCHEMA = f"""
SELECT (SELECT count(*) + coalesce(sum(oid::int8), 0) FROM pg_class
        WHERE relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace)
     + (SELECT count(*) * 7919 + coalesce(sum(oid::int8), 0) FROM pg_trigger
        WHERE tgname LIKE '{_LIKE_PREFIX}%' AND tgenabled <> 'D')
"""
#: Seconds between two checks of the PostgreSQL schema fingerprint (the catalog query costs more than the
#: counters; only DDL changes it, and migrations re-create a table's triggers in the same transaction).
PG_SCHEMA_EVERY = 2.0


class PostgresGeneration(DataGeneration):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._connection: Any = None
        self._schema: tuple[int, set[str], frozenset[str]] | None = None
        self._schema_read = 0.0

    def marker(self) -> Hashable | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self._engine.raw_connection()
                    self._connection.driver_connection.autocommit = True  # each reading its own snapshot
                rows = _pg_rows(self._connection, "SELECT pg_current_snapshot()::text")
            except Exception:  # a dropped connection: no generation now, a new connection next time
                self._close()
                return None
            return str(rows[0][0])

    def counters(self) -> tuple[dict[str, int], frozenset[str], Hashable] | None:
        with self._lock:
            if self._connection is None:
                return None
            try:
                if self._schema is None:
                    exists = _pg_rows(self._connection, "SELECT to_regclass(%s) IS NOT NULL", (GENERATION_TABLE,))
                    if not exists[0][0]:
                        return None  # a store not yet at 0022 (checked again after a reconnection)
                now = time.monotonic()
                if self._schema is None or now - self._schema_read > PG_SCHEMA_EVERY:
                    fingerprint = int(_pg_rows(self._connection, _PG_SCHEMA)[0][0])
                    self._schema_read = now
                else:
                    fingerprint = self._schema[0]
                rows = _pg_rows(self._connection, _PG_COUNTERS)
                counted = {str(t): int(c) for t, c in rows}
                if self._schema is None or self._schema[0] != fingerprint:
                    names = _pg_rows(
                        self._connection,
                        "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
                        "AND relnamespace = current_schema()::regnamespace",
                    )
                    tables = frozenset(str(n[0]) for n in names)
                    self._schema = (fingerprint, live_trigger_tables(self._connection, "postgresql"), tables)
            except Exception:
                self._close()
                return None
            _, triggered, tables = self._schema
            counters = {t: c for t, c in counted.items() if t in triggered}
            return counters, tables, str(self._engine.url)

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
            except Exception:
                pass
        self._connection = None
        self._schema = None

    def close(self) -> None:
        with self._lock:
            self._close()
        self._engine.dispose()


def generation_for(engine: Engine) -> DataGeneration:
    """The data generation of ``engine``'s store, closed when the engine is disposed."""
    backend = engine.dialect.name
    path = sqlite_path(engine.url) if backend == "sqlite" else None
    found: DataGeneration
    if path is not None:
        found = SqliteGeneration(path)
    elif backend == "postgresql":
        from sqlalchemy import create_engine

        found = PostgresGeneration(create_engine(engine.url, poolclass=NullPool))
    else:
        found = DataGeneration()
    event.listen(engine, "engine_disposed", lambda _engine: found.close())
    return found


# ---- which tables a request's SQL names (every engine of this process) --------------------------------------
_names_by_sql: dict[str, frozenset[str]] = {}


@event.listens_for(Engine, "before_cursor_execute")
def _seen_statement(_conn: object, _cursor: object, statement: str, *_: object) -> None:
    found = statement_tables.get()
    if found is None:
        return
    names = _names_by_sql.get(statement)
    if names is None:
        names = frozenset(_IDENTIFIER.findall(statement))
        if len(_names_by_sql) > 4096:
            _names_by_sql.clear()
        _names_by_sql[statement] = names
    found.update(names)
    found.add("")  # marks that SQL ran at all


# ---- the in-process hook: commits of this process's sessions that wrote ------------------------------------
@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _local_commits
    if session.info.pop(_WROTE, None):
        _local_commits += 1


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)
