"""Where the database is and how to talk to it: URL resolution, engines, store initialisation, sessions.

Embedded default: a SQLite file ``dualcarbon.sqlite3`` in the data directory, in WAL mode so the CLI can
write while the server reads. Production: PostgreSQL named by ``DUALCARBON_DATABASE_URL``.

SQLite transactions: the stdlib driver's own BEGIN handling is switched off and SQLAlchemy emits BEGIN
itself, so a transaction covers its SELECTs too. ``session_scope(engine)`` opens with ``BEGIN IMMEDIATE``
(the write lock is taken up front, so read-then-write cannot fail half way with "database is locked");
``session_scope(engine, write=False)`` opens a deferred transaction that never waits for writers.

Lock budget: a transaction waits at most ``LOCK_WAIT_BUDGET_MS`` for a lock — SQLite's busy handler retries
taking the write lock for that long (``busy_timeout``); an engine made with ``lock_budget=True`` (the
served app's) sets PostgreSQL's ``lock_timeout`` to the same. What is still locked after that, or a
deadlock or serialization failure, is a *transient* error (:func:`is_transient_lock_error`): the API answers
it with 503 and ``Retry-After``, never 500.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# Names of the settings that locate the store (read through dualcarbon.core.settings).
DATABASE_URL_ENV = "DUALCARBON_DATABASE_URL"
DATA_DIR_ENV = "DUALCARBON_DATA_DIR"
DEFAULT_DATA_DIR = Path("dualcarbon-data")
SQLITE_FILENAME = "dualcarbon.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 5000
#: How long a transaction waits for a lock before giving up (SQLite busy_timeout, PostgreSQL lock_timeout).
LOCK_WAIT_BUDGET_MS = SQLITE_BUSY_TIMEOUT_MS
# SQLite result codes of a lock not had (SQLITE_BUSY, SQLITE_LOCKED), and the PostgreSQL SQLSTATEs of a
# transaction that lost to another one: serialization_failure, deadlock_detected, lock_not_available.
_SQLITE_LOCK_CODES = frozenset({5, 6})
_PG_TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03"})
_PG_RETRYABLE_STATES = frozenset({"40001", "40P01"})
#: How many times a request whose transaction lost a deadlock or serialization failure is run again.
TRANSACTION_RETRIES = 2

# Execution option read by the SQLite "begin" hook: "DEFERRED" or "IMMEDIATE".
_SQLITE_BEGIN_OPTION = "dualcarbon_sqlite_begin"
# Session.info key of the writes a compute step defers to its write step (:func:`compute_then_write`).
_DEFERRED_WRITES = "dualcarbon_deferred_writes"

T = TypeVar("T")
C = TypeVar("C")


def resolve_data_dir(data_dir: Path | None = None) -> Path:
    """The data directory: ``data_dir``, else setting ``DUALCARBON_DATA_DIR`` (default ``./dualcarbon-data``)."""
    if data_dir is not None:
        return Path(data_dir)
    from dualcarbon.core.settings import get_settings  # pydantic-settings only when needed (CLI start-up)

    return get_settings().data_dir


#: Data directory named with ``--data-dir`` for an external database (``DUALCARBON_DATABASE_URL``) in this process.
_external_homes: dict[URL, Path] = {}


def external_home(url: URL) -> Path | None:
    """The data directory this process was told to use beside the external database at ``url``, if any: its audit key
    and checkpoints live there, not in the default ``./dualcarbon-data``."""
    return _external_homes.get(url)


def set_external_home(url: str | URL, data_dir: Path) -> None:
    """Remember ``data_dir`` as the home of the external database at ``url`` for this process."""
    _external_homes[make_url(url)] = data_dir.absolute()


def resolve_database_url(data_dir: Path | None = None) -> str:
    """The database URL: setting ``DUALCARBON_DATABASE_URL`` wins, else the SQLite file in the data directory."""
    from dualcarbon.core.settings import get_settings

    settings = get_settings()
    if settings.database_url:
        if data_dir is not None:  # the store's files (audit key, checkpoints) stay in the directory named
            set_external_home(settings.database_url, Path(data_dir))
        return settings.database_url
    directory = Path(data_dir) if data_dir is not None else settings.data_dir
    database = directory.absolute() / SQLITE_FILENAME
    return URL.create("sqlite+pysqlite", database=str(database)).render_as_string()


def is_database_url(target: Path | str) -> bool:
    """True when ``target`` is a database URL (``scheme://…``) rather than a data directory path."""
    return isinstance(target, str) and "://" in target


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL; None for other backends and for in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str | URL, *, lock_budget: bool = False, **engine_kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite gets WAL, foreign keys, a busy timeout; PostgreSQL gets pre-ping, and with
    ``lock_budget`` a ``lock_timeout`` of ``LOCK_WAIT_BUDGET_MS`` (a request never queues on a lock for long)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine_kwargs.setdefault("pool_pre_ping", True)
        if lock_budget and parsed.get_backend_name() == "postgresql":
            connect_args = dict(engine_kwargs.pop("connect_args", {}))
            options = connect_args.get("options", "")
            connect_args["options"] = f"{options} -c lock_timeout={LOCK_WAIT_BUDGET_MS}".strip()
            engine_kwargs["connect_args"] = connect_args
        return create_engine(parsed, **engine_kwargs)
    engine = create_engine(parsed, **engine_kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # None: the driver stops emitting BEGIN on its own; _begin_sqlite_transaction does it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _ensure_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _ensure_wal(cursor: sqlite3.Cursor) -> None:
    # WAL is persistent in the file, so this only switches a new database. Switching needs the file to
    # itself and SQLite does not wait for that (no busy handler), so retry while another connection
    # is in the middle of creating the same new database.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")  # in-memory databases answer "memory": fine
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def is_transient_lock_error(exc: BaseException) -> bool:
    """True for a database error that trying again later can cure: SQLite "database is locked" (busy or
    locked), PostgreSQL serialization failure, deadlock, or a lock not had within ``lock_timeout``."""
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    if isinstance(original, sqlite3.OperationalError):
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_LOCK_CODES  # extended codes (e.g. SQLITE_BUSY_SNAPSHOT) keep the base
        message = str(original).lower()
        return "database is locked" in message or "database table is locked" in message
    return getattr(original, "sqlstate", None) in _PG_TRANSIENT_STATES


def lock_key(session: Session, *parts: str) -> None:
    """Serialise this transaction with every other one that locks the same key (e.g. a catalog's
    region × half-year × basis) until it ends: one decides what the key holds, the next sees its result.

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the parts. SQLite: a write takes the
    database write lock (at BEGIN in a writing session), which already serialises every writer.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
        )


def is_retryable_transaction_error(exc: BaseException) -> bool:
    """True for a PostgreSQL deadlock (40P01) or serialization failure (40001): the database rolled the
    transaction back at once, so running it again straight away may well succeed (unlike a lock not had
    within the budget, which has already waited that long)."""
    if not isinstance(exc, DBAPIError):
        return False
    return getattr(exc.orig, "sqlstate", None) in _PG_RETRYABLE_STATES


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_SQLITE_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def writing(engine: Engine) -> Engine:
    """``engine`` set up so each transaction takes SQLite's write lock at BEGIN (a no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def reading(engine: Engine) -> Engine:
    """``engine`` set up so each transaction opens deferred on SQLite (never waits for a writer), even when
    ``engine`` came from :func:`writing`; a no-op elsewhere."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_SQLITE_BEGIN_OPTION: "DEFERRED"})


def init_store(target: Path | str | None = None) -> Engine:
    """Open the store and bring its schema to the newest migration (safe to call on every start).

    ``target`` is a data directory (created if missing; its database per ``resolve_database_url``) or a
    database URL. None means the configured default data directory.
    """
    from dualcarbon.store.migrate import upgrade

    if target is not None and is_database_url(target):
        url = str(target)
    else:
        data_dir = resolve_data_dir(None if target is None else Path(target))
        data_dir.mkdir(parents=True, exist_ok=True)
        url = resolve_database_url(data_dir)
    db_file = sqlite_path(url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    return engine


def optimistic_transaction(
    engine: Engine, work: Callable[[Session], T], *, attempts: int = 3, pause_s: float = 0.2, lock_at_last: bool = True
) -> T:
    """Run ``work(session)`` in one transaction, holding SQLite's write lock only for its writes.

    For background work that reads and computes much, then writes a little (the alert loop, the rollup refresh).
    On SQLite each attempt but the last opens deferred: the reads and the computation take no lock, the first write
    takes it, and SQLite itself refuses that upgrade (a transient lock error) when another writer committed since
    the transaction's first read — an optimistic version check over the whole database — so nothing computed from
    stale data is ever written. After a short pause the work runs again; the last attempt takes the write lock at
    BEGIN (waiting within the lock budget) so the work cannot starve — unless ``lock_at_last`` is false (work that
    may simply be dropped and done later). Other errors are raised at once; a transient error of the last attempt
    too. Elsewhere (PostgreSQL) every attempt is an ordinary transaction.
    """
    for attempt in range(1, max(1, attempts) + 1):
        last = attempt >= attempts
        try:
            with session_scope(engine, write=last and lock_at_last) as session:
                return work(session)
        except DBAPIError as exc:
            if last or not is_transient_lock_error(exc):
                raise
        time.sleep(pause_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def compute_then_write(
    engine: Engine,
    compute: Callable[[Session], C],
    write: Callable[[Session, C], T],
    *,
    attempts: int = 3,
    pause_s: float = 0.2,
) -> T:
    """Run ``compute(session)`` in a read-only transaction, then ``write(session, computed)`` in a short write one.

    For background work that computes long and then writes derived rows it replaces, or rows it checks again where it
    writes them (the alert loop: quality rows are replaced; alerts are matched against the not-closed ones inside
    the write). On SQLite the computation takes no lock (unless it writes itself, e.g. a lazy rollup refresh: then
    it holds the lock from that write to its end), and the write step takes the lock at BEGIN — waiting within the
    lock budget — for its writes alone, however long the computation was (:func:`optimistic_transaction` holds it
    for the whole work in its last attempt). The price: what is written may be a moment older than the commit
    (readings stored between the steps count at the next run). A transient lock error of either step (a lazy
    write refused because another writer committed since the computation began) runs both again after a pause;
    the last of ``attempts`` runs them in one transaction that takes the lock at BEGIN, as
    :func:`optimistic_transaction` does, so the work cannot starve. Other errors are raised at once. Elsewhere
    (PostgreSQL) ordinary transactions.

    A lazy write reached inside ``compute`` (the stored-cost refresh) can stay out of the computation: it asks
    :func:`defer_write` for the write step, which runs what was deferred first, in the same short transaction as
    ``write`` — so the computation takes no lock and is never refused for a write of its own.
    """
    for attempt in range(1, max(1, attempts) + 1):
        try:
            if attempt >= attempts and attempts > 1:  # the last: both in one transaction holding the lock
                with session_scope(engine) as session:
                    return write(session, compute(session))
            with session_scope(engine, write=False) as session:
                deferred: dict[str, Callable[[Session], None]] = {}
                session.info[_DEFERRED_WRITES] = deferred
                computed = compute(session)
            with session_scope(engine) as session:
                for deferred_write in deferred.values():
                    deferred_write(session)
                return write(session, computed)
        except DBAPIError as exc:
            if attempt >= attempts or not is_transient_lock_error(exc):
                raise
        time.sleep(pause_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def defer_write(session: Session, key: str, write: Callable[[Session], None]) -> bool:
    """In the compute step of :func:`compute_then_write`: keep ``write`` for the write step (one per ``key``, a later
    one replacing an earlier one of the same key) and answer True. Elsewhere answer False: the caller writes in
    ``session`` itself. The deferred write must check what it writes against the stored rows (they may have changed
    between the steps)."""
    deferred = session.info.get(_DEFERRED_WRITES)
    if deferred is None:
        return False
    deferred.pop(key, None)  # a replaced write runs in the order of its last deferral
    deferred[key] = write
    return True


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception.

    Loaded objects stay usable after the block (``expire_on_commit=False``). ``write=False`` is for
    read-only work on SQLite: it does not wait for a writer holding the lock.
    """
    # reading(): deferred even when ``engine`` came from writing() (e.g. the bind of a writing session)
    session = Session(bind=writing(engine) if write else reading(engine), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
