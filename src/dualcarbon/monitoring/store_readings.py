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
in Asia/Shanghai time. A batch writes one new file per partition it touches, first into ``staging/<id>/``;
then a journal ``staging/<id>.journal`` listing every (staged file → partition file) move is written and
renamed into place — the commit point — and the files are renamed into their partitions. Writers hold an
exclusive lock on ``readings.lock``; readers list the files under a shared lock, so they never see a batch
half renamed. A writer killed after the commit point leaves a journal that the next reader or writer rolls
forward (the whole batch appears); killed before it, it leaves a staging folder without a journal, which the
next writer deletes (nothing appears).

Compaction (:meth:`ParquetReadingsStore.compact`, ``dualcarbon store compact-readings``) rewrites the files of a
month partition into one file sorted by (meter_id, ts) through the same journal: the new file is renamed in and
the old ones are listed in ``superseded.json`` in one commit, so a listing shows the old files or the new one,
never both or neither. Superseded files stay on disk for :data:`SUPERSEDED_GRACE_SECONDS` (a reader that listed
them just before keeps reading them) and are then deleted by the next writer.

PostgreSQL: :mod:`.store_readings_pg`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.core.errors import InvalidInput
from dualcarbon.store.db import sqlite_path

#: Asia/Shanghai has kept UTC+8 without daylight saving since 1991; periods are local, storage is UTC.
LOCAL_OFFSET_HOURS = 8
READINGS_SCHEMA = pa.schema([("meter_id", pa.int32()), ("ts", pa.timestamp("us")), ("value", pa.float64())])
# Arbitrary constant key of the advisory lock serialising reading writers on PostgreSQL.
READINGS_LOCK_KEY = 0x6463524453  # "dcRDS"


@dataclass
class Compaction:
    """One month partition compacted: its old files and the new one (paths relative to ``readings/``), rows."""

    month: str
    sources: list[str]
    target: str
    rows: int


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


#: Test hook of the fault tests: seconds to sleep inside a commit (between the renames of a Parquet batch,
#: after the insert of a PostgreSQL batch), announced on stderr, so that a test can ``kill -9`` the writer there.
TEST_PAUSE_ENV = "DUALCARBON_TEST_COMMIT_PAUSE"


#: Which pause point is armed: ``commit`` (default: after the first rename of a commit) or ``staged`` (a compaction
#: with its new file staged, before the commit point).
TEST_PAUSE_POINT_ENV = "DUALCARBON_TEST_PAUSE_POINT"
#: A month partition holding more files than this is compacted (``dualcarbon store compact-readings --min-files``,
#: the live simulator): the live demo writes one file per enterprise every 15 s, so 16 files are 4 minutes.
COMPACT_MIN_FILES = 16
#: Files replaced by a compacted file are deleted this long after the compaction (readers that listed them may
#: still be reading them).
SUPERSEDED_GRACE_SECONDS = 600.0


