"""The stored rollups behind one interface: Parquet files (embedded default) or PostgreSQL tables.

A stored rollup row is one (meter, interval, period start) with the columns of the JSON contract:
``energy, tce, tce_equal, tco2, completeness, flags`` (flags joined by ``|``), and ``sig``, the hash of
what the numbers were computed from (the meter's definition, the province and the reference table versions,
see :func:`dualcarbon.monitoring.service_refresh.meter_signature`) on day and month rows; hour rows store ''
(stale days are found from the day rows, and a stale day is recomputed with its hours). Every period of a
recomputed range is stored, ``no_data`` ones included, so a stored range reads back exactly as it was computed.
Period starts are naive Asia/Shanghai times in Arrow and Parquet, UTC ``timestamptz`` in PostgreSQL.

Hour files (the bulk: 24 rows a day per meter) store fewer bytes a row (:data:`HOUR_COLUMNS`): instead of tce,
tce_equal and tCO₂ the three factors (one of a few values per file: Parquet's dictionary stores them in a few
bits a row), the flags as bits (:data:`.rollup_sql.PERIOD_FLAGS`), no signature. :meth:`ParquetRollupStore.read`
gives every reader the columns of the contract: energy × factor (the product the refresh took before, to the
bit), the flag names joined by ``|``, ``sig`` ''. Hour files of the earlier layout (with tce … and ``flags``)
read as they are, and a recompute that merges rows into such a file keeps its layout.

What needs recomputing (the *dirty set*: per meter and Asia/Shanghai day with new readings, the first and
last new reading time, UTC):

* **Parquet**: readings files are immutable and are renamed into place atomically under the readings lock,
  so a batch is visible as whole new files or not at all. The rollups keep a manifest
  (``rollups/enterprise=<cc>/seen.txt``) of the readings files already rolled up; the dirty set is the
  days of the rows of the files that are not in it. It is added to the manifest only after the rollups of
  those days are written, so a crash in between recomputes them again (idempotent), never loses them.
  Compaction merges only seen files, under this store's lock, and records the merged file as seen
  (:meth:`ParquetRollupStore.record_compaction`): it recomputes nothing. Superseded files are never dirty.
* **PostgreSQL** (:mod:`.store_rollups_pg`): a statement trigger on ``meter_reading`` (migration 0008) inserts
  the (meter, day) of the inserted rows into ``monitoring_rollup_dirty`` in the ingest transaction itself. A
  refresh takes the readings' advisory lock (so no batch commits between reading the dirty set and deleting it),
  recomputes, and deletes the rows it handled, in one transaction.

The Parquet store (its layout and how it writes): :mod:`.store_rollups_parquet`; PostgreSQL:
:mod:`.store_rollups_pg`. Refreshes are serialised by ``monitoring/rollups.lock`` (Parquet) or the readings'
advisory lock (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Protocol

import duckdb
import pyarrow as pa
from sqlalchemy import Date, Double, Engine, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.rollup_sql import PERIOD_FLAG_NAMES
from dualcarbon.monitoring.store_readings import (
    LOCAL_OFFSET_HOURS,
)
from dualcarbon.store.base import Base
from dualcarbon.store.db import sqlite_path

ROLLUP_COLUMNS = ("meter_id", "start", "energy", "tce", "tce_equal", "tco2", "completeness", "flags", "sig")
ROLLUP_SCHEMA = pa.schema(
    [
        ("meter_id", pa.int32()),
        ("start", pa.timestamp("us")),
        ("energy", pa.float64()),
        ("tce", pa.float64()),
        ("tce_equal", pa.float64()),
        ("tco2", pa.float64()),
        ("completeness", pa.float64()),
        ("flags", pa.string()),
        ("sig", pa.string()),
    ]
)
#: The columns of a stored hour file (module docstring); :data:`HOUR_AS_ROLLUP` turns them into
#: :data:`ROLLUP_COLUMNS`.
HOUR_COLUMNS = (
    "meter_id",
    "start",
    "energy",
    "completeness",
    "flag_bits",
    "tce_per_unit",
    "tce_equal_per_unit",
    "tco2_per_unit",
)
_FLAG_NAMES_OF_BITS = ", ".join(
    f"CASE WHEN flag_bits & {1 << i} <> 0 THEN '{name}' END" for i, name in enumerate(PERIOD_FLAG_NAMES)
)
#: :data:`HOUR_COLUMNS` read as :data:`ROLLUP_COLUMNS`.
HOUR_AS_ROLLUP = (
    "meter_id, start, energy, energy * tce_per_unit AS tce, energy * tce_equal_per_unit AS tce_equal, "
    "energy * tco2_per_unit AS tco2, completeness, "
    f"CASE WHEN flag_bits = 0 THEN '' ELSE concat_ws('|', {_FLAG_NAMES_OF_BITS}) END AS flags, '' AS sig"
)
DAYS_SCHEMA = pa.schema([("meter_id", pa.int32()), ("day", pa.date32())])
DIRTY_SCHEMA = pa.schema(
    [("meter_id", pa.int32()), ("day", pa.date32()), ("first_ts", pa.timestamp("us")), ("last_ts", pa.timestamp("us"))]
)
_OFFSET = timedelta(hours=LOCAL_OFFSET_HOURS)


class MonitoringRollup(Base):
    """A stored rollup period of a meter (PostgreSQL store; with SQLite the rollups are Parquet files)."""

    __tablename__ = "monitoring_rollup"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    energy: Mapped[float | None] = mapped_column(Double)
    tce: Mapped[float | None] = mapped_column(Double)
    tce_equal: Mapped[float | None] = mapped_column(Double)
    tco2: Mapped[float | None] = mapped_column(Double)
    completeness: Mapped[float] = mapped_column(Double)
    flags: Mapped[str] = mapped_column(String(200))
    sig: Mapped[str] = mapped_column(String(32))


class MonitoringRollupDirty(Base):
    """A (meter, Asia/Shanghai day) with readings not yet rolled up, and the first and last of them; filled by a
    trigger on ``meter_reading``."""

    __tablename__ = "monitoring_rollup_dirty"

    meter_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_ts: Mapped[datetime]
    last_ts: Mapped[datetime]


class RollupStore(Protocol):
    """Where stored rollups live; see the module docstring."""

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise refreshes (and, on PostgreSQL, readings writers) for the rest of the work."""
        yield

    def has_pending(self, enterprise_code: str, meter_ids: list[int]) -> bool:
        """Whether anything is dirty (a cheap check without the lock; :meth:`pending` is the real answer)."""

    def pending(self, enterprise_code: str, meter_ids: list[int]) -> tuple[pa.Table, object]:
        """The dirty (meter_id, day) pairs, and a token to pass to :meth:`done` once they are rolled up."""

    def done(self, enterprise_code: str, token: object) -> None:
        """Forget the dirty pairs of ``token``."""

    def replace(self, enterprise_code: str, interval: str, rows: pa.Table) -> None:
        """Store ``rows`` (:data:`ROLLUP_SCHEMA`), replacing the stored rows of the same (meter, start); day and
        month rows (hour rows come from the refresh's query, :meth:`replace_query`)."""

    def replace_query(self, con: duckdb.DuckDBPyConnection, enterprise_code: str, interval: str, sql: str) -> int:
        """Like :meth:`replace` with the rows of the query ``sql`` on ``con`` (columns of :data:`ROLLUP_COLUMNS`,
        for ``hour`` of :data:`HOUR_COLUMNS`), evaluated once; the number of rows stored."""

    def read(
        self, enterprise_code: str, meter_ids: list[int], interval: str, start: datetime, end: datetime
    ) -> pa.Table:
        """Stored rows of ``meter_ids`` with ``start`` in [start, end) (naive Asia/Shanghai times)."""

    def stale_days(self, enterprise_code: str, sigs: dict[int, str]) -> pa.Table:
        """The stored day rows (``meter_id``, ``day``: :data:`DAYS_SCHEMA`) of the meters of ``sigs`` whose ``sig``
        is not the meter's current one (computed from another definition or reference version)."""


