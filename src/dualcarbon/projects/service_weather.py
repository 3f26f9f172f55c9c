"""Daily mean outdoor temperature per weather station, for the M&V baseline models (no network at run time).

Import: a CSV with the columns ``station,date,temperature_c`` (UTF-8, a BOM tolerated, lines starting with
``#`` before the header are comments). Every row is checked — station given (≤ 64 characters), date
``YYYY-MM-DD``, temperature a finite number in −90 … 60 °C, no (station, date) twice — and the file goes in
whole or not at all (:class:`WeatherFileInvalid` lists every problem with its row and column).

Storage: one Parquet file in the data directory, ``<data dir>/weather/daily_temperature.parquet``
(station string, date date32, temperature_c float64, sorted), no database table. An import merges into it:
a new (station, date) is added, a stored one with another value is replaced (counted as ``updated``), the
same value is ``unchanged`` — importing a file twice changes nothing. Writers are serialised by a lock file
and the new file replaces the old by an atomic rename; the import is recorded in the audit log.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.store.audit import append_audit

COLUMNS = ("station", "date", "temperature_c")
STATION_MAX = 64
#: Plausible daily means: the coldest and hottest ever measured lie inside (−89.2 °C, 56.7 °C).
TEMPERATURE_RANGE_C = (-90.0, 60.0)
SCHEMA = pa.schema([("station", pa.string()), ("date", pa.date32()), ("temperature_c", pa.float64())])


class WeatherFileInvalid(InvalidInput):
    """The file has problems; nothing was imported. ``problems``: (row, column, reason), row 1 = header."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        row, column, reason = problems[0]
        super().__init__(f"{len(problems)} problem(s), first: row {row}, {column}: {reason}", field="file")


class WeatherImportReceipt(BaseModel):
    file: str
    sha256: str
    rows: int
    stations: list[str]
    added: int
    updated: int
    unchanged: int
    first_date: date
    last_date: date


@dataclass(frozen=True)
class StationSummary:
    station: str
    days: int
    first_date: date
    last_date: date


def weather_path(data_dir: Path) -> Path:
    return data_dir / "weather" / "daily_temperature.parquet"


def parse_weather_csv(content: bytes) -> dict[tuple[str, date], float]:
    """The (station, date) → °C rows of a weather CSV; :class:`WeatherFileInvalid` with every problem."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WeatherFileInvalid([(0, "file", f"not UTF-8 text (byte {exc.start})")]) from None
    lines = text.splitlines()
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.reader(io.StringIO("\n".join(lines[skipped:])))
    header = [cell.strip() for cell in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise WeatherFileInvalid(
            [(skipped + 1, "header", f"expected the columns {','.join(COLUMNS)}, got {','.join(header) or 'nothing'}")]
        )
    problems: list[tuple[int, str, str]] = []
    values: dict[tuple[str, date], float] = {}
    first_row: dict[tuple[str, date], int] = {}
    for offset, cells in enumerate(reader, start=skipped + 2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            problems.append((offset, "row", f"{len(cells)} cells, expected {len(COLUMNS)}"))
            continue
        station, day_text, temperature_text = (cell.strip() for cell in cells)
        ok = True
        if not station or len(station) > STATION_MAX:
            problems.append((offset, "station", f"must be 1–{STATION_MAX} characters"))
            ok = False
        try:
            day = date.fromisoformat(day_text)
            if len(day_text) != 10:
                raise ValueError
        except ValueError:
            problems.append((offset, "date", f"'{day_text}' is not a date YYYY-MM-DD"))
            ok = False
        try:
            temperature = float(temperature_text)
        except ValueError:
            temperature = math.nan
        low, high = TEMPERATURE_RANGE_C
        if not (math.isfinite(temperature) and low <= temperature <= high):
            problems.append((offset, "temperature_c", f"'{temperature_text}' is not a number in {low:g} … {high:g} °C"))
            ok = False
        if not ok:
            continue
        key = (station, day)
        if key in values:
            problems.append((offset, "date", f"{station} {day} appears twice (also row {first_row[key]})"))
            continue
        values[key] = temperature
        first_row[key] = offset
    if problems:
        raise WeatherFileInvalid(problems)
    if not values:
        raise WeatherFileInvalid([(skipped + 2, "row", "the file has no data rows")])
    return values


def _read(data_dir: Path) -> dict[tuple[str, date], float]:
    path = weather_path(data_dir)
    if not path.exists():
        return {}
    table = pq.read_table(path)
    return dict(
        zip(
            zip(table.column("station").to_pylist(), table.column("date").to_pylist(), strict=True),
            table.column("temperature_c").to_pylist(),
            strict=True,
        )
    )


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    folder = weather_path(data_dir).parent
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "weather.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(data_dir: Path, values: dict[tuple[str, date], float]) -> None:
    keys = sorted(values)
    table = pa.table(
        {"station": [k[0] for k in keys], "date": [k[1] for k in keys], "temperature_c": [values[k] for k in keys]},
        schema=SCHEMA,
    )
    path = weather_path(data_dir)
    staging = path.with_suffix(".parquet.tmp")
    pq.write_table(table, staging, compression="zstd")
    os.replace(staging, path)


def import_weather(session: Session, actor: Principal, file: Path, data_dir: Path) -> WeatherImportReceipt:
    """Check ``file`` whole, merge it into the data directory's weather file, and audit the import (admin)."""
    require_role(actor, "admin")
    content = file.read_bytes()
    rows = parse_weather_csv(content)
    with _locked(data_dir):
        stored = _read(data_dir)
        added = sum(key not in stored for key in rows)
        updated = sum(key in stored and stored[key] != value for key, value in rows.items())
        receipt = WeatherImportReceipt(
            file=file.name,
            sha256=hashlib.sha256(content).hexdigest(),
            rows=len(rows),
            stations=sorted({station for station, _ in rows}),
            added=added,
            updated=updated,
            unchanged=len(rows) - added - updated,
            first_date=min(day for _, day in rows),
            last_date=max(day for _, day in rows),
        )
        append_audit(
            session,
            actor.username,
            "weather.import",
            "weather_file",
            receipt.sha256[:16],
            before={"rows": len(stored)},
            after={**receipt.model_dump(mode="json"), "total_rows": len(stored) + added},
        )
        if added or updated:
            _write(data_dir, {**stored, **rows})
    return receipt


def stations(data_dir: Path) -> list[StationSummary]:
    """The stations of the data directory's weather file, with their number of days and date range."""
    by_station: dict[str, list[date]] = {}
    for station, day in _read(data_dir):
        by_station.setdefault(station, []).append(day)
    return [StationSummary(s, len(days), min(days), max(days)) for s, days in sorted(by_station.items())]


def daily_temperatures(data_dir: Path, station: str, from_: date, to: date) -> list[tuple[date, float]]:
    """Daily mean temperatures (°C) of ``station`` from ``from_`` to ``to`` (both included), in date order;
    days without a value are simply absent. ``NotFound`` when the station has never been imported."""
    if to < from_:
        raise InvalidInput(f"the end {to} is before the start {from_}", field="to")
    path = weather_path(data_dir)
    if not path.exists():
        raise NotFound("no weather data imported yet (dualcarbon weather import FILE)", field="station")
    table = pq.read_table(path, filters=[("station", "=", station)])
    if table.num_rows == 0:
        raise NotFound(f"no weather station '{station}' (see dualcarbon weather stations)", field="station")
    out = [
        (day, temperature)
        for day, temperature in zip(
            table.column("date").to_pylist(), table.column("temperature_c").to_pylist(), strict=True
        )
        if from_ <= day <= to
    ]
    return sorted(out)
