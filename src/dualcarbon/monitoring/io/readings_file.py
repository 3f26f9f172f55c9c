"""Reading files of readings (``credit_code, meter_code, ts, value``): CSV, Parquet or xlsx → Arrow.

Every column is read as text (Parquet keeps its types; the ingest service turns them into text), so that
the ingest service parses times and numbers once, with one set of rules, whatever the file type.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dualcarbon.core.errors import InvalidInput

COLUMNS = ("credit_code", "meter_code", "ts", "value")


def _check_columns(names: list[str], source: str) -> None:
    cleaned = [n.strip().lower() for n in names]
    if sorted(cleaned) != sorted(COLUMNS):
        raise InvalidInput(
            f"{source}: the columns must be exactly {', '.join(COLUMNS)} (found {', '.join(names) or 'none'})",
            field="file",
        )


def _normalised(table: pa.Table) -> pa.Table:
    return table.rename_columns([n.strip().lower() for n in table.column_names]).select(list(COLUMNS))


def read_csv_bytes(data: bytes, source: str = "CSV") -> pa.Table:
    """A CSV body (UTF-8, header row) as an Arrow table of text columns."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "readings.csv"
        path.write_bytes(data)
        try:
            return read_readings_file(path)
        except InvalidInput as exc:
            exc.message = exc.message.replace("readings.csv", source)
            raise


def read_readings_file(path: Path) -> pa.Table:
    """The readings of a .csv, .parquet or .xlsx file as an Arrow table with the four columns."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig") as handle:
            header = handle.readline().strip()
        _check_columns(header.split(","), path.name)
        names = [n.strip().lower() for n in header.split(",")]
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"  # names checked above
        con = duckdb.connect()
        try:
            table = con.sql(
                f"SELECT * FROM read_csv(?, header = true, auto_detect = false, columns = {columns})",
                params=[str(path)],
            ).to_arrow_table()
        finally:
            con.close()
        return _normalised(table)
    if suffix == ".parquet":
        table = pq.read_table(path)
        _check_columns(table.column_names, path.name)
        return _normalised(table)
    if suffix in (".xlsx", ".xlsm"):
        import polars as pl

        frame = pl.read_excel(path, infer_schema_length=0)  # every column as text
        _check_columns(frame.columns, path.name)
        return _normalised(frame.to_arrow())
    raise InvalidInput(f"{path.name}: use a .csv, .parquet or .xlsx file", field="file")
