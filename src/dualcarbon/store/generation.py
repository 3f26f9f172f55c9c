"""The store's data generation: a cheap value that changes whenever a committed change becomes visible.

A reader that sees the same generation at two moments knows no transaction committed in between, so what
it read at the first moment is still what the store holds at the second (docs/decisions/0012). The response
cache (:mod:`dualcarbon.ui.response_cache`) and the principal cache serve an answer only while the
generation it was made under is still the current one. The generation is read *before* the answer is made:
a change committed while it was made is after that reading, so the answer is never served again.

Each value is ``(commits of this process, the store's own marker)``:

* **SQLite**: ``PRAGMA data_version`` on a connection of its own that never writes. SQLite changes it when
  any *other* connection — of this process, another process, the ``sqlite3`` shell — has committed since
  the last reading (it is read from the WAL index every time). Its values only compare within one
  connection, so the marker also names the connection (a random id per process and store, and a count of
  reopenings) and the file's inode (a database file replaced under a running server reopens it). Cost: a
  few microseconds.
* **PostgreSQL**: ``pg_current_snapshot()`` on a connection of its own in autocommit: the snapshot
  ``xmin:xmax:xip`` names exactly which transactions are visible. Any transaction that commits moves it
  (leaves ``xip`` or raises ``xmax``); an equal snapshot means an equal visible set. It can never repeat
  an earlier value. False invalidations: any transaction that took a transaction id anywhere in the
  cluster (another database on the same server, a token's ``last_used_at`` touch, ``SELECT … FOR
  UPDATE``) changes it too. Cost: one round trip to the server.
* **Anything else** (in-memory SQLite, other backends): no marker; :meth:`DataGeneration.current` is None
  and the caches stay out of the way.

The first part counts commits of sessions of this process that wrote (in-process hook, :func:`_committed`):
redundant with the marker for correctness, it makes this process's own writes invalidate even when a
store's marker is coarse.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Hashable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

from dualcarbon.store.db import sqlite_path

#: The generation read at the start of the request being served (None: not read, or no marker for the store).
#: The principal cache compares its entries against it (accounts/service_principal_cache.py).
request_generation: ContextVar[Hashable | None] = ContextVar("dualcarbon_request_generation", default=None)

_WROTE = "dualcarbon.generation.wrote"
_local_commits = 0


class DataGeneration:
    """The data generation of one store, read through a connection of its own (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def current(self) -> Hashable | None:
        """The generation now; None when it cannot be read (then nothing may be served from a cache)."""
        marker = self.marker()
        return None if marker is None else (_local_commits, marker)

    def marker(self) -> Hashable | None:
        """The store's own part of the generation (ETags are made from it): equal markers, equal data."""
        return None

    def close(self) -> None:
        """Close the connection of its own (the store's engine is being disposed)."""


class SqliteGeneration(DataGeneration):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._inode: int | None = None
        # data_version counts per connection: a value is only comparable with one of the same connection,
        # so the marker names the connection (this object's random id, and which opening of it)
        self._nonce = os.urandom(8).hex()
        self._opened = 0

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

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sqlite3.Error:
                pass
        self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()


class PostgresGeneration(DataGeneration):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._connection: Any = None

    def marker(self) -> Hashable | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self._engine.raw_connection()
                    self._connection.driver_connection.autocommit = True  # each reading its own snapshot
                cursor = self._connection.cursor()
                try:
                    cursor.execute("SELECT pg_current_snapshot()::text")
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except Exception:  # a dropped connection: no generation now, a new connection next time
                self._close()
                return None
            return str(row[0])

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
            except Exception:
                pass
        self._connection = None

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
