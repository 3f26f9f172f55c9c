"""The readings store behind one interface: a Parquet dataset (embedded default) or PostgreSQL.

Which store a session uses follows its database: SQLite → :class:`ParquetReadingsStore` in the data
directory beside the database file (``<data dir>/monitoring/readings``); PostgreSQL →
:class:`PostgresReadingsStore` over the ``meter_reading`` table.

Both keep one value per (meter, ts) and classify a batch the same way: a key not yet stored is
*accepted*; a stored key with the same value is a *duplicate* (nothing changes); with another value a
*conflict* (the stored value stays; the caller keeps the offered one aside). A batch given to ``write``
has unique keys (the ingest service settles repeats inside a batch first).

Batch and query tables use ``meter_id`` int32, ``ts`` as a naive UTC timestamp (microseconds) and
``value`` float64.

Parquet layout: ``readings/enterprise=<credit code>/month=<YYYY-MM>/part-<uuid>.parquet`` with the month
in Asia/Shanghai time. A batch writes one new file per partition it touches, first into ``staging/`` and
then renamed into place (an atomic rename on one filesystem: a killed writer leaves no half file).
Writers are serialised by an exclusive lock on ``readings.lock``. Not built yet: compaction of the small
files that many batches leave behind, and one atomic switch for a batch spanning several partitions (a
writer killed between two renames leaves the earlier partitions written; re-sending the batch then
reports them as duplicates and writes the rest).

PostgreSQL: ``meter_reading`` is partitioned by month (UTC); missing partitions are created before the
insert. Writers are serialised by a transaction-level advisory lock, so classification and insert see
the same table.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dualcarbon.core.errors import InvalidInput
from dualcarbon.store.db import sqlite_path

#: Asia/Shanghai has kept UTC+8 without daylight saving since 1991; periods are local, storage is UTC.
LOCAL_OFFSET_HOURS = 8
READINGS_SCHEMA = pa.schema([("meter_id", pa.int32()), ("ts", pa.timestamp("us")), ("value", pa.float64())])
# Arbitrary constant key of the advisory lock serialising reading writers on PostgreSQL.
READINGS_LOCK_KEY = 0x6463524453  # "dcRDS"


@dataclass
class WriteResult:
    """What a store did with a batch: counts, and the conflicting rows (meter_id, ts, stored, offered)."""

    accepted: int
    duplicate: int
    conflicts: list[tuple[int, datetime, float, float]]


class ReadingsStore(Protocol):
    """Where readings live; see the module docstring for the rules both implementations keep."""

    def write(self, batch: pa.Table, enterprise_code: str) -> WriteResult:
        """Store ``batch`` (meter_id, ts, value; unique keys; all meters of one enterprise)."""

    def register(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        enterprise_code: str,
        meter_ids: list[int],
        start_utc: datetime,
        end_utc: datetime,
    ) -> None:
        """Make view/table ``name`` (meter_id, ts, value) in ``con``: readings of ``meter_ids`` in [start, end)."""


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def readings_store_for(session: Session) -> ReadingsStore:
    """The readings store of the session's database (Parquet beside a SQLite file, else PostgreSQL)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return PostgresReadingsStore(session)
    engine = bind if isinstance(bind, Engine) else bind.engine
    db_file = sqlite_path(engine.url)
    if db_file is None:
        raise InvalidInput("the Parquet readings store needs a SQLite database file (not in-memory)")
    return ParquetReadingsStore(db_file.parent / "monitoring")


