"""The region day table (区域日汇总): every meter's stored day rollup of a whole province in a few files per month.

Why: the per-enterprise day files of :mod:`.store_rollups` (one per enterprise and month) are right for one
enterprise's dashboard, but a province-wide aggregate over them opens one file per enterprise and month — 65,000
files for 5,000 enterprises and a year, 20 s of DuckDB just opening them (docs/benchmarks.md, H11). The region
dashboard reads this table instead (:mod:`.service_region`).

Layout (beside the rollups, Parquet store only; PostgreSQL keeps day rows in ``monitoring_rollup`` and aggregates
them in one SQL query)::

    monitoring/region/interval=day/month=YYYY-MM/base-<seq>-<rows>.parquet    compacted rows of the month
    monitoring/region/interval=day/month=YYYY-MM/delta-<seq>-<rows>.parquet   rows written by one refresh
    monitoring/region/READY                                                   the table is complete

Rows: ``meter_id, start, energy, tce, tco2, completeness`` (a day rollup's numbers, no flags or signature); a delta
also has ``seq``. ``seq`` grows by one per file written in a month folder, under the rollups' lock.

Rules:

* **Written with the day rollups.** :meth:`.ParquetRollupStore._write_fresh` calls :meth:`RegionDays.append` with
  the fresh day rows after their enterprise files are renamed into place, under the rollups' lock, before the
  refresh forgets its dirty set. A crash in between leaves the dirty set in place: the next refresh recomputes
  those days and writes both again (idempotent). Files are written to a temporary name, fsynced, renamed.
* **Latest write wins** per (meter, day): a delta with a higher ``seq`` replaces the base's and older deltas' row.
  Files with ``seq`` ≤ the newest base's are leftovers of a compaction that crashed before deleting them: ignored.
* **Compaction** (in :meth:`append`, per month folder, under the lock): when the folder holds
  :data:`MAX_DELTAS` deltas, or at least :data:`MIN_DELTAS` whose rows reach a quarter of the base's, the base
  and the deltas are merged into one new base (named with the highest ``seq``), then the merged files are deleted.
* **Readers take no lock**: they list the files and read them; if a compaction removed a listed file meanwhile,
  the read is retried on a fresh listing (:meth:`RegionDays.query`).
* **Migration**: a store whose rollups predate the table has no ``READY``; the first day write under the lock
  (a refresh) builds the table from the enterprise day files (:meth:`RegionDays.build`), as does
  ``dualcarbon store build-region-days``. Until then readers fall back to the enterprise day files.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dualcarbon.monitoring.store_files import copy_partitioned, install, sql_path
from dualcarbon.monitoring.store_readings import duck

REGION_COLUMNS = ("meter_id", "start", "energy", "tce", "tco2", "completeness")
MIN_DELTAS, MAX_DELTAS = 8, 32
_FILE = re.compile(r"^(base|delta)-(\d+)-(\d+)\.parquet$")
_RETRIES = 4
#: The month of a day row as an integer (year × 100 + month): the partition key of a delta write.
_MONTH_KEY = "CAST(year(start) * 100 + month(start) AS INTEGER)"


def _month_name(start: datetime) -> str:
    return f"month={start:%Y-%m}"


def _months(start: datetime, end: datetime) -> list[str]:
    out, cursor = [], datetime(start.year, start.month, 1)
    while cursor < end:
        out.append(_month_name(cursor))
        cursor = datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return out


def _quote(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


class _Folder:
    """The live files of one month folder: the newest base and the deltas after it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        found: list[tuple[str, int, int, Path]] = []
        if path.exists():
            for f in path.iterdir():
                if match := _FILE.match(f.name):
                    found.append((match.group(1), int(match.group(2)), int(match.group(3)), f))
        bases = sorted((s, r, f) for kind, s, r, f in found if kind == "base")
        self.base = bases[-1] if bases else None
        floor = self.base[0] if self.base else -1
        self.deltas = sorted((s, r, f) for kind, s, r, f in found if kind == "delta" and s > floor)
        self.stale = [f for kind, s, _, f in found if s <= floor and (self.base is None or f != self.base[2])]
        self.next_seq = max((s for _, s, _, _ in found), default=0) + 1

    @property
    def every(self) -> list[Path]:
        """Every file of the folder (live and stale)."""
        return [f for _, _, f in self.deltas] + ([self.base[2]] if self.base else []) + self.stale

    @property
    def base_rows(self) -> int:
        return self.base[1] if self.base else 0


