"""Ingestion of readings: one path for HTTP (JSON or CSV), files and MQTT, and one receipt.

A batch is a table of rows ``credit_code, meter_code, ts, value`` (text as received, or typed columns of a
Parquet file). Rules:

* a row is *rejected* (with its 1-based row number and the reason) when the enterprise or meter is missing,
  the meter is unknown **or not writable by the caller** (the same reason either way, so probing reveals
  nothing), the time is not ISO-8601 or outside 1900–2199 (UTC), or the value is not a finite number or is
  beyond ±2^53;
* a time without an offset is Asia/Shanghai; every time is stored as UTC;
* inside one batch a repeated (meter, ts) counts as a duplicate (same value) or a conflict (another value)
  against its first occurrence; against the store the same holds (see
  :mod:`dualcarbon.monitoring.store_readings`); conflicts are kept in ``reading_conflict``, the first value stays;
* one audit row per enterprise and batch records the counts; the (meter, day) pairs that gained values record
  their arrival time (:mod:`.service_arrivals`, for the timeliness check);
* after the batch the stored rollups of every enterprise that gained readings are refreshed
  (:func:`refresh_after_ingest`), so a reader after an ingest pays nothing. HTTP, files, manual entry: before
  the call returns — on PostgreSQL inside the ingest transaction (a savepoint: readings and their rollups commit
  together; a failed refresh is logged and left to the next read), on the Parquet store after the files are
  committed. MQTT (source ``mqtt``): right after the commit in a worker thread, so the subscriber acknowledges its
  messages without waiting. The receipt does not change.

Parsing and classification are DuckDB SQL over Arrow, so a year of 15-minute data for 100 meters is one pass.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.models import Meter, ReadingConflict
from dualcarbon.monitoring.schemas import IngestReceipt, Problem
from dualcarbon.monitoring.service_arrivals import record_arrivals
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS, readings_store_for
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter
from dualcarbon.store.audit import append_audit
from dualcarbon.store.db import (
    is_transient_lock_error,
    optimistic_transaction,
    reading,
    resolve_data_dir,
    sqlite_path,
)

log = logging.getLogger(__name__)

MAX_PROBLEMS = 1000
#: Rows classified and written at a time (bounds the memory of a large file).
CHUNK_ROWS = 1_000_000
BATCH_COLUMNS = ("credit_code", "meter_code", "ts", "value")
LOCAL_ZONE = "Asia/Shanghai"
#: The time range the store takes (UTC, start inclusive, end exclusive). Not a rule about plausible readings but
#: what every later step can represent: a time before year 1 after the shift to UTC (0001-01-01T00:00 local), or a
#: month period ending after 9999-12-31, cannot be turned into Python dates, and one such stored reading made every
#: rollup read of its enterprise fail. 1900–2199 keeps far away from both ends.
TS_MIN_UTC = "1900-01-01"
TS_END_UTC = "2200-01-01"
#: The largest magnitude of a value: 2**53, beyond which a double no longer holds every integer (a counter reading
#: there is already rounded), and below which a difference times a multiplier stays finite (1.7e308 × 10 gave an
#: infinite energy in the rollups).
MAX_ABS_VALUE = 2.0**53
#: Times an MQTT batch waits the lock budget for the write lock before its flush fails (and is retried whole).
BEGIN_ATTEMPTS = 3

#: A text time carries an offset when it ends in Z or has a sign after the date part (…T08:00+08:00).
#: Only those go through the (slower) zone-aware cast; a plain cast to TIMESTAMP would drop the offset.
_TEXT_TS = (
    "CASE WHEN t LIKE '%Z' OR t LIKE '%z' OR contains(substr(t, 11), '+') OR contains(substr(t, 11), '-') "
    "THEN timezone('UTC', TRY_CAST(t AS TIMESTAMPTZ)) "
    f"ELSE TRY_CAST(t AS TIMESTAMP) - INTERVAL {LOCAL_OFFSET_HOURS} HOUR END"
)

_UNKNOWN_METER = (
    "'meter_code: no meter ''' || meter_code || ''' of enterprise ' || credit_code || ' that you may write to'"
)
_UNKNOWN_METER_RE = re.compile(r"meter_code: no meter '(.*)' of enterprise (.*) that you may write to")
#: The Chinese sentence of each fixed reason of ``judged`` (below); an unknown meter is matched by the pattern.
_REASONS_ZH = {
    "credit_code: missing (say which enterprise the meter belongs to)": "缺少统一社会信用代码（请写明表计所属企业）",
    "meter_code: missing": "缺少表号",
    "ts: not an ISO-8601 time": "时间不是 ISO-8601 格式（例如 2024-03-01T00:15:00，不带时区按北京时间）",
    "value: not a finite number": "读数不是有效的数字",
    "ts: outside the years 1900–2199": "时间超出可存储的范围（1900–2199 年）",
    "value: larger than 2^53 in magnitude (a double cannot hold it exactly)": "读数的绝对值超过 2^53，无法精确存储",
}


def _reason_zh(reason: str) -> str | None:
    """The Chinese text of a rejection ``reason`` (the receipt's ``reason_zh``)."""
    unknown = _UNKNOWN_METER_RE.fullmatch(reason)
    if unknown:
        return f"企业 {unknown.group(2)} 没有您可写入的表号「{unknown.group(1)}」"
    return _REASONS_ZH.get(reason)


_CLASSIFY_SQL = f"""
CREATE TEMP VIEW parsed AS
SELECT r.row, r.credit_code, r.meter_code, r.ts, r.value, m.meter_id
FROM (
  SELECT row, upper(trim(credit_code)) AS credit_code, trim(meter_code) AS meter_code,
         {{ts_expr}} AS ts, {{value_expr}} AS value
  FROM (SELECT *, trim(CAST(ts AS VARCHAR)) AS t FROM raw)
) r
LEFT JOIN meters m ON m.credit_code = r.credit_code AND m.meter_code = r.meter_code;
CREATE TEMP TABLE judged AS
SELECT *,
  CASE
    WHEN credit_code IS NULL OR credit_code = '' THEN 'credit_code: missing (say which enterprise the meter belongs to)'
    WHEN meter_code IS NULL OR meter_code = '' THEN 'meter_code: missing'
    WHEN meter_id IS NULL THEN {_UNKNOWN_METER}
    WHEN ts IS NULL THEN 'ts: not an ISO-8601 time'
    WHEN ts < TIMESTAMP '{TS_MIN_UTC}' OR ts >= TIMESTAMP '{TS_END_UTC}' THEN 'ts: outside the years 1900–2199'
    WHEN value IS NULL OR NOT isfinite(value) THEN 'value: not a finite number'
    WHEN abs(value) > {MAX_ABS_VALUE!r}
      THEN 'value: larger than 2^53 in magnitude (a double cannot hold it exactly)'
  END AS reason
FROM parsed;
CREATE TEMP TABLE firsts AS
SELECT meter_id, ts, any_value(credit_code) AS credit_code, arg_min(value, row) AS value, min(row) AS first_row,
       count(*) AS n
FROM judged WHERE reason IS NULL GROUP BY meter_id, ts;
"""


def _writable_meters(session: Session, principal: Principal, codes: list[str]) -> pa.Table:
    query = (
        select(Meter.id, Enterprise.credit_code, Meter.code)
        .join(Enterprise, Enterprise.id == Meter.enterprise_id)
        .where(Enterprise.credit_code.in_(codes), enterprise_filter(principal, write=True))
    )
    rows = session.execute(query).all()
    return pa.table(
        {
            "meter_id": pa.array([r[0] for r in rows], pa.int32()),
            "credit_code": pa.array([r[1] for r in rows], pa.string()),
            "meter_code": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _prepared(table: pa.Table) -> tuple[pa.Table, str, str]:
    """The batch with a row number, and SQL expressions that turn its ``ts`` into naive UTC and its
    ``value`` into DOUBLE whatever their Arrow types (text as received, or typed Parquet columns)."""
    missing = [c for c in BATCH_COLUMNS if c not in table.column_names]
    if missing:
        raise InvalidInput(
            f"the readings need the columns {', '.join(BATCH_COLUMNS)}; missing: {', '.join(missing)}", field="file"
        )
    columns: dict[str, Any] = {"row": pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))}
    for name in BATCH_COLUMNS:
        column = table.column(name)
        if name in ("credit_code", "meter_code") and not _is_text(column.type):
            column = column.cast(pa.string())
        columns[name] = column
    ts_type, value_type = table.column("ts").type, table.column("value").type
    if pa.types.is_timestamp(ts_type) and ts_type.tz is None:
        ts_expr = f"CAST(ts AS TIMESTAMP) - INTERVAL {LOCAL_OFFSET_HOURS} HOUR"  # naive: Asia/Shanghai
    elif pa.types.is_timestamp(ts_type):
        ts_expr = "timezone('UTC', ts)"
    else:
        ts_expr = _TEXT_TS
    if pa.types.is_integer(value_type) or pa.types.is_floating(value_type):
        value_expr = "CAST(value AS DOUBLE)"
    else:
        value_expr = "TRY_CAST(trim(CAST(value AS VARCHAR)) AS DOUBLE)"
    return pa.table(columns), ts_expr, value_expr


def ingest_table(
    session: Session, principal: Principal, table: pa.Table, *, source: str, refresh: bool = True
) -> IngestReceipt:
    """Ingest a batch (columns credit_code, meter_code, ts, value) and return the receipt.

    Large batches are worked in slices of :data:`CHUNK_ROWS` rows, in order, to bound memory; a key repeated
    across slices is then found in the store instead of inside the slice — same counts, same first-value rule.
    ``refresh`` (default): refresh the stored rollups of the enterprises that gained readings afterwards.
    """
    raw, ts_expr, value_expr = _prepared(table)
    receipt = IngestReceipt()
    touched: set[str] = set()
    for offset in range(0, max(raw.num_rows, 1), CHUNK_ROWS):
        part = _ingest_slice(session, principal, raw.slice(offset, CHUNK_ROWS), ts_expr, value_expr, source, touched)
        receipt.accepted += part.accepted
        receipt.duplicate += part.duplicate
        receipt.conflict += part.conflict
        receipt.rejected += part.rejected
        receipt.problems.extend(part.problems[: MAX_PROBLEMS - len(receipt.problems)])
    if refresh and touched and source == "mqtt":
        _refresh_after_commit(session, touched)
    elif refresh and touched:
        refresh_after_ingest(session, sorted(touched))
    return receipt


def refresh_after_ingest(session: Session, credit_codes: list[str], *, busy_raises: bool = False) -> None:
    """Refresh the stored rollups of ``credit_codes`` as the platform, in a savepoint: a failure is logged and
    rolled back (the readings stay; the next rollup read refreshes), never fails the ingest. ``busy_raises``: a
    lock not had is raised instead (the background refresh tries again)."""
    from dualcarbon.monitoring.service_refresh import refresh_enterprise
    from dualcarbon.reference.tables import load_reference

    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    db_file = sqlite_path(engine.url)
    try:
        reference = load_reference(db_file.parent if db_file is not None else resolve_data_dir())
        with session.begin_nested():
            for enterprise in session.scalars(select(Enterprise).where(Enterprise.credit_code.in_(credit_codes))):
                refresh_enterprise(session, enterprise, reference)
    except Exception as exc:  # the ingest has its receipt; the lazy refresh on read covers what this missed
        if busy_raises and is_transient_lock_error(exc):
            raise
        log.warning("rollup refresh after ingest failed for %s", ", ".join(credit_codes), exc_info=True)


_background_lock = threading.Lock()
_background: dict[Engine, set[str]] = {}
_worker: threading.Thread | None = None


def _refresh_after_commit(session: Session, credit_codes: set[str]) -> None:
    """The subscriber's path: its flush acknowledges the messages right after the commit, so the refresh runs
    after the commit in a worker thread (not a daemon: a stopping process finishes it first)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine

    def enqueue(_session: Session) -> None:
        global _worker
        with _background_lock:
            _background.setdefault(engine, set()).update(credit_codes)
            if _worker is None or not _worker.is_alive():
                _worker = threading.Thread(target=_drain, name="rollup-refresh", daemon=False)
                _worker.start()

    event.listen(session, "after_commit", enqueue, once=True)


def _drain() -> None:
    while True:
        with _background_lock:
            if not _background:
                return
            engine, codes = _background.popitem()
        # Optimistic (store.db.optimistic_transaction): the refresh reads and computes without SQLite's write lock
        # and takes it only for its rows; redone when another writer came first, dropped (logged) after the last
        # try — the next flush of the same enterprises asks again, and a read refreshes lazily meanwhile.
        wanted = sorted(codes)

        def refresh(session: Session, wanted: list[str] = wanted) -> None:
            refresh_after_ingest(session, wanted, busy_raises=True)

        try:
            optimistic_transaction(engine, refresh, attempts=4, lock_at_last=False)
        except Exception:  # e.g. the store went away; the next read refreshes
            log.warning("rollup refresh after ingest failed for %s", ", ".join(sorted(codes)), exc_info=True)


def _ingest_slice(
    session: Session,
    principal: Principal,
    raw: pa.Table,
    ts_expr: str,
    value_expr: str,
    source: str,
    touched: set[str],
) -> IngestReceipt:
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = '{LOCAL_ZONE}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        con.register("raw", raw)
        codes = [r[0] for r in con.execute("SELECT DISTINCT upper(trim(credit_code)) FROM raw").fetchall() if r[0]]
        with _reader(session) if source == "mqtt" else nullcontext(session) as reader:
            con.register("meters", _writable_meters(reader, principal, codes))
        con.execute(_CLASSIFY_SQL.format(ts_expr=ts_expr, value_expr=value_expr))
        receipt = IngestReceipt()
        rejected_count = con.execute("SELECT count(*) FROM judged WHERE reason IS NOT NULL").fetchone()
        receipt.rejected = int(rejected_count[0]) if rejected_count else 0
        receipt.problems = [
            Problem(row=int(row), reason=str(reason), reason_zh=_reason_zh(str(reason)))
            for row, reason in con.execute(
                f"SELECT row, reason FROM judged WHERE reason IS NOT NULL ORDER BY row LIMIT {MAX_PROBLEMS}"
            ).fetchall()
        ]
        # Repeats inside the batch are rare: join only the repeated keys back to their rows.
        repeats = con.execute(
            "SELECT j.meter_id, j.ts, f.value, j.value FROM (SELECT * FROM firsts WHERE n > 1) f "
            "JOIN judged j USING (meter_id, ts) WHERE j.reason IS NULL AND j.row <> f.first_row ORDER BY j.row"
        ).fetchall()
        conflicts: list[tuple[int, datetime, float, float]] = []
        for meter_id, ts, first, value in repeats:
            if first == value:
                receipt.duplicate += 1
            else:
                conflicts.append((int(meter_id), ts.replace(tzinfo=UTC), float(first), float(value)))
        store = readings_store_for(session)
        enterprises = [r[0] for r in con.execute("SELECT DISTINCT credit_code FROM firsts ORDER BY 1").fetchall()]
        arrivals: list[tuple[int, Any, int]] = []
        audits: list[tuple[str, dict[str, Any]]] = []
        for credit_code in enterprises:
            batch = con.sql(
                "SELECT meter_id, ts, value FROM firsts WHERE credit_code = ?", params=[credit_code]
            ).to_arrow_table()
            result = store.write(batch, credit_code)
            if result.accepted:
                touched.add(credit_code)
                arrivals.extend(_arrival_groups(con, credit_code, result.conflicts))
            receipt.accepted += result.accepted
            receipt.duplicate += result.duplicate
            conflicts.extend(result.conflicts)
            counts = {"rows": batch.num_rows, "accepted": result.accepted, "duplicate": result.duplicate}
            audits.append((credit_code, {"source": source, **counts, "conflict": len(result.conflicts)}))
    finally:
        con.close()
    # The rows of the database only now, after the classification: on SQLite a writing session whose transaction
    # has not begun takes the write lock here, so it is held for these inserts, not for the DuckDB work above.
    if source == "mqtt":
        _begin_writing(session)
    record_arrivals(session, arrivals)
    for credit_code, after in audits:
        append_audit(session, principal.username, "readings.ingest", "enterprise", credit_code, after=after)
    receipt.conflict = len(conflicts)
    session.add_all(
        ReadingConflict(meter_id=m, ts=ts, stored_value=stored, offered_value=offered, source=source)
        for m, ts, stored, offered in conflicts
    )
    session.flush()
    return receipt


@contextmanager
def _reader(session: Session) -> Iterator[Session]:
    """Where the ingest reads the meters: on SQLite, when ``session`` has not begun its transaction, a separate
    deferred one (a writing session would take the write lock at its first statement and keep it through the
    classification); else ``session`` itself (its own uncommitted rows count; PostgreSQL never locks for reads)."""
    bind = session.get_bind()
    if session.in_transaction() or not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        yield session
        return
    with Session(bind=reading(bind)) as reader:
        try:
            yield reader
        finally:
            reader.rollback()


def _begin_writing(session: Session) -> None:
    """Begin ``session``'s transaction now (a writing session: BEGIN IMMEDIATE on SQLite, waiting within the lock
    budget), trying again up to :data:`BEGIN_ATTEMPTS` times: the readings are already in the Parquet store, so
    giving up here would leave their arrivals and audit rows unwritten. Nothing was done in the session yet, so a
    failed BEGIN is simply rolled back and retried."""
    for attempt in range(1, BEGIN_ATTEMPTS + 1):
        if session.in_transaction():
            return
        try:
            session.connection()
            return
        except DBAPIError as exc:
            session.rollback()
            if attempt >= BEGIN_ATTEMPTS or not is_transient_lock_error(exc):
                raise
            log.info("ingest: the store is busy; waiting again for the write lock (%d)", attempt)


def _arrival_groups(
    con: duckdb.DuckDBPyConnection, credit_code: str, conflicts: list[Any]
) -> list[tuple[int, Any, int]]:
    """Arrival of the batch's (meter, local day) pairs (:mod:`.service_arrivals`); conflicting values added none."""
    groups = con.execute(
        f"SELECT meter_id, CAST(ts + INTERVAL {LOCAL_OFFSET_HOURS} HOUR AS DATE) AS day, count(*) "
        "FROM firsts WHERE credit_code = ? GROUP BY ALL",
        [credit_code],
    ).fetchall()
    refused: dict[tuple[int, Any], int] = {}
    for meter_id, ts, *_ in conflicts:
        utc = ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts
        local = utc + timedelta(hours=LOCAL_OFFSET_HOURS)
        refused[(int(meter_id), local.date())] = refused.get((int(meter_id), local.date()), 0) + 1
    return [(int(m), d, int(n) - refused.get((int(m), d), 0)) for m, d, n in groups]


