"""The Parquet rollup store (embedded default) of :mod:`.store_rollups`: files per enterprise, interval and month.

Layout: ``monitoring/rollups/enterprise=<cc>/interval=<hour|day>/month=<YYYY-MM>.parquet`` and
``interval=month/year=<YYYY>.parquet``, with ``seen.txt`` (the readings files already rolled up) beside them. A file
is rewritten whole (temporary file, fsync, atomic rename) when a period in it is recomputed; a level's first files
come from one partitioned ``COPY`` (:func:`.store_files.copy_partitioned`). Files are not sorted: every reader orders
or aggregates what it reads (:meth:`ParquetRollupStore.read` sorts; the cost, dashboard and region sums do not
care). Up to about 165 meters, a month's hours are one row group anyway; above that a read of a few meters scans every
row group of the month. Hour files hold :data:`.store_rollups.HOUR_COLUMNS`; a day write also writes the region
table's deltas (:mod:`.store_region`). Refreshes are serialised by ``monitoring/rollups.lock``.
"""

from __future__ import annotations

import fcntl
import os
import queue
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dualcarbon.monitoring.store_files import copy_partitioned, sql_path
from dualcarbon.monitoring.store_files import install as _install
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS, Compaction, ParquetReadingsStore, duck
from dualcarbon.monitoring.store_region import RegionDays
from dualcarbon.monitoring.store_rollups import (
    _CAST_COLUMNS,
    _CAST_HOUR_COLUMNS,
    DAYS_SCHEMA,
    DIRTY_SCHEMA,
    HOUR_AS_ROLLUP,
    HOUR_COLUMNS,
    ROLLUP_COLUMNS,
    ROLLUP_SCHEMA,
    _empty_rows,
    _quote_list,
)

#: Parallel file writers of one rollup write (:meth:`ParquetRollupStore.replace_query`).
WRITERS = max(1, min(4, os.cpu_count() or 1))
#: Threads that fsync and rename the written files while the writers go on with the next files: an fsync waits on
#: the disk, not on a core (25 files of a year's refresh: ≈ 0.1 s of waiting, most of it now overlapped).
INSTALLERS = 8


