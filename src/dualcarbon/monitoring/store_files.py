"""Writing Parquet files into place: fsync then atomic rename, and one partitioned ``COPY`` for many files.

The rollup files (:mod:`.store_rollups`) and the region day table (:mod:`.store_region`) are written to a
temporary name and renamed into place after an fsync, so a reader sees a whole file or the previous one, and a
name that is in place survives a crash with its content.

:func:`copy_partitioned` writes the rows of one query into one file per partition key with a single
``COPY … PARTITION_BY``: one pass over the rows, where a ``COPY`` per file scans all of them once per file (a
first refresh of 100 meters × a year: 878,400 hour rows into 12 month files). A partitioned write does not keep an
order: for files whose readers order or aggregate what they read.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from dualcarbon.monitoring.store_readings import duck


def sql_path(path: Path) -> str:
    """``path`` as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def install(file: Path, target: Path) -> None:
    """Make ``file`` durable (fsync) and rename it to ``target`` (atomic; an existing target is replaced)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(file, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(file, target)


def copy_partitioned(con: duckdb.DuckDBPyConnection, query: str, staging: Path) -> tuple[int, dict[int, Path]]:
    """Write the rows of ``query`` (its integer column ``pkey`` says the partition; not written into the files)
    under the new folder ``staging`` with one ``COPY``. Returns the number of rows and, per key, its one file
    (a partition DuckDB wrote as several files is merged into one first). The caller installs the files
    (:func:`install`) and removes ``staging``."""
    staging.parent.mkdir(parents=True, exist_ok=True)
    ((rows,),) = con.execute(
        f"COPY ({query}) TO {sql_path(staging)} (FORMAT parquet, PARTITION_BY (pkey), COMPRESSION snappy)"
    ).fetchall()
    return int(rows), {int(part.name.split("=", 1)[1]): one_file(part) for part in sorted(staging.glob("pkey=*"))}


def one_file(part: Path) -> Path:
    """The file of the partition folder ``part``: its only file, or a new file in it with the rows of its files
    (same columns; the folder's ``pkey=…`` name is not read as a column)."""
    files = sorted(part.glob("*.parquet"))
    if len(files) == 1:
        return files[0]
    merged = part / f"merged-{uuid.uuid4().hex}.parquet.tmp"
    listed = "[" + ", ".join(sql_path(f) for f in files) + "]"
    con = duck()
    try:
        con.execute(
            f"COPY (SELECT * FROM read_parquet({listed}, hive_partitioning = false)) TO {sql_path(merged)} "
            "(FORMAT parquet, COMPRESSION snappy)"
        )
    finally:
        con.close()
    return merged