def _test_pause(where: str, point: str = "commit") -> None:
    seconds = os.environ.get(TEST_PAUSE_ENV)
    if seconds and os.environ.get(TEST_PAUSE_POINT_ENV, "commit") == point:
        print(f"{TEST_PAUSE_ENV}: pausing {seconds} s {where}", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


_shared: tuple[int, duckdb.DuckDBPyConnection] | None = None
_shared_lock = threading.Lock()


def duck() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's one in-memory DuckDB database (about 0.1 ms, where a new database costs
    about 50 ms); its temporary tables, views and registered Arrow tables are its own. Close it after use."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():  # a forked child opens its own
            _shared = (os.getpid(), duckdb.connect())
        con = _shared[1].cursor()
    con.execute("SET enable_progress_bar = false")
    return con


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def readings_store_for(session: Session) -> ReadingsStore:
    """The readings store of the session's database (Parquet beside a SQLite file, else PostgreSQL)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from dualcarbon.monitoring.store_readings_pg import PostgresReadingsStore  # (it imports this module)

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
        self.superseded_file = root / "superseded.json"

    @contextmanager
    def _locked(self, *, shared: bool = False) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "readings.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                if not shared:
                    self._recover()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _recover(self) -> None:
        """Under the exclusive lock: finish the batches of killed writers that passed their commit point
        (a journal is left) and delete the staging folders of those that did not; delete superseded files whose
        grace period is over."""
        self._purge_superseded()
        if not self.staging.exists():
            return
        for journal in sorted(self.staging.glob("*.journal")):
            self._apply(journal)
        for leftover in self.staging.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.suffix == ".tmp":
                leftover.unlink(missing_ok=True)

    def _apply(self, journal: Path, *, pause: bool = False) -> None:
        """Rename the staged files a journal lists into their partitions (again after a crash), then drop it."""
        content = json.loads(journal.read_text(encoding="utf-8"))
        moves, supersede = (content, []) if isinstance(content, list) else (content["moves"], content["supersede"])
        for number, (source, target) in enumerate(moves):
            if os.path.exists(source):
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
            if pause and number == 0:
                _test_pause("between the renames of a Parquet batch")
        if supersede:
            now = time.time()
            self._write_superseded(self.superseded() | {f: now for f in supersede})
        journal.unlink()
        shutil.rmtree(journal.with_suffix(""), ignore_errors=True)

    def visible_files(self, enterprise_code: str) -> list[str]:
        """The committed files of an enterprise, listed under the shared lock (never a half-renamed batch)."""
        if self.staging.exists() and any(self.staging.glob("*.journal")):
            with self._locked():  # a killed writer's batch: roll it forward first
                pass
        with self._locked(shared=True):
            return self._files(enterprise_code)

    def _files(self, enterprise_code: str, months: list[str] | None = None) -> list[str]:
        base = self.readings / f"enterprise={enterprise_code}"
        if not base.exists():
            return []
        dirs = [base / f"month={m}" for m in months] if months is not None else sorted(base.glob("month=*"))
        hidden = self.superseded()
        files = (f for d in dirs if d.exists() for f in d.glob("*.parquet"))
        return sorted(str(f) for f in files if str(f.relative_to(self.readings)) not in hidden)

    def superseded(self) -> dict[str, float]:
        """Files replaced by a compacted file (relative to ``readings/``) → when; never listed as readings."""
        if not self.superseded_file.exists():
            return {}
        return dict(json.loads(self.superseded_file.read_text(encoding="utf-8")))

    def _write_superseded(self, entries: dict[str, float]) -> None:
        if not entries:
            self.superseded_file.unlink(missing_ok=True)
            return
        pending = self.superseded_file.with_suffix(".tmp")
        with open(pending, "w", encoding="utf-8") as handle:
            json.dump(entries, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pending, self.superseded_file)

    def _purge_superseded(self) -> None:
        entries = self.superseded()
        expired = [f for f, at in entries.items() if time.time() - at >= SUPERSEDED_GRACE_SECONDS]
        for name in expired:
            (self.readings / name).unlink(missing_ok=True)
            del entries[name]
        if expired:
            self._write_superseded(entries)

    def compact(
        self, enterprise_code: str, months: list[str] | None, min_files: int, eligible: set[str] | None = None
    ) -> list[Compaction]:
        """Under the exclusive lock, rewrite each month partition with more than ``min_files`` files (only those
        in ``eligible``, paths relative to ``readings/``, when given) into one file sorted by (meter_id, ts)."""
        done: list[Compaction] = []
        with self._locked():
            base = self.readings / f"enterprise={enterprise_code}"
            found = sorted(d.name.split("=", 1)[1] for d in base.glob("month=*")) if base.exists() else []
            for month in [m for m in found if months is None or m in months]:
                files = [
                    f
                    for f in self._files(enterprise_code, [month])
                    if eligible is None or str(Path(f).relative_to(self.readings)) in eligible
                ]
                if len(files) > min_files:
                    done.append(self._compact_partition(enterprise_code, month, files))
        return done

    def _compact_partition(self, enterprise_code: str, month: str, files: list[str]) -> Compaction:
        staged = self.staging / uuid.uuid4().hex
        staged.mkdir(parents=True, exist_ok=True)
        out = staged / "compacted.parquet"
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute(
                "COPY (SELECT CAST(meter_id AS INTEGER) AS meter_id, CAST(ts AS TIMESTAMP) AS ts, "
                f"CAST(value AS DOUBLE) AS value FROM read_parquet($files) ORDER BY meter_id, ts) TO '{out}' "
                "(FORMAT parquet, COMPRESSION zstd)",
                {"files": files},
            )
            before = con.execute("SELECT count(*) FROM read_parquet($files)", {"files": files}).fetchone()
            after = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
        finally:
            con.close()
        if before != after:  # never expected; the staged file is dropped and the partition left as it was
            shutil.rmtree(staged, ignore_errors=True)
            raise RuntimeError(f"compaction of {enterprise_code}/{month}: {before} rows in, {after} out")
        with open(out, "rb") as handle:
            os.fsync(handle.fileno())
        target = self.readings / f"enterprise={enterprise_code}" / f"month={month}" / f"part-{uuid.uuid4().hex}.parquet"
        sources = [str(Path(f).relative_to(self.readings)) for f in files]
        _test_pause("with a compacted file staged, before the commit point", point="staged")
        self._commit(staged, {"moves": [(str(out), str(target))], "supersede": sources})
        rows = int(after[0]) if after else 0
        return Compaction(month, sources, str(target.relative_to(self.readings)), rows)

    def _commit(self, staged: Path, content: object) -> None:
        """Write the journal of ``staged`` (the commit point: from here on it is rolled forward), then apply it."""
        journal = staged.with_suffix(".journal")
        pending = staged.with_suffix(".tmp")
        with open(pending, "w", encoding="utf-8") as handle:
            json.dump(content, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pending, journal)
        self._apply(journal, pause=True)

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
        moves: list[tuple[str, str]] = []
        for file in sorted(staged.glob("ym=*/*.parquet")):
            ym = int(file.parent.name.split("=", 1)[1])
            target_dir = self.readings / f"enterprise={enterprise_code}" / f"month={ym // 100:04d}-{ym % 100:02d}"
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
            moves.append((str(file), str(target_dir / f"part-{uuid.uuid4().hex}.parquet")))
        self._commit(staged, moves)

    def register(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        enterprise_code: str,
        meter_ids: list[int],
        start_utc: datetime,
        end_utc: datetime,
    ) -> None:
        files = self.visible_files(enterprise_code)
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
        files = self.visible_files(enterprise_code)
        if not files:
            return 0
        con = duckdb.connect()
        try:
            row = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()
        finally:
            con.close()
        return int(row[0]) if row else 0
