"""Reading a filled survey (.xlsx with fastexcel/calamine, .csv with polars) into one polars frame.

The frame has ``_row`` (the row number as Excel shows it: header = row 1), every known column under its
key (text columns as stripped strings, empty → null; number columns as Float64) and the cells that are
not numbers in ``Survey.bad_numbers`` (row, key, text) so the validator can name them. Unknown headers
are kept aside in ``Survey.ignored_headers``; a missing required header is an ``InvalidInput``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from dualcarbon.assess.columns import (
    DATA_SHEET,
    HEADER_INDEX,
    NUMBER_KEYS,
    SURVEY_COLUMNS,
    TEXT_KEYS,
    header_key,
)
from dualcarbon.core.errors import InvalidInput

ROW = "_row"
_ERROR_TEXT = re.compile(r"String\(\"(.*)\"\)", re.S)
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class Survey:
    """A survey as read: ``frame`` (see module docstring), where it came from, and what was set aside."""

    frame: pl.DataFrame
    source: str
    sheet: str | None = None
    ignored_headers: list[str] = field(default_factory=list)
    bad_numbers: list[tuple[int, str, str]] = field(default_factory=list)


def parse_number_text(text: str) -> float | None:
    """A number typed as text (``' 1,234.5 '``, full-width digits) → float; blank → None; else ValueError."""
    cleaned = "".join(unicodedata.normalize("NFKC", text).split())
    if not cleaned:
        return None
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    return float(cleaned)


def _map_headers(headers: list[str]) -> dict[str, str]:
    """Raw header → column key; raises on a missing required header or a column given twice."""
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    for raw in headers:
        key = HEADER_INDEX.get(header_key(raw))
        if key is None:
            continue
        if key in seen:
            raise InvalidInput(f"column '{raw}' appears twice (also '{seen[key]}')", field="header")
        seen[key] = raw
        mapping[raw] = key
    missing = [c.header for c in SURVEY_COLUMNS if c.required and c.key not in seen]
    if missing:
        raise InvalidInput(
            f"row 1 lacks the required column(s) {', '.join(missing)} (use `dualcarbon template assess` for the form)",
            field="header",
        )
    return mapping


def _finish(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Add missing optional columns, strip text, add ``_row``, drop empty rows (keys already mapped)."""
    for key in TEXT_KEYS:
        if key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(key))
    for key in NUMBER_KEYS:
        if key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(key))
    text = [pl.col(k).cast(pl.String).str.strip_chars().replace("", None).alias(k) for k in TEXT_KEYS]
    numbers = [pl.col(k).cast(pl.Float64) for k in NUMBER_KEYS]
    frame = frame.with_columns(*text, *numbers).with_row_index(ROW, offset=first_row)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    keys = [*TEXT_KEYS, *NUMBER_KEYS]
    return frame.filter(pl.any_horizontal([pl.col(k).is_not_null() for k in keys])).select(ROW, *keys)


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in Chinese locales saves CSV as GBK/GB18030
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"'{name}' is neither UTF-8 nor GB18030 text", field="file")


def read_csv(path: Path) -> Survey:
    """Read a CSV survey (UTF-8 with or without BOM, or GB18030; header on line 1)."""
    text = _decode(path.read_bytes(), path.name)
    if not text.strip():
        raise InvalidInput("the file is empty", field="header")
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.ComputeError as exc:
        raise InvalidInput(
            f"'{path.name}' is not a well-formed CSV table ({str(exc).splitlines()[0]})", field="file"
        ) from None
    mapping = _map_headers(raw.columns)
    frame, bad = _text_to_numbers(raw.select(list(mapping)).rename(mapping))
    return Survey(_finish(frame, 2), str(path), None, _ignored(raw.columns, mapping), bad)


