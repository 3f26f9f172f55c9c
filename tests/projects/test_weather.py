"""Weather import (station,date,temperature_c → Parquet in the data directory), all or nothing, audited."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import NotFound, PermissionDenied
from dualcarbon.projects import service_weather
from dualcarbon.store.audit import AuditLog
from dualcarbon.store.db import session_scope

ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))
SAMPLE = Path(str(resources.files("dualcarbon.reference") / "data" / "weather_sample_synthetic.csv"))


def write(tmp_path: Path, text: str, name: str = "w.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_sample_says_it_is_synthetic() -> None:
    head = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("# SYNTHETIC") and "NOT station data" in head
    rows = service_weather.parse_weather_csv(SAMPLE.read_bytes())
    assert len(rows) == 731  # 2023-01-01 … 2024-12-31, one station
    assert {station for station, _ in rows} == {"SYNTHETIC-01"}


def test_every_problem_is_listed_and_nothing_is_kept(tmp_path: Path) -> None:
    text = (
        "station,date,temperature_c\nA,2024-13-01,5\nA,2024-01-01,abc\n,2024-01-02,3\n"
        "A,2024-01-03,3\nA,2024-01-03,4\nA,2024-01-04,75\n"
    )
    with pytest.raises(service_weather.WeatherFileInvalid) as error:
        service_weather.parse_weather_csv(text.encode())
    assert [(p.row, p.column, p.en) for p in error.value.problems] == [
        (2, "date", "'2024-13-01' is not a date YYYY-MM-DD"),
        (3, "temperature_c", "'abc' is not a number in -90 … 60 °C"),
        (4, "station", "must be 1–64 characters"),
        (6, "date", "A 2024-01-03 appears twice (also row 5)"),
        (7, "temperature_c", "'75' is not a number in -90 … 60 °C"),
    ]
    with pytest.raises(service_weather.WeatherFileInvalid, match="expected the columns station,date,temperature_c"):
        service_weather.parse_weather_csv(b"station,day,t\nA,2024-01-01,3\n")


def test_import_merges_is_idempotent_and_audited(engine: Engine, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = write(tmp_path, "station,date,temperature_c\nS1,2024-01-01,3.5\nS1,2024-01-02,4.0\nS2,2024-01-01,-2\n")
    with session_scope(engine) as session:
        receipt = service_weather.import_weather(session, ADMIN, first, data_dir)
    assert (receipt.added, receipt.updated, receipt.unchanged) == (3, 0, 0)
    again = write(
        tmp_path, "station,date,temperature_c\nS1,2024-01-02,4.5\nS1,2024-01-01,3.5\nS1,2024-01-03,5\n", "b.csv"
    )
    with session_scope(engine) as session:
        receipt = service_weather.import_weather(session, ADMIN, again, data_dir)
    assert (receipt.added, receipt.updated, receipt.unchanged) == (1, 1, 1)
    with session_scope(engine) as session:
        receipt = service_weather.import_weather(session, ADMIN, again, data_dir)
    assert (receipt.added, receipt.updated, receipt.unchanged) == (0, 0, 3)
    days = service_weather.daily_temperatures(data_dir, "S1", date(2024, 1, 2), date(2024, 1, 31))
    assert days == [(date(2024, 1, 2), 4.5), (date(2024, 1, 3), 5.0)]
    summary = service_weather.stations(data_dir)
    assert [(s.station, s.days) for s in summary] == [("S1", 3), ("S2", 1)]
    with session_scope(engine) as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.action == "weather.import")).all()
    assert len(actions) == 3


def test_a_bad_file_leaves_the_store_as_it_was(engine: Engine, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    good = write(tmp_path, "station,date,temperature_c\nS1,2024-01-01,3.5\n")
    with session_scope(engine) as session:
        service_weather.import_weather(session, ADMIN, good, data_dir)
    before = service_weather.weather_path(data_dir).read_bytes()
    bad = write(tmp_path, "station,date,temperature_c\nS1,2024-01-02,9\nS1,2024-01-03,nan\n", "bad.csv")
    with session_scope(engine) as session, pytest.raises(service_weather.WeatherFileInvalid):
        service_weather.import_weather(session, ADMIN, bad, data_dir)
    assert service_weather.weather_path(data_dir).read_bytes() == before


def test_only_an_administrator_imports_and_unknown_stations_are_not_found(engine: Engine, tmp_path: Path) -> None:
    regulator = Principal(user_id=1, username="city", grants=(Grant("regulator", region_code="330300"),))
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        service_weather.import_weather(session, regulator, SAMPLE, tmp_path)
    with pytest.raises(NotFound):
        service_weather.daily_temperatures(tmp_path, "S9", date(2024, 1, 1), date(2024, 1, 2))


def test_the_command_imports_the_sample_and_reports_bad_rows(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "ws"
    assert runner.invoke(app, ["init", "--data-dir", str(data_dir)]).exit_code == 0
    result = runner.invoke(app, ["weather", "import", str(SAMPLE), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.stderr
    assert '"added": 731' in result.stdout
    shown = runner.invoke(
        app,
        ["weather", "show", "SYNTHETIC-01", "--from", "2024-12-31", "--to", "2024-12-31", "--data-dir", str(data_dir)],
    )
    assert shown.exit_code == 0 and shown.stdout.startswith('[["2024-12-31", ')
    bad = write(tmp_path, "station,date,temperature_c\nS1,2024-02-30,1\n", "bad.csv")
    result = runner.invoke(app, ["weather", "import", str(bad), "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "row 2, date: '2024-02-30' is not a date YYYY-MM-DD" in result.stderr
    assert "第 2 行 日期（date）：“2024-02-30”不是 YYYY-MM-DD 格式的日期" in result.stderr
    assert result.stderr.rstrip().endswith(
        "error: bad.csv 有 1 处问题，未导入任何内容 / 1 problem(s) in bad.csv; nothing imported"
    )
