"""The PostgreSQL readings store (:class:`PostgresReadingsStore`; the interface and the Parquet store are in
:mod:`.store_readings`, whose :func:`~.store_readings.readings_store_for` picks this one for a PostgreSQL session).

``meter_reading`` is partitioned by month (UTC); missing partitions are created before the insert. Writers are
serialised by a transaction-level advisory lock, so classification and insert see the same table.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.orm import Session

from dualcarbon.monitoring.store_readings import (
    READINGS_LOCK_KEY,
    READINGS_SCHEMA,
    WriteResult,
    _naive_utc,
    _test_pause,
)


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
        _test_pause("inside the PostgreSQL transaction of a batch")
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