def _text_to_numbers(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """Number columns that arrived as text → Float64; cells that are no number are returned (row, key, text)."""
    bad: list[tuple[int, str, str]] = []
    casts = []
    for key in (k for k in NUMBER_KEYS if k in frame.columns and frame.schema[k] == pl.String):
        stripped = frame[key].str.strip_chars()
        number = stripped.cast(pl.Float64, strict=False)
        failed = stripped.is_not_null() & (stripped != "") & number.is_null()
        if failed.any():
            values = number.to_list()
            for index in failed.arg_true().to_list():
                try:
                    values[index] = parse_number_text(stripped[index])
                except ValueError:
                    bad.append((index + 2, key, str(stripped[index])))
            number = pl.Series(key, values, dtype=pl.Float64)
        casts.append(number.alias(key))
    return frame.with_columns(casts), bad


def _ignored(headers: list[str], mapping: dict[str, str]) -> list[str]:
    return [h for h in headers if h not in mapping and h.strip() and not h.startswith("__UNNAMED__")]


def read_xlsx(path: Path, sheet: str | None = None) -> Survey:
    """Read the survey sheet of an .xlsx (``企业能效调查情况表``, else the first sheet); header on row 1."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for non-xlsx content
        raise InvalidInput(f"cannot read '{path.name}' as an Excel workbook ({exc})", field="file") from None
    names = reader.sheet_names
    chosen = sheet or (DATA_SHEET if DATA_SHEET in names else names[0])
    if chosen not in names:
        raise InvalidInput(f"no sheet '{chosen}' (sheets: {', '.join(names)})", field="sheet")
    # One pass over the sheet: the dtypes are given for every spelling of our headers (unknown names are
    # ignored by fastexcel); a column under another spelling is converted afterwards.
    dtypes: dict[str | int, Any] = {}
    for column in SURVEY_COLUMNS:
        for spelling in (column.header, column.key):
            dtypes[spelling] = "float" if column.kind == "number" else "string"
    loaded = reader.load_sheet(chosen, dtypes=dtypes)
    batch, errors = loaded.to_arrow_with_errors()
    frame = pl.DataFrame(pl.from_arrow(batch))
    headers = list(frame.columns)
    mapping = _map_headers(headers)
    by_position = {info.absolute_index: info.name for info in loaded.selected_columns}
    # Cells that are text where a number is expected: retry a few spellings, else report them.
    fixes: dict[str, dict[int, float | None]] = {}
    bad: list[tuple[int, str, str]] = []
    for error in errors.errors if errors is not None else []:
        index = error.offset_position[0]
        raw_header = by_position.get(error.position[1], "")
        key = mapping.get(raw_header)
        if key not in NUMBER_KEYS:
            continue
        match = _ERROR_TEXT.search(error.detail)
        text = match.group(1) if match else error.detail
        try:
            fixes.setdefault(raw_header, {})[index] = parse_number_text(text)
        except ValueError:
            bad.append((index + 2, key, text))
    for raw_header, values in fixes.items():
        series = frame[raw_header].to_list()
        for index, number in values.items():
            series[index] = number
        frame = frame.with_columns(pl.Series(raw_header, series, dtype=pl.Float64))
    frame = frame.select(list(mapping)).rename(mapping)
    texts = [
        _as_text(pl.col(k), frame.schema[k]).alias(k)
        for k in TEXT_KEYS
        if k in frame.columns and frame.schema[k] != pl.String
    ]
    frame, more_bad = _text_to_numbers(frame.with_columns(texts))
    numbers = [pl.col(k).cast(pl.Float64, strict=False) for k in NUMBER_KEYS if k in frame.columns]
    return Survey(
        _finish(frame.with_columns(numbers), 2), str(path), chosen, _ignored(headers, mapping), bad + more_bad
    )


def _as_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A text column that arrived as numbers: a code typed as a number (320505.0) goes back to its digits."""
    if dtype.is_float():
        integral = column == column.round(0)
        return (
            pl.when(integral)
            .then(column.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(column.cast(pl.String))
        )
    return column.cast(pl.String)


def read_survey(path: Path, sheet: str | None = None) -> Survey:
    """Read ``path`` by its suffix (.xlsx/.xlsm, .csv)."""
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if suffix == ".csv":
        return read_csv(path)
    raise InvalidInput(f"'{path.name}': survey must be .xlsx or .csv", field="file")