# ---- Parquet + DuckDB ----------------------------------------------------------------------------------
class ParquetReadingsStore:
    """Readings as a Parquet dataset partitioned by enterprise and month, queried with DuckDB."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.readings = root / "readings"
        self.staging = root / "staging"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "readings.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _files(self, enterprise_code: str, months: list[str] | None = None) -> list[str]:
        base = self.readings / f"enterprise={enterprise_code}"
        if not base.exists():
            return []
        dirs = [base / f"month={m}" for m in months] if months is not None else sorted(base.glob("month=*"))
        return sorted(str(f) for d in dirs if d.exists() for f in d.glob("*.parquet"))

    def write(self, batch: pa.Table, enterprise_code: str) -> WriteResult:
        batch = batch.select(["meter_id", "ts", "value"]).cast(READINGS_SCHEMA)
        if batch.num_rows == 0:
            return WriteResult(0, 0, [])
        con = duckdb.connect()
        try:
            con.execute("SET preserve_insertion_order = false")
            con.execute("SET enable_progress_bar = false")
            con.register("batch_in", batch)
            con.execute(
                "CREATE TEMP TABLE batch AS SELECT meter_id, ts, value, "
                "CAST(year(lt) * 100 + month(lt) AS INTEGER) AS ym "
                f"FROM (SELECT *, ts + INTERVAL {LOCAL_OFFSET_HOURS} HOUR AS lt FROM batch_in)"
            )
            months = [
                f"{ym // 100:04d}-{ym % 100:02d}" for (ym,) in con.execute("SELECT DISTINCT ym FROM batch").fetchall()
            ]
            with self._locked():
                files = self._files(enterprise_code, months)
                if files:
                    con.execute(
                        "CREATE TEMP TABLE stored AS SELECT s.meter_id, s.ts, s.value FROM read_parquet(?) s "
                        "SEMI JOIN batch b ON s.meter_id = b.meter_id AND s.ts = b.ts",
                        [files],
                    )
                else:
                    con.execute("CREATE TEMP TABLE stored (meter_id INTEGER, ts TIMESTAMP, value DOUBLE)")
                duplicate = con.execute(
                    "SELECT count(*) FROM batch b JOIN stored s USING (meter_id, ts) WHERE s.value = b.value"
                ).fetchone()
                conflicts = con.execute(
                    "SELECT b.meter_id, b.ts, s.value, b.value FROM batch b JOIN stored s USING (meter_id, ts) "
                    "WHERE s.value <> b.value ORDER BY b.meter_id, b.ts"
                ).fetchall()
                con.execute("CREATE TEMP TABLE fresh AS SELECT * FROM batch ANTI JOIN stored USING (meter_id, ts)")
                counted = con.execute("SELECT count(*) FROM fresh").fetchone()
                accepted = int(counted[0]) if counted else 0
                if accepted:
                    self._write_partitions(con, enterprise_code)
        finally:
            con.close()
        return WriteResult(
            accepted,
            int(duplicate[0]) if duplicate else 0,
            [(int(m), ts.replace(tzinfo=UTC), float(s), float(o)) for m, ts, s, o in conflicts],
        )

    def _write_partitions(self, con: duckdb.DuckDBPyConnection, enterprise_code: str) -> None:
        """Write ``fresh`` in one pass, one file per month, into a private staging folder; then fsync each
        file and rename it into its partition (atomic per file)."""
        staged = self.staging / uuid.uuid4().hex
        staged.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT meter_id, ts, value, ym FROM fresh ORDER BY meter_id, ts) TO '{staged}' "
            "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (ym))"
        )
        for file in sorted(staged.glob("ym=*/*.parquet")):
            ym = int(file.parent.name.split("=", 1)[1])
            target_dir = self.readings / f"enterprise={enterprise_code}" / f"month={ym // 100:04d}-{ym % 100:02d}"
            target_dir.mkdir(parents=True, exist_ok=True)
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(file, target_dir / f"part-{uuid.uuid4().hex}.parquet")
        shutil.rmtree(staged, ignore_errors=True)

    def register(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        enterprise_code: str,
        meter_ids: list[int],
        start_utc: datetime,
        end_utc: datetime,
    ) -> None:
        files = self._files(enterprise_code)
        if not files:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (meter_id INTEGER, ts TIMESTAMP, value DOUBLE)")
            return
        ids = ", ".join(str(int(i)) for i in meter_ids) or "NULL"
        file_list = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT meter_id, ts, value FROM read_parquet([{file_list}]) "
            f"WHERE meter_id IN ({ids}) AND ts >= TIMESTAMP '{_naive_utc(start_utc).isoformat(sep=' ')}' "
            f"AND ts < TIMESTAMP '{_naive_utc(end_utc).isoformat(sep=' ')}'"
        )

    def count(self, enterprise_code: str) -> int:
        """Number of stored readings of an enterprise (for tests and the benchmark)."""
        files = self._files(enterprise_code)
        if not files:
            return 0
        con = duckdb.connect()
        try:
            row = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()
        finally:
            con.close()
        return int(row[0]) if row else 0


# ---- PostgreSQL ----------------------------------------------------------------------------------------
class PostgresReadingsStore:
    """Readings in the month-partitioned ``meter_reading`` table, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def write(self, batch: pa.Table, enterprise_code: str) -> WriteResult:
        batch = batch.select(["meter_id", "ts", "value"]).cast(READINGS_SCHEMA)
        if batch.num_rows == 0:
            return WriteResult(0, 0, [])
        session = self.session
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": READINGS_LOCK_KEY})
        session.execute(
            text(
                "CREATE TEMP TABLE IF NOT EXISTS reading_batch "
                "(meter_id integer, ts timestamptz, value double precision) ON COMMIT DELETE ROWS"
            )
        )
        session.execute(text("DELETE FROM reading_batch"))
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy("COPY reading_batch (meter_id, ts, value) FROM STDIN") as copy:
                for meter_id, ts, value in zip(
                    batch.column("meter_id").to_pylist(),
                    batch.column("ts").to_pylist(),
                    batch.column("value").to_pylist(),
                    strict=True,
                ):
                    copy.write_row((meter_id, ts.replace(tzinfo=UTC), value))
        self._ensure_partitions()
        stored = session.execute(
            text(
                "SELECT b.meter_id, b.ts, r.value, b.value FROM reading_batch b "
                "JOIN meter_reading r ON r.meter_id = b.meter_id AND r.ts = b.ts ORDER BY b.meter_id, b.ts"
            )
        ).all()
        inserted = session.execute(
            text(
                "WITH ins AS (INSERT INTO meter_reading (meter_id, ts, value) "
                "SELECT meter_id, ts, value FROM reading_batch ON CONFLICT DO NOTHING RETURNING 1) "
                "SELECT count(*) FROM ins"
            )
        ).scalar_one()
        duplicate = sum(1 for row in stored if row[2] == row[3])
        conflicts = [(int(m), ts, float(s), float(o)) for m, ts, s, o in stored if s != o]
        return WriteResult(int(inserted), duplicate, conflicts)

    def _ensure_partitions(self) -> None:
        months = self.session.execute(
            text("SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC') FROM reading_batch")
        ).scalars()
        for start in months:
            end = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1)
            name = f"meter_reading_p{start:%Y%m}"
            self.session.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF meter_reading "
                    f"FOR VALUES FROM ('{start:%Y-%m-%d} 00:00:00+00') TO ('{end:%Y-%m-%d} 00:00:00+00')"
                )
            )

    def register(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        enterprise_code: str,
        meter_ids: list[int],
        start_utc: datetime,
        end_utc: datetime,
    ) -> None:
        rows = self.session.execute(
            text(
                "SELECT meter_id, ts, value FROM meter_reading WHERE meter_id = ANY(:ids) "
                "AND ts >= :start AND ts < :end ORDER BY meter_id, ts"
            ),
            {"ids": list(meter_ids), "start": start_utc, "end": end_utc},
        ).all()
        table = pa.table(
            {
                "meter_id": pa.array([r[0] for r in rows], pa.int32()),
                "ts": pa.array([_naive_utc(r[1]) for r in rows], pa.timestamp("us")),
                "value": pa.array([r[2] for r in rows], pa.float64()),
            }
        )
        con.register(name + "_arrow", table)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_arrow")