def rollup_store_for(session: Session) -> RollupStore:
    """The rollup store of the session's database (Parquet beside a SQLite file, else PostgreSQL)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from dualcarbon.monitoring.store_rollups_pg import PostgresRollupStore  # (it imports this module)

        return PostgresRollupStore(session)
    from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore  # (it imports this module)

    engine = bind if isinstance(bind, Engine) else bind.engine
    db_file = sqlite_path(engine.url)
    if db_file is None:
        raise InvalidInput("the Parquet rollup store needs a SQLite database file (not in-memory)")
    return ParquetRollupStore(db_file.parent / "monitoring")


def _quote_list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


#: ``ROLLUP_COLUMNS`` cast to the stored types (a query's rows in the stored schema).
_CAST_COLUMNS = (
    "CAST(meter_id AS INTEGER) AS meter_id, CAST(start AS TIMESTAMP) AS start, CAST(energy AS DOUBLE) AS energy, "
    "CAST(tce AS DOUBLE) AS tce, CAST(tce_equal AS DOUBLE) AS tce_equal, CAST(tco2 AS DOUBLE) AS tco2, "
    "CAST(completeness AS DOUBLE) AS completeness, CAST(flags AS VARCHAR) AS flags, CAST(sig AS VARCHAR) AS sig"
)
#: ``HOUR_COLUMNS`` cast to the stored types.
_CAST_HOUR_COLUMNS = (
    "CAST(meter_id AS INTEGER) AS meter_id, CAST(start AS TIMESTAMP) AS start, CAST(energy AS DOUBLE) AS energy, "
    "CAST(completeness AS DOUBLE) AS completeness, CAST(flag_bits AS USMALLINT) AS flag_bits, "
    "CAST(tce_per_unit AS DOUBLE) AS tce_per_unit, CAST(tce_equal_per_unit AS DOUBLE) AS tce_equal_per_unit, "
    "CAST(tco2_per_unit AS DOUBLE) AS tco2_per_unit"
)


def _empty_rows() -> pa.Table:
    return pa.Table.from_batches([], schema=ROLLUP_SCHEMA)  # (Schema.empty_table imports pandas: seconds)
