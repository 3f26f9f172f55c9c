"""The PostgreSQL rollup store: rows in ``monitoring_rollup``, the dirty set in ``monitoring_rollup_dirty`` (filled
by a trigger on ``meter_reading``); see :mod:`.store_rollups` for the interface and the rules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.orm import Session

from dualcarbon.monitoring.store_readings import READINGS_LOCK_KEY
from dualcarbon.monitoring.store_rollups import (
    _CAST_COLUMNS,
    _OFFSET,
    DAYS_SCHEMA,
    HOUR_AS_ROLLUP,
    ROLLUP_COLUMNS,
    ROLLUP_SCHEMA,
)


class PostgresRollupStore:
    """Rollups in ``monitoring_rollup``; the dirty set in ``monitoring_rollup_dirty`` (see the docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def locked(self) -> Iterator[None]:
        # The readings writers' lock: no batch commits between reading the dirty set and deleting it.
        self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": READINGS_LOCK_KEY})
        yield

    def has_pending(self, enterprise_code: str, meter_ids: list[int]) -> bool:
        query = text("SELECT EXISTS (SELECT 1 FROM monitoring_rollup_dirty WHERE meter_id = ANY(:ids))")
        return bool(self.session.execute(query, {"ids": list(meter_ids)}).scalar())

    def pending(self, enterprise_code: str, meter_ids: list[int]) -> tuple[pa.Table, object]:
        rows = self.session.execute(
            text(
                "SELECT meter_id, day, first_ts, last_ts FROM monitoring_rollup_dirty WHERE meter_id = ANY(:ids) "
                "ORDER BY meter_id, day"
            ),
            {"ids": list(meter_ids)},
        ).all()
        table = pa.table(
            {
                "meter_id": pa.array([r[0] for r in rows], pa.int32()),
                "day": pa.array([r[1] for r in rows], pa.date32()),
                "first_ts": pa.array([r[2].astimezone(UTC).replace(tzinfo=None) for r in rows], pa.timestamp("us")),
                "last_ts": pa.array([r[3].astimezone(UTC).replace(tzinfo=None) for r in rows], pa.timestamp("us")),
            }
        )
        return table, table

    def done(self, enterprise_code: str, token: object) -> None:
        if not isinstance(token, pa.Table) or token.num_rows == 0:
            return
        self.session.execute(
            text(
                "DELETE FROM monitoring_rollup_dirty d USING unnest(CAST(:ids AS integer[]), CAST(:days AS date[])) "
                "AS k(meter_id, day) WHERE d.meter_id = k.meter_id AND d.day = k.day"
            ),
            {"ids": token.column("meter_id").to_pylist(), "days": token.column("day").to_pylist()},
        )

    def replace(self, enterprise_code: str, interval: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        session = self.session
        session.execute(
            text(
                "CREATE TEMP TABLE IF NOT EXISTS rollup_batch (meter_id integer, start timestamptz, energy float8, "
                "tce float8, tce_equal float8, tco2 float8, completeness float8, flags text, sig text) "
                "ON COMMIT DELETE ROWS"
            )
        )
        session.execute(text("DELETE FROM rollup_batch"))
        raw = session.connection().connection.driver_connection
        columns = [rows.column(c).to_pylist() for c in ROLLUP_COLUMNS]
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY rollup_batch ({', '.join(ROLLUP_COLUMNS)}) FROM STDIN") as copy:
                for values in zip(*columns, strict=True):
                    start = (values[1] - _OFFSET).replace(tzinfo=UTC)
                    copy.write_row((values[0], start, *values[2:]))
        session.execute(
            text(
                "INSERT INTO monitoring_rollup (meter_id, interval, start, energy, tce, tce_equal, tco2, "
                "completeness, flags, sig) SELECT meter_id, :interval, start, energy, tce, tce_equal, tco2, "
                "completeness, flags, sig FROM rollup_batch ON CONFLICT (meter_id, interval, start) DO UPDATE SET "
                "energy = excluded.energy, tce = excluded.tce, tce_equal = excluded.tce_equal, tco2 = excluded.tco2, "
                "completeness = excluded.completeness, flags = excluded.flags, sig = excluded.sig"
            ),
            {"interval": interval},
        )

    def replace_query(self, con: duckdb.DuckDBPyConnection, enterprise_code: str, interval: str, sql: str) -> int:
        if interval == "hour":  # the refresh's hour query gives HOUR_COLUMNS; this table stores the contract's
            sql = f"SELECT {HOUR_AS_ROLLUP} FROM ({sql})"
        rows = con.sql(f"SELECT {_CAST_COLUMNS} FROM ({sql})").to_arrow_table()
        self.replace(enterprise_code, interval, rows)
        return int(rows.num_rows)

    def stale_days(self, enterprise_code: str, sigs: dict[int, str]) -> pa.Table:
        """Compared in PostgreSQL: only the stale rows come back."""
        if not sigs:
            return pa.Table.from_batches([], schema=DAYS_SCHEMA)
        rows = self.session.execute(
            text(
                "SELECT r.meter_id, r.start FROM monitoring_rollup r "
                "JOIN unnest(CAST(:ids AS integer[]), CAST(:sigs AS text[])) AS c(meter_id, sig) "
                "ON c.meter_id = r.meter_id WHERE r.interval = 'day' AND r.sig IS DISTINCT FROM c.sig "
                "ORDER BY r.meter_id, r.start"
            ),
            {"ids": list(sigs), "sigs": list(sigs.values())},
        ).all()
        return pa.table(
            {
                "meter_id": pa.array([r[0] for r in rows], pa.int32()),
                "day": pa.array(
                    [(r[1].astimezone(UTC).replace(tzinfo=None) + _OFFSET).date() for r in rows], pa.date32()
                ),
            },
            schema=DAYS_SCHEMA,
        )

    def read(
        self, enterprise_code: str, meter_ids: list[int], interval: str, start: datetime, end: datetime
    ) -> pa.Table:
        rows = self.session.execute(
            text(
                "SELECT meter_id, start, energy, tce, tce_equal, tco2, completeness, flags, sig FROM monitoring_rollup "
                "WHERE meter_id = ANY(:ids) AND interval = :interval AND start >= :start AND start < :end "
                "ORDER BY meter_id, start"
            ),
            {
                "ids": list(meter_ids),
                "interval": interval,
                "start": (start - _OFFSET).replace(tzinfo=UTC),
                "end": (end - _OFFSET).replace(tzinfo=UTC),
            },
        ).all()
        data = {c: [r[i] for r in rows] for i, c in enumerate(ROLLUP_COLUMNS)}
        data["start"] = [s.astimezone(UTC).replace(tzinfo=None) + _OFFSET for s in data["start"]]
        return pa.table(data, schema=ROLLUP_SCHEMA)
