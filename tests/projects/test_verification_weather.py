"""Metered verification with an imported weather station (acceptance walk of #9: a metered verification could
only fit a mean model, the imported station temperatures were not usable by it). Both stores.

Meter G3 of enterprise a (natural gas, one reading a day). Station T1 (imported like ``dualcarbon weather
import``): day i of each period has T = 2 + (i × 7 mod 23) °C. Energy = 500 + 40 × max(18 − T, 0) m³ a day in the
baseline and 10 % less in the reporting period, so the model must be heating degree-days and the saving 10 %.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring import service_ingest
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects.schemas import ProjectIn, TransitionIn, VerificationIn
from dualcarbon.projects.service_verification import verify_project
from dualcarbon.projects.service_weather import import_weather
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope

from .test_verification_meters import ADMIN, gas_meter, who

BASE, REPORT, DAYS = date(2024, 1, 1), date(2024, 3, 1), 28


def temperature(i: int) -> float:
    return 2.0 + (i * 7) % 23


def gas(i: int, factor: float) -> float:
    return (500.0 + 40.0 * max(18.0 - temperature(i), 0.0)) * factor


def load(world: Any, tmp_path: Path, skip_report_day: int | None = None) -> None:
    rows = [
        (
            world.codes["a"],
            "G3",
            datetime.combine(start + timedelta(days=i), datetime.min.time()).isoformat(),
            gas(i, f),
        )
        for start, f in ((BASE, 1.0), (REPORT, 0.9))
        for i in range(DAYS)
    ]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([str(r[k]) for r in rows], pa.string()) for k, n in enumerate(names)})
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_table(session, ADMIN, table, source="file").accepted == len(rows)
    lines = ["station,date,temperature_c"] + [
        f"T1,{(start + timedelta(days=i)).isoformat()},{temperature(i)}"
        for start in (BASE, REPORT)
        for i in range(DAYS)
        if not (start == REPORT and i == skip_report_day)
    ]
    csv_path = tmp_path / "t1.csv"
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(world.engine) as session:
        import_weather(session, ADMIN, csv_path, tmp_path)


def spec(meter_id: int, station: str | None = "T1") -> VerificationIn:
    return VerificationIn(
        interval="day",
        meter_ids=[meter_id],
        weather_station=station,
        baseline_from=BASE,
        baseline_to=BASE + timedelta(days=DAYS - 1),
        reporting_from=REPORT,
        reporting_to=REPORT + timedelta(days=DAYS - 1),
    )


def completed_project(session: Session, city: Principal, credit_code: str, name: str) -> int:
    """A project of ``credit_code`` taken through approve, start and complete (completed 2024-02-15)."""
    project = projects.create_project(session, city, ProjectIn(credit_code=credit_code, name=name))
    for action in ("approve", "start", "complete"):
        lifecycle.transition(session, city, project.id, TransitionIn(action=action, completed_on=date(2024, 2, 15)))
    return int(project.id)


def verify(session: Session, world: Any, name: str, body: VerificationIn, data_dir: Path) -> Any:
    city = who(session, "city")
    project_id = completed_project(session, city, world.codes["a"], name)
    return verify_project(session, city, project_id, body, shipped_reference(), data_dir=data_dir)


def test_metered_verification_uses_the_station_temperatures(world: Any, tmp_path: Path) -> None:
    meter_id = gas_meter(world, tmp_path, "G3")
    load(world, tmp_path, skip_report_day=5)
    with session_scope(world.engine) as session:
        without = verify(session, world, "无气象", spec(meter_id, None), tmp_path)
    assert without.result["model"]["kind"] == "intercept"  # no weather: a mean model only
    with session_scope(world.engine) as session:
        out = verify(session, world, "有气象", spec(meter_id), tmp_path)
    result = out.result
    assert "hdd" in result["model"]["kind"], result["model"]
    (hdd,) = [t for t in result["model"]["terms"] if t["kind"] == "hdd"]
    assert hdd["balance_point_c"] == pytest.approx(18.0, abs=1.0)
    assert result["r2"] > 0.99
    # reporting day 5 has no temperature: left out with a warning, the other 27 days verified
    (missing,) = [w for w in result["warnings"] if w["code"] == "weather_period_missing"]
    assert missing["data"] == {"period": "reporting", "count": 1, "periods": [(REPORT + timedelta(days=5)).isoformat()]}
    assert result["reporting_periods"] == DAYS - 1
    assert result["savings_pct"] == pytest.approx(10.0, abs=0.2)


def test_weather_station_needs_meters_and_a_known_station(world: Any, tmp_path: Path) -> None:
    meter_id = gas_meter(world, tmp_path, "G3")
    load(world, tmp_path)
    periods = VerificationIn.model_validate(
        {
            "interval": "day",
            "weather_station": "T1",
            "baseline": [
                {"period_start": (BASE + timedelta(days=i)).isoformat(), "energy": 1.0 + i % 3} for i in range(5)
            ],
            "reporting": [{"period_start": REPORT.isoformat(), "energy": 1.0}],
        }
    )
    with session_scope(world.engine) as session, pytest.raises(InvalidInput, match="weather_station goes with"):
        verify(session, world, "上传", periods, tmp_path)
    unknown = "no weather station 'NOPE'"
    with session_scope(world.engine) as session, pytest.raises(InvalidInput, match=unknown) as refused:
        verify(session, world, "无此站", spec(meter_id, "NOPE"), tmp_path)
    assert refused.value.field == "weather_station"