class ParquetRollupStore:
    """Rollups as Parquet files per enterprise, interval and month (year for monthly rows)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.readings = root / "readings"
        self.rollups = root / "rollups"

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "rollups.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _base(self, enterprise_code: str) -> Path:
        return self.rollups / f"enterprise={enterprise_code}"

    def _seen(self, enterprise_code: str) -> set[str]:
        manifest = self._base(enterprise_code) / "seen.txt"
        return set(manifest.read_text(encoding="utf-8").split()) if manifest.exists() else set()

    def _new_files(self, enterprise_code: str) -> list[str]:
        base = self.readings / f"enterprise={enterprise_code}"
        if not base.exists():
            return []
        seen = self._seen(enterprise_code) | set(ParquetReadingsStore(self.root).superseded())
        files = sorted(str(f.relative_to(self.readings)) for f in base.glob("month=*/*.parquet"))
        return [f for f in files if f not in seen]

    def new_files(self, enterprise_code: str) -> list[str]:
        """The readings files not rolled up yet (the token :meth:`pending` gives, without reading them)."""
        return self._new_files(enterprise_code)

    def seen(self, enterprise_code: str) -> set[str]:
        """The readings files (relative to ``readings/``) whose rows are rolled up; call under :meth:`locked`."""
        return self._seen(enterprise_code)

    def record_compaction(self, enterprise_code: str, compactions: list[Compaction]) -> None:
        """Under :meth:`locked`: a compacted file holds only rows of seen files, so it is seen too (no recompute);
        names of files no longer on disk are dropped from the manifest."""
        if not compactions:
            return
        seen = self._seen(enterprise_code) | {c.target for c in compactions}
        kept = sorted(f for f in seen if (self.readings / f).exists())
        self._atomic_write_text(self._base(enterprise_code) / "seen.txt", "\n".join(kept) + "\n")

    def has_pending(self, enterprise_code: str, meter_ids: list[int]) -> bool:
        return bool(self._new_files(enterprise_code))

    def pending(self, enterprise_code: str, meter_ids: list[int]) -> tuple[pa.Table, object]:
        new = self._new_files(enterprise_code)
        if not new:
            return pa.Table.from_batches([], schema=DIRTY_SCHEMA), new
        ids = ", ".join(str(int(i)) for i in meter_ids) or "NULL"
        con = duck()
        try:
            table = con.sql(
                f"SELECT CAST(meter_id AS INTEGER) AS meter_id, "
                f"CAST(ts + INTERVAL {LOCAL_OFFSET_HOURS} HOUR AS DATE) AS day, min(ts) AS first_ts, "
                f"max(ts) AS last_ts FROM read_parquet({_quote_list([str(self.readings / f) for f in new])}) "
                f"WHERE meter_id IN ({ids}) GROUP BY ALL"
            ).to_arrow_table()
        finally:
            con.close()
        return table.cast(DIRTY_SCHEMA), new

    def done(self, enterprise_code: str, token: object) -> None:
        new = list(token) if isinstance(token, list) else []
        if not new:
            return
        seen = sorted(self._seen(enterprise_code) | set(new))
        self._atomic_write_text(self._base(enterprise_code) / "seen.txt", "\n".join(seen) + "\n")

    @staticmethod
    def _atomic_write_text(path: Path, content: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def _file(self, enterprise_code: str, interval: str, start: datetime) -> Path:
        folder = self._base(enterprise_code) / f"interval={interval}"
        name = f"year={start.year:04d}.parquet" if interval == "month" else f"month={start:%Y-%m}.parquet"
        return folder / name

    def replace(self, enterprise_code: str, interval: str, rows: pa.Table) -> None:
        """Store Arrow rows; see :meth:`replace_query`."""
        if rows.num_rows == 0:
            return
        if interval == "hour":
            raise ValueError("hour rollups are stored from the refresh query (replace_query), not from Arrow rows")
        rows = rows.select(list(ROLLUP_COLUMNS)).cast(ROLLUP_SCHEMA)
        con = duck()
        try:
            con.register("fresh_in", rows)  # a view over the Arrow rows: no copy
            con.execute(f"CREATE TEMP VIEW fresh AS SELECT *, {self._pkey(interval)} AS pkey FROM fresh_in")
            self._write_fresh(con, enterprise_code, interval)
        finally:
            con.close()

    def replace_query(self, con: duckdb.DuckDBPyConnection, enterprise_code: str, interval: str, sql: str) -> int:
        """The query's rows are written like :meth:`replace`, evaluated once in DuckDB (no Arrow round trip); every
        file is in place when this returns. The number of rows stored.

        The first write of a level (no file of it yet: a first refresh, nothing to merge) goes from the query
        straight into its files with one partitioned ``COPY`` (:meth:`_write_partitioned`; day rows are
        materialised first, as the region table's delta is written from them too). Otherwise the rows are
        materialised once and each file is written (merged with its stored rows of other periods) by
        :data:`WRITERS` cursors in parallel. The materialised rows are a table of the database (uniquely named,
        dropped after), not a temporary one, so that the writers' cursors see it; ``fresh`` is a temporary view of
        it on ``con``. Files are fsynced and renamed into place by :data:`INSTALLERS` threads while the next ones
        are written."""
        cast = _CAST_HOUR_COLUMNS if interval == "hour" else _CAST_COLUMNS
        query = f"SELECT *, {self._pkey(interval)} AS pkey FROM (SELECT {cast} FROM ({sql}))"
        if interval != "day" and not self._has_files(enterprise_code, interval):
            with ThreadPoolExecutor(max_workers=INSTALLERS) as installers:
                return self._write_partitioned(con, enterprise_code, interval, query, installers)
        table = f"rollup_fresh_{uuid.uuid4().hex}"
        con.execute(f"CREATE TABLE {table} AS {query}")
        try:
            con.execute(f"CREATE OR REPLACE TEMP VIEW fresh AS SELECT * FROM {table}")
            ((rows,),) = con.execute(f"SELECT count(*) FROM {table}").fetchall()
            if rows:
                with ThreadPoolExecutor(max_workers=INSTALLERS) as installers:
                    self._write_fresh(con, enterprise_code, interval, shared=table, installers=installers)
        finally:
            con.execute("DROP VIEW IF EXISTS fresh")
            con.execute(f"DROP TABLE IF EXISTS {table}")
        return int(rows)

    def _has_files(self, enterprise_code: str, interval: str) -> bool:
        folder = self._base(enterprise_code) / f"interval={interval}"
        return folder.exists() and any(folder.glob("*.parquet"))

    def _write_partitioned(
        self,
        con: duckdb.DuckDBPyConnection,
        enterprise_code: str,
        interval: str,
        relation: str,
        installers: ThreadPoolExecutor,
    ) -> int:
        """The rows of ``relation`` (the stored columns and ``pkey``) into their files with one partitioned
        ``COPY`` (:func:`.store_files.copy_partitioned`: one pass, no scan per file — a first refresh's 878,400
        hours: about a twelfth less CPU than materialising them and writing each month with its own ``COPY``),
        into a staging folder beside the files; each file is then fsynced and renamed into place by
        ``installers``. Only where no file of the level exists (nothing to merge). Returns the number of rows."""
        folder = self._base(enterprise_code) / f"interval={interval}"
        for leftover in folder.glob(".partitioned-*"):  # of a crashed write (we hold the lock)
            shutil.rmtree(leftover, ignore_errors=True)
        staging = folder / f".partitioned-{uuid.uuid4().hex}"
        cols = ", ".join(HOUR_COLUMNS if interval == "hour" else ROLLUP_COLUMNS)
        try:
            rows, files = copy_partitioned(con, f"SELECT {cols}, pkey FROM ({relation})", staging)
            installing = [
                installers.submit(_install, file, self._file(enterprise_code, interval, _period_of(interval, key)))
                for key, file in files.items()
            ]
            for done in installing:
                done.result()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return rows

    @staticmethod
    def _pkey(interval: str) -> str:
        return "CAST(" + ("year(start)" if interval == "month" else "year(start) * 100 + month(start)") + " AS INTEGER)"

    def _write_fresh(
        self,
        con: duckdb.DuckDBPyConnection,
        enterprise_code: str,
        interval: str,
        shared: str | None = None,
        installers: ThreadPoolExecutor | None = None,
    ) -> None:
        """Write relation ``fresh`` (:data:`ROLLUP_COLUMNS`, for hours :data:`HOUR_COLUMNS`, + ``pkey``) into its
        files: temporary name, fsync, atomic rename. With ``shared`` (the same rows as a table every cursor of
        ``con``'s database sees) and ``installers`` a level without files yet is written with one partitioned
        ``COPY`` (:meth:`_write_partitioned`), else the files are written by :data:`WRITERS` cursors in parallel
        (:meth:`_write_files`). With ``installers`` the fsync and rename of each file run there (their failures
        raise here, after every file is written), and a day write's region deltas (:class:`.store_region.RegionDays`,
        once the region table exists) are written there too, beside the day files — they read the shared rows, not
        the files."""
        installing: list[Future[None]] = []
        region = RegionDays(self.root) if interval == "day" else None
        if region is not None and shared is not None and installers is not None and region.ready():
            installing.append(installers.submit(self._append_region, con.cursor(), region, shared))
            region = None

        def install(tmp: Path, target: Path) -> None:
            if installers is None:
                _install(tmp, target)
            else:
                installing.append(installers.submit(_install, tmp, target))

        if shared is not None and installers is not None and not self._has_files(enterprise_code, interval):
            self._write_partitioned(con, enterprise_code, interval, shared, installers)
        else:
            self._write_files(con, enterprise_code, interval, shared, install)
        for done in installing:  # every file in place (the region table's first build reads them)
            done.result()
        if region is not None:  # the province-wide copy the region dashboard reads (store_region)
            region.append(con, "fresh")

    def _write_files(
        self,
        con: duckdb.DuckDBPyConnection,
        enterprise_code: str,
        interval: str,
        shared: str | None,
        install: Callable[[Path, Path], None],
    ) -> None:
        """Each file of relation ``fresh`` with its own ``COPY`` (:meth:`_write_file`, merged with the file's stored
        rows); with ``shared`` by :data:`WRITERS` cursors in parallel (a small file's ``COPY`` runs on one core)."""
        jobs = sorted(
            (int(key), self._file(enterprise_code, interval, _period_of(interval, int(key))))
            for (key,) in con.execute("SELECT DISTINCT pkey FROM fresh").fetchall()
        )
        if shared is None or len(jobs) < 2 or WRITERS < 2:
            for key, target in jobs:
                self._write_file(con, shared or "fresh", key, target, interval, install)
            return
        cursors: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        opened = [con.cursor() for _ in range(min(WRITERS, len(jobs)))]
        for cursor in opened:
            cursor.execute("SET enable_progress_bar = false")
            cursors.put(cursor)

        def write(job: tuple[int, Path]) -> None:
            cursor = cursors.get()
            try:
                self._write_file(cursor, shared, *job, interval, install)
            finally:
                cursors.put(cursor)

        try:
            with ThreadPoolExecutor(max_workers=len(opened)) as pool:
                list(pool.map(write, jobs))
        finally:
            for cursor in opened:
                cursor.close()

    @staticmethod
    def _append_region(cursor: duckdb.DuckDBPyConnection, region: RegionDays, shared: str) -> None:
        """``region.append`` of the rows of table ``shared`` on ``cursor`` (its own, in another thread; closed)."""
        try:
            cursor.execute("SET enable_progress_bar = false")
            region.append(cursor, shared)
        finally:
            cursor.close()

    def _write_file(
        self,
        con: duckdb.DuckDBPyConnection,
        relation: str,
        key: int,
        target: Path,
        interval: str,
        install: Callable[[Path, Path], None] | None = None,
    ) -> None:
        """One file (fsynced and renamed into place by ``install``, default :func:`.store_files.install`): the rows
        of ``relation`` with ``pkey = key``; a file with stored rows keeps its rows of other periods, and its layout
        (an hour file of the earlier layout gets the fresh rows as :data:`HOUR_AS_ROLLUP`)."""
        cols = fresh_cols = ", ".join(ROLLUP_COLUMNS)
        if interval == "hour":
            fresh_cols = cols = ", ".join(HOUR_COLUMNS)
            if target.exists() and not _hour_layout(target):
                cols, fresh_cols = ", ".join(ROLLUP_COLUMNS), HOUR_AS_ROLLUP
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        target.parent.mkdir(parents=True, exist_ok=True)
        query = f"SELECT {fresh_cols} FROM {relation} WHERE pkey = {key}"
        if target.exists():
            query = (
                f"SELECT {cols} FROM read_parquet({sql_path(target)}) o WHERE NOT EXISTS (SELECT 1 FROM {relation} f "
                f"WHERE f.pkey = {key} AND f.meter_id = o.meter_id AND f.start = o.start) UNION ALL {query}"
            )
        con.execute(f"COPY ({query}) TO {sql_path(tmp)} (FORMAT parquet, COMPRESSION snappy)")
        (install or _install)(tmp, target)

    def read(
        self, enterprise_code: str, meter_ids: list[int], interval: str, start: datetime, end: datetime
    ) -> pa.Table:
        folder = self._base(enterprise_code) / f"interval={interval}"
        if not folder.exists() or not meter_ids:
            return _empty_rows()
        files = [str(f) for f in sorted(folder.glob("*.parquet")) if self._overlaps(f.name, interval, start, end)]
        if not files:
            return _empty_rows()
        ids = ", ".join(str(int(i)) for i in meter_ids)
        source = f"read_parquet({_quote_list(files)})"
        if interval == "hour":  # each file as its layout says: the contract's columns from either
            compact = [f for f in files if _hour_layout(Path(f))]
            earlier = [f for f in files if f not in set(compact)]
            parts = [f"SELECT {', '.join(ROLLUP_COLUMNS)} FROM read_parquet({_quote_list(earlier)})"] if earlier else []
            if compact:
                parts.append(f"SELECT {HOUR_AS_ROLLUP} FROM read_parquet({_quote_list(compact)})")
            source = "(" + " UNION ALL ".join(parts) + ")"
        con = duck()
        try:
            table = con.sql(
                f"SELECT {', '.join(ROLLUP_COLUMNS)} FROM {source} "
                f"WHERE meter_id IN ({ids}) AND start >= $start AND start < $end ORDER BY meter_id, start",
                params={"start": start, "end": end},
            ).to_arrow_table()
        finally:
            con.close()
        return table.cast(ROLLUP_SCHEMA)

    def stale_days(self, enterprise_code: str, sigs: dict[int, str]) -> pa.Table:
        """In DuckDB over the day files (three columns read, the signatures compared there: a year of 100 meters'
        36,600 day rows cost about 50 ms when read whole and compared in Python, on every refresh)."""
        folder = self._base(enterprise_code) / "interval=day"
        files = sorted(str(f) for f in folder.glob("*.parquet")) if folder.exists() else []
        if not files or not sigs:
            return pa.Table.from_batches([], schema=DAYS_SCHEMA)
        current = pa.table(
            {"meter_id": pa.array(list(sigs), pa.int32()), "sig": pa.array(list(sigs.values()), pa.string())}
        )
        con = duck()
        try:
            con.register("current_sigs", current)
            table = con.sql(
                f"SELECT d.meter_id, CAST(d.start AS DATE) AS day FROM read_parquet({_quote_list(files)}) d "
                "JOIN current_sigs c ON c.meter_id = d.meter_id WHERE d.sig IS DISTINCT FROM c.sig "
                "ORDER BY 1, 2"
            ).to_arrow_table()
        finally:
            con.close()
        return table.cast(DAYS_SCHEMA)

    @staticmethod
    def _overlaps(name: str, interval: str, start: datetime, end: datetime) -> bool:
        stem = name.removesuffix(".parquet").split("=", 1)[1]
        if interval == "month":
            first, last = datetime(int(stem), 1, 1), datetime(int(stem) + 1, 1, 1)
        else:
            year, month = int(stem[:4]), int(stem[5:7])
            first, last = datetime(year, month, 1), datetime(year + (month == 12), month % 12 + 1, 1)
        return first < end and start < last


def _period_of(interval: str, key: int) -> datetime:
    """The first period start of the file of partition key ``key`` (``pkey``: a year, or year × 100 + month)."""
    return datetime(key, 1, 1) if interval == "month" else datetime(key // 100, key % 100, 1)


def _hour_layout(path: Path) -> bool:
    """Whether the hour file ``path`` has the columns of :data:`HOUR_COLUMNS` (else the earlier layout, those of
    :data:`ROLLUP_COLUMNS`); read from the file's footer."""
    return "flag_bits" in pq.read_schema(path).names