def default_enterprise(principal: Principal, session: Session, given: str | None) -> str | None:
    """The credit code readings without one belong to: ``given``, else the caller's only enterprise."""
    if given:
        return given.strip().upper()
    ids = sorted(principal.enterprise_ids())
    if len(ids) == 1:
        return session.scalar(select(Enterprise.credit_code).where(Enterprise.id == ids[0]))
    return None


def ingest_json(
    session: Session, principal: Principal, readings: list[dict[str, Any]], *, enterprise: str | None = None
) -> IngestReceipt:
    """``{"readings": [{"meter", "ts", "value"}]}``: meters of ``enterprise`` (default: the caller's own);
    a reading may name its own ``credit_code``."""
    fallback = default_enterprise(principal, session, enterprise) or ""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    table = pa.table(
        {
            "credit_code": pa.array([text(r.get("credit_code")) or fallback for r in readings], pa.string()),
            "meter_code": pa.array([text(r.get("meter")) for r in readings], pa.string()),
            "ts": pa.array([text(r.get("ts")) for r in readings], pa.string()),
            "value": pa.array([reading_value_text(r.get("value")) for r in readings], pa.string()),
        }
    )
    return ingest_table(session, principal, table, source="http")


def reading_value_text(value: Any) -> str | None:
    """A decoded JSON value as the text of a reading value, None when it is no number (HTTP and MQTT alike).

    JSON numbers only: a boolean or a quoted number is not a reading value. An integer too large for a double
    (``1`` followed by 400 zeros: ``float()`` raises OverflowError) becomes ``inf``, rejected as not finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return repr(float(value))
    except OverflowError:
        return "inf"
