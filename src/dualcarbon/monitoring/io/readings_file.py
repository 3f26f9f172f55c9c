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
        found = ", ".join(names) or "none"
        zh = f"{source} 的列须恰好为 {', '.join(COLUMNS)}（文件中为：{', '.join(names) or '无'}）"
        raise InvalidInput(
            f"{zh} / {source}: the columns must be exactly {', '.join(COLUMNS)} (found {found})",
            field="file",
            zh=zh,
        )


def _unreadable(source: str, kind_zh: str, kind: str, exc: BaseException) -> InvalidInput:
    """The problem for a file that is not what its name says (a damaged Parquet, a renamed text as .xlsx …)."""
    zh = f"无法读取 {source}：{kind_zh}"
    detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return InvalidInput(f"{zh} / {source} is not {kind} ({detail})", field="file", zh=zh)


def _normalised(table: pa.Table) -> pa.Table:
    return table.rename_columns([n.strip().lower() for n in table.column_names]).select(list(COLUMNS))


def _not_utf8(source: str, exc: BaseException) -> InvalidInput:
    return _unreadable(source, "不是 UTF-8 编码的文本（请另存为 UTF-8 CSV）", "UTF-8 text (save it as UTF-8 CSV)", exc)


def read_csv_bytes(data: bytes, source: str = "CSV") -> pa.Table:
    """A CSV body (UTF-8, header row) as an Arrow table of text columns."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "readings.csv"
        path.write_bytes(data)
        try:
            return read_readings_file(path)
        except InvalidInput as exc:
            exc.message = exc.message.replace("readings.csv", source)
            exc.zh = exc.zh.replace("readings.csv", source) if exc.zh else exc.zh
            raise


def read_readings_file(path: Path) -> pa.Table:
    """The readings of a .csv, .parquet or .xlsx file as an Arrow table with the four columns."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    if suffix == ".csv":
        try:
            with open(path, encoding="utf-8-sig") as handle:
                header = handle.readline().strip()
        except UnicodeDecodeError as exc:
            raise _not_utf8(path.name, exc) from None
        _check_columns(header.split(","), path.name)
        names = [n.strip().lower() for n in header.split(",")]
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"  # names checked above
        con = duckdb.connect()
        try:
            table = con.sql(
                f"SELECT * FROM read_csv(?, header = true, auto_detect = false, columns = {columns})",
                params=[str(path)],
            ).to_arrow_table()
        except duckdb.Error as exc:  # ragged rows, an unterminated quote, bytes that are not UTF-8 …
            if "unicode" in str(exc).lower() or "utf" in str(exc).lower():
                raise _not_utf8(path.name, exc) from None
            raise _unreadable(
                path.name, "CSV 格式有误（各行的列数须与表头一致）", "a well-formed CSV file", exc
            ) from None
        finally:
            con.close()
        return _normalised(table)
    if suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise _unreadable(path.name, "不是有效的 Parquet 文件", "a readable Parquet file", exc) from None
        _check_columns(table.column_names, path.name)
        return _normalised(table)
    if suffix in (".xlsx", ".xlsm"):
        import polars as pl

        try:
            frame = pl.read_excel(path, infer_schema_length=0)  # every column as text
        except Exception as exc:  # calamine/polars raise several kinds for a file that is not a workbook
            raise _unreadable(path.name, "不是有效的 .xlsx 工作簿", "a readable .xlsx workbook", exc) from None
        _check_columns(frame.columns, path.name)
        return _normalised(frame.to_arrow())
    raise InvalidInput(
        f"请使用 .csv、.parquet 或 .xlsx 文件 / {path.name}: use a .csv, .parquet or .xlsx file",
        field="file",
        zh=f"{path.name}：请使用 .csv、.parquet 或 .xlsx 文件",
    )