class RegionDays:
    """The region day table of a Parquet store rooted at ``monitoring/`` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "region" / "interval=day"
        self.marker = root / "region" / "READY"

    def ready(self) -> bool:
        return self.marker.exists()

    # ---- writing (under the rollups' lock) --------------------------------------------------------------
    def append(self, con: duckdb.DuckDBPyConnection, relation: str) -> None:
        """Add the day rows of ``relation`` (on ``con``; columns of :data:`REGION_COLUMNS` at least) as one delta
        per month, every month's delta from one partitioned ``COPY`` (:func:`.store_files.copy_partitioned`; a
        year of days: one pass instead of twelve); compact the folders that need it. Builds the table first when
        it is not there yet."""
        if not self.ready():
            self.build()  # reads the enterprise day files, which already hold the fresh rows
            return
        months = con.execute(f"SELECT {_MONTH_KEY} AS pkey, count(*) FROM {relation} GROUP BY ALL").fetchall()
        if not months:
            return
        folders = {
            int(key): (_Folder(self.folder / f"month={key // 100:04d}-{key % 100:02d}"), int(rows))
            for key, rows in months
        }
        seqs = ", ".join(f"({key}, {folder.next_seq})" for key, (folder, _) in folders.items())
        staging_root = self.folder.parent
        for leftover in staging_root.glob(".partitioned-*"):  # of a crashed append (we hold the lock)
            shutil.rmtree(leftover, ignore_errors=True)
        staging = staging_root / f".partitioned-{uuid.uuid4().hex}"
        query = (
            f"SELECT {', '.join(REGION_COLUMNS)}, CAST(s.seq AS BIGINT) AS seq, pkey "
            f"FROM (SELECT *, {_MONTH_KEY} AS pkey FROM {relation}) JOIN (VALUES {seqs}) s(pkey, seq) USING (pkey)"
        )
        try:
            _, files = copy_partitioned(con, query, staging)
            for key, (folder, rows) in sorted(folders.items()):
                install(files[key], folder.path / f"delta-{folder.next_seq}-{rows}.parquet")
                self._maybe_compact(con, folder.path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _maybe_compact(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        folder = _Folder(path)
        delta_rows = sum(r for _, r, _ in folder.deltas)
        if len(folder.deltas) >= MAX_DELTAS or (
            len(folder.deltas) >= MIN_DELTAS and 4 * delta_rows >= folder.base_rows
        ):
            self.compact(con, path)

    def compact(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Merge a month folder's base and deltas into one base (latest write wins); under the lock."""
        folder = _Folder(path)
        if not folder.deltas:
            self._delete(folder.stale)
            return
        seq = folder.deltas[-1][0]
        merged = self._live_sql(folder)
        rows = con.execute(f"SELECT count(*) FROM ({merged})").fetchall()[0][0]
        self._copy(con, f"{merged} ORDER BY meter_id, start", path / f"base-{seq}-{int(rows)}.parquet")
        self._delete(folder.every)

    def build(self) -> dict[str, int]:
        """(Re)build the whole table from the enterprise day files (the migration); under the lock. Each month
        becomes one base whose ``seq`` supersedes every file already in its folder; months no enterprise file
        has any more are emptied. Writes ``READY`` last. Returns the months and rows written."""
        by_month: dict[str, list[str]] = defaultdict(list)
        for f in (self.root / "rollups").glob("enterprise=*/interval=day/month=*.parquet"):
            by_month[f.stem].append(str(f))
        cols = ", ".join(REGION_COLUMNS)
        total = 0
        con = duck()
        try:
            for month, files in sorted(by_month.items()):
                folder = _Folder(self.folder / month)
                query = f"SELECT {cols} FROM read_parquet({_quote(sorted(files))})"
                rows = int(con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0])
                target = folder.path / f"base-{folder.next_seq}-{rows}.parquet"
                self._copy(con, f"{query} ORDER BY meter_id, start", target)
                self._delete(
                    [f for _, _, f in folder.deltas] + ([folder.base[2]] if folder.base else []) + folder.stale
                )
                total += rows
        finally:
            con.close()
        if self.folder.exists():
            for gone in (p for p in self.folder.iterdir() if p.is_dir() and p.name not in by_month):
                folder = _Folder(gone)
                self._delete(
                    [f for _, _, f in folder.deltas] + ([folder.base[2]] if folder.base else []) + folder.stale
                )
        self._write_marker()
        return {"months": len(by_month), "rows": total}

    def _write_marker(self) -> None:
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.marker.with_name(f".READY.{uuid.uuid4().hex}")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("1\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.marker)

    @staticmethod
    def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        con.execute(f"COPY ({query}) TO {sql_path(tmp)} (FORMAT parquet, COMPRESSION snappy)")
        install(tmp, target)

    @staticmethod
    def _delete(files: list[Path]) -> None:
        for f in files:
            f.unlink(missing_ok=True)

    # ---- reading (no lock) --------------------------------------------------------------------------------
    @staticmethod
    def _live_sql(folder: _Folder | list[_Folder], where: str = "TRUE") -> str:
        """The live rows of folders: the bases' rows no newer delta replaces (an anti join, only for the months
        that have deltas), and each (meter, day)'s newest delta row."""
        folders = folder if isinstance(folder, list) else [folder]
        cols = ", ".join(REGION_COLUMNS)
        clean = [str(f.base[2]) for f in folders if f.base and not f.deltas]
        dirty = [str(f.base[2]) for f in folders if f.base and f.deltas]
        deltas = [str(f) for x in folders for _, _, f in x.deltas]
        parts = [f"SELECT {cols} FROM read_parquet({_quote(clean)}) WHERE {where}"] if clean else []
        if dirty:
            parts.append(
                f"SELECT {', '.join('b.' + c for c in REGION_COLUMNS)} FROM read_parquet({_quote(dirty)}) b "
                f"ANTI JOIN (SELECT DISTINCT meter_id, start FROM read_parquet({_quote(deltas)})) d "
                f"USING (meter_id, start) WHERE {where}"
            )
        if deltas:
            parts.append(
                f"SELECT {cols} FROM read_parquet({_quote(deltas)}) WHERE {where} "
                "QUALIFY row_number() OVER (PARTITION BY meter_id, start ORDER BY seq DESC) = 1"
            )
        return " UNION ALL ".join(f"({p})" for p in parts)

    def query(
        self,
        sql: str,
        start: datetime,
        end: datetime,
        tables: dict[str, pa.Table] | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` whose ``{days}`` is the live rows with ``start`` in [start, end) (naive Asia/Shanghai);
        ``tables`` are registered first. No rows at all: ``{days}`` is an empty relation."""
        bounds = f"start >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' AND start < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
        for attempt in range(_RETRIES):
            folders = [_Folder(self.folder / m) for m in _months(start, end)]
            live = self._live_sql([f for f in folders if f.base or f.deltas], bounds)
            if not live:
                live = f"SELECT {', '.join(REGION_COLUMNS)} FROM (SELECT NULL::INTEGER AS meter_id, NULL::TIMESTAMP "
                live += "AS start, NULL::DOUBLE AS energy, NULL::DOUBLE AS tce, NULL::DOUBLE AS tco2, "
                live += "NULL::DOUBLE AS completeness) WHERE FALSE"
            con = duck()
            try:
                for name, table in (tables or {}).items():
                    con.register(name, table)
                return con.execute(sql.format(days=f"({live})"), params or None).fetchall()
            except duckdb.IOException:
                if attempt == _RETRIES - 1:  # a compaction renamed a listed file away each time: give up
                    raise
            finally:
                con.close()
        raise AssertionError("unreachable")
