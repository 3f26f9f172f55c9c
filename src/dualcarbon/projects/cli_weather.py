"""``dualcarbon weather import FILE|stations|show``: daily station temperatures for M&V (docs/contracts.md#mv).

The weather file lives in the data directory (``--data-dir`` / ``DUALCARBON_DATA_DIR``); the import is
audited in the store of that workspace and acts as the CLI administrator. Bad files: every problem on
stderr as ``第 R 行 列名（COLUMN）：原因 / row R, COLUMN: reason``, then one ``error:`` line (中文 / English)
and exit 2; nothing is imported.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    cli_principal,
    data_dir_or_default,
    fail,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.projects import service_weather
else:  # loaded on first use: `dualcarbon --help` stays free of pyarrow and the store
    service_weather = lazy_import("dualcarbon.projects.service_weather")

app = typer.Typer(help="Daily mean temperature per weather station (for M&V baselines).", no_args_is_help=True)


@app.command("import", help="Import station,date,temperature_c rows from a CSV (all or nothing; again = no change).")
@friendly_errors
def import_file(
    file: Path = typer.Argument(..., help="CSV: station,date,temperature_c"), data_dir: Path | None = DataDirOption
) -> None:
    folder = data_dir_or_default(data_dir)
    try:
        with transaction(data_dir) as session:
            receipt = service_weather.import_weather(session, cli_principal(), file, folder)
    except service_weather.WeatherFileInvalid as exc:
        for problem in exc.problems:
            print(problem.text(), file=sys.stderr)
        count = len(exc.problems)
        raise fail(
            f"{file.name} 有 {count} 处问题，未导入任何内容 / {count} problem(s) in {file.name}; nothing imported"
        ) from None
    typer.echo(json.dumps(receipt.model_dump(mode="json"), ensure_ascii=False))


@app.command("stations", help="The imported stations with their number of days and date range.")
@friendly_errors
def list_stations(data_dir: Path | None = DataDirOption) -> None:
    found = service_weather.stations(data_dir_or_default(data_dir))
    for s in found:
        typer.echo(f"{s.station}\t{s.days} d\t{s.first_date} … {s.last_date}")
    typer.echo(f"{len(found)} station(s)", err=True)


@app.command("show", help="Daily mean temperatures of one station as JSON: a list of (date, °C) pairs.")
@friendly_errors
def show(
    station: str = typer.Argument(...),
    from_: str = typer.Option(..., "--from", help="first day YYYY-MM-DD"),
    to: str = typer.Option(..., "--to", help="last day YYYY-MM-DD"),
    data_dir: Path | None = DataDirOption,
) -> None:
    try:
        start, end = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}") from None
    days = service_weather.daily_temperatures(data_dir_or_default(data_dir), station, start, end)
    typer.echo(json.dumps([[d.isoformat(), t] for d, t in days]))
