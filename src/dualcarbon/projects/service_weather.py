"""Daily mean outdoor temperature per weather station, for the M&V baseline models (no network at run time).

Import: a CSV with the columns ``station,date,temperature_c`` (UTF-8, a BOM tolerated, lines starting with
``#`` before the header are comments). Every row is checked — station given (≤ 64 characters), date
``YYYY-MM-DD``, temperature a finite number in −90 … 60 °C, no (station, date) twice — and the file goes in
whole or not at all (:class:`WeatherFileInvalid` lists every problem with its row and column, each reason
in both languages, :class:`WeatherProblem`).

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
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import InvalidInput, NotFound, zh_en
from dualcarbon.store.audit import append_audit

COLUMNS = ("station", "date", "temperature_c")
STATION_MAX = 64
#: Plausible daily means: the coldest and hottest ever measured lie inside (−89.2 °C, 56.7 °C).
TEMPERATURE_RANGE_C = (-90.0, 60.0)
SCHEMA = pa.schema([("station", pa.string()), ("date", pa.date32()), ("temperature_c", pa.float64())])
#: The Chinese name of each place a problem can be (the file's columns, and the header, a row, the file).
COLUMN_ZH = {
    "station": "气象站",
    "date": "日期",
    "temperature_c": "日平均气温",
    "header": "表头",
    "row": "整行",
    "file": "文件",
}


class WeatherProblem(NamedTuple):
    """One problem of a weather file: its row (1 = the header, 0 = the file as a whole), column and reason."""

    row: int
    column: str
    zh: str
    en: str

    @property
    def reason(self) -> str:
        return zh_en(self.zh, self.en)

    def text_zh(self) -> str:
        where = COLUMN_ZH.get(self.column, self.column)
        return f"第 {self.row} 行 {where}（{self.column}）：{self.zh}" if self.row else f"{where}：{self.zh}"

    def text_en(self) -> str:
        return f"row {self.row}, {self.column}: {self.en}" if self.row else f"{self.column}: {self.en}"

    def text(self) -> str:
        """Row and column named in both languages: ``第 3 行 日期（date）：… / row 3, date: …``."""
        return zh_en(self.text_zh(), self.text_en())


class WeatherFileInvalid(InvalidInput):
    """The file has problems; nothing was imported. ``problems``: every :class:`WeatherProblem`."""

    def __init__(self, problems: list[WeatherProblem]) -> None:
        self.problems = problems
        first = problems[0]
        zh = f"气象文件有 {len(problems)} 处问题，未导入任何内容；第一处：{first.text_zh()}"
        en = f"{len(problems)} problem(s), nothing imported; first: {first.text_en()}"
        super().__init__(zh_en(zh, en), field="file", zh=zh)


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
        bad = WeatherProblem(0, "file", f"不是 UTF-8 文本（第 {exc.start} 字节）", f"not UTF-8 text (byte {exc.start})")
        raise WeatherFileInvalid([bad]) from None
    lines = text.splitlines()
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.reader(io.StringIO("\n".join(lines[skipped:])))
    header = [cell.strip() for cell in next(reader, [])]
    if tuple(header) != COLUMNS:
        expected, got = ",".join(COLUMNS), ",".join(header)
        zh, en = f"表头须为 {expected}，实为 {got or '空'}", f"expected the columns {expected}, got {got or 'nothing'}"
        raise WeatherFileInvalid([WeatherProblem(skipped + 1, "header", zh, en)])
    problems: list[WeatherProblem] = []
    values: dict[tuple[str, date], float] = {}
    first_row: dict[tuple[str, date], int] = {}
    for offset, cells in enumerate(reader, start=skipped + 2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            zh, en = f"有 {len(cells)} 个单元格，应为 {len(COLUMNS)} 个", f"{len(cells)} cells, expected {len(COLUMNS)}"
            problems.append(WeatherProblem(offset, "row", zh, en))
            continue
        station, day_text, temperature_text = (cell.strip() for cell in cells)
        ok = True
        if not station or len(station) > STATION_MAX:
            zh, en = f"须为 1–{STATION_MAX} 个字符", f"must be 1–{STATION_MAX} characters"
            problems.append(WeatherProblem(offset, "station", zh, en))
            ok = False
        try:
            day = date.fromisoformat(day_text)
            if len(day_text) != 10:
                raise ValueError
        except ValueError:
            zh, en = f"“{day_text}”不是 YYYY-MM-DD 格式的日期", f"'{day_text}' is not a date YYYY-MM-DD"
            problems.append(WeatherProblem(offset, "date", zh, en))
            ok = False
        try:
            temperature = float(temperature_text)
        except ValueError:
            temperature = math.nan
        low, high = TEMPERATURE_RANGE_C
        if not (math.isfinite(temperature) and low <= temperature <= high):
            zh = f"“{temperature_text}”不是 {low:g} … {high:g} °C 之间的数"
            en = f"'{temperature_text}' is not a number in {low:g} … {high:g} °C"
            problems.append(WeatherProblem(offset, "temperature_c", zh, en))
            ok = False
        if not ok:
            continue
        key = (station, day)
        if key in values:
            zh = f"{station} {day} 重复出现（另见第 {first_row[key]} 行）"
            en = f"{station} {day} appears twice (also row {first_row[key]})"
            problems.append(WeatherProblem(offset, "date", zh, en))
            continue
        values[key] = temperature
        first_row[key] = offset
    if problems:
        raise WeatherFileInvalid(problems)
    if not values:
        raise WeatherFileInvalid([WeatherProblem(skipped + 2, "row", "文件没有数据行", "the file has no data rows")])
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
        zh = f"结束日期 {to} 早于开始日期 {from_}"
        raise InvalidInput(zh_en(zh, f"the end {to} is before the start {from_}"), field="to", zh=zh)
    path = weather_path(data_dir)
    if not path.exists():
        zh = "尚未导入气象数据（dualcarbon weather import 文件）"
        en = "no weather data imported yet (dualcarbon weather import FILE)"
        raise NotFound(zh_en(zh, en), field="station", zh=zh)
    table = pq.read_table(path, filters=[("station", "=", station)])
    if table.num_rows == 0:
        zh = f"没有气象站“{station}”的数据（见 dualcarbon weather stations）"
        en = f"no weather station '{station}' (see dualcarbon weather stations)"
        raise NotFound(zh_en(zh, en), field="station", zh=zh)
    out = [
        (day, temperature)
        for day, temperature in zip(
            table.column("date").to_pylist(), table.column("temperature_c").to_pylist(), strict=True
        )
        if from_ <= day <= to
    ]
    return sorted(out)
