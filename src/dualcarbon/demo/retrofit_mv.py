"""M&V of the demo's first completed retrofit project (demo/retrofit.py): from the daily rollups of a
verification meter on the retrofitted system joined with the imported weather sample station's temperatures, else
from monthly energy and output the enterprise reports with the month's mean temperature from the same sample.
"""

from __future__ import annotations

import calendar
import csv
import math
import random
import tempfile
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo.monitoring import stamp_daily_uploads
from dualcarbon.demo.monitoring_meters import METER_COLUMNS, STEPS_PER_DAY, DemoMeter, _multiplier
from dualcarbon.demo.people import Actors
from dualcarbon.demo.plan import CityPlan
from dualcarbon.demo.workflow import dated, moment
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects import service_verification as verification
from dualcarbon.projects import service_weather as weather_service
from dualcarbon.projects.schemas import PeriodIn, VerificationIn
from dualcarbon.projects.service_weather import parse_weather_csv
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.db import session_scope

if TYPE_CHECKING:
    from dualcarbon.demo.retrofit import RetrofitResult

WEATHER_SAMPLE = "weather_sample_synthetic.csv"
#: The demo's verification meter (IPMVP option B, retrofit isolation): a 15-min electricity counter on the
#: retrofitted system of the verified project's enterprise, not counted in its totals (the 总表 carries it), with
#: readings from the weather sample's first day to now — the only meter with more than ``meter_days`` of history.
MV_METER_CODE = "E-MV"
MV_SYSTEM_SAVING = 0.25  # the retrofit saves this share of the system's energy (the demo's story)
MV_BALANCE_C = 18.0  # °C above which the system's load grows (cooling)
MV_COOLING_PER_C = 0.04  # … by this share of its base load per °C
MV_NOISE = 0.03  # σ of the daily log noise
GAP_DAYS = 10  # commissioning days between the baseline and the completion, and after it
NOISE = 0.003  # σ of the log noise of the reported monthly energy


def import_weather_sample(engine: Engine, data_dir: Path) -> str:
    """Import the shipped synthetic weather sample into the workspace (``dualcarbon weather stations`` lists it);
    its (first) station's code."""
    source = resources.files("dualcarbon.reference") / "data" / WEATHER_SAMPLE
    with resources.as_file(source) as path, session_scope(engine) as session:
        receipt = weather_service.import_weather(session, SYSTEM, path, data_dir)
    return receipt.stations[0]


Window = tuple[date, date, date, date, date]  # baseline from, to; completion; reporting from, to


def metered_window(weather: dict[date, float], completion: date) -> Window | None:
    """Baseline from the sample's first day to ``GAP_DAYS`` before ``completion``, reporting from ``GAP_DAYS``
    after it to the sample's last day; None when the sample does not reach around the completion."""
    first, last = min(weather), max(weather)
    baseline_to = completion - timedelta(days=GAP_DAYS)
    reporting_from = completion + timedelta(days=GAP_DAYS)
    if baseline_to <= first or reporting_from >= last:
        return None
    return first, baseline_to, completion, reporting_from, last


def _daily_kwh(
    weather: dict[date, float], start: date, end: date, base_kwh: float, completion: date, seed: int
) -> list[tuple[date, float]]:
    """The system's kWh a day: base × (1 + cooling × degrees above the balance point) × noise, lower by
    :data:`MV_SYSTEM_SAVING` after the completion. Days past the sample take the sample's same calendar day of
    its last year (a climatology for the readings after it; the verification uses the sample's days only)."""
    rng = random.Random(seed)
    last = max(weather)
    out = []
    day = start
    while day <= end:
        temperature = weather.get(day)
        if temperature is None:
            same = date(last.year, day.month, min(day.day, 28 if day.month == 2 else day.day))
            temperature = weather.get(same, MV_BALANCE_C)
        load = base_kwh * (1.0 + MV_COOLING_PER_C * max(0.0, temperature - MV_BALANCE_C))
        if day > completion:
            load *= 1.0 - MV_SYSTEM_SAVING
        out.append((day, load * rng.lognormvariate(0.0, MV_NOISE)))
        day += timedelta(days=1)
    return out


def add_verification_meter(
    engine: Engine,
    reference: ReferenceSet,
    credit: str,
    saving_tce_per_year: float,
    completion: date,
    weather: dict[date, float],
    now: datetime,
    seed: int,
) -> int:
    """Import :data:`MV_METER_CODE` for ``credit`` and ingest its readings from the sample's first day to ``now``
    (Asia/Shanghai, naive), sized so that the planned saving is :data:`MV_SYSTEM_SAVING` of the system's energy
    (kWh to tce by the reference's 折标系数 of electricity); the meter's id. Arrivals are dated as if uploaded
    daily (the timeliness check reads them)."""
    coefficient = reference.conversion_coefficient(reference.carrier("electricity"))
    if coefficient.value is None or coefficient.unit != "kgce/kWh":
        raise InvalidInput("the reference has no single kgce/kWh coefficient for electricity", field="reference")
    annual_kwh = saving_tce_per_year / MV_SYSTEM_SAVING / (coefficient.value / 1000.0)
    mean_lift = sum(MV_COOLING_PER_C * max(0.0, t - MV_BALANCE_C) for t in weather.values()) / len(weather)
    base_kwh = annual_kwh / 365.0 / (1.0 + mean_lift)
    start = min(weather)
    end = now.date() - timedelta(days=1)
    days = _daily_kwh(weather, start, end, base_kwh, completion, seed)
    meter = DemoMeter(credit, MV_METER_CODE, "electricity", "kWh", "cumulative", 1.0, annual_kwh, counted=False)
    meter.multiplier = _multiplier(annual_kwh / (365 * STEPS_PER_DAY))
    meter.calibrated_until = now.date() + timedelta(days=365)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-mv-meter.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(METER_COLUMNS)
            writer.writerow(meter.csv_row())
        with session_scope(engine) as session:
            service_meters.import_meters(session, SYSTEM, path, reference)
    per_step = np.repeat(np.array([kwh for _, kwh in days]) / STEPS_PER_DAY, STEPS_PER_DAY)
    counter = 1000.0 + np.concatenate(([0.0], np.cumsum(per_step))) / meter.multiplier
    first = datetime.combine(start, datetime.min.time())
    stamps = np.datetime64(first, "us") + np.arange(len(counter)) * np.timedelta64(15, "m")
    size = len(counter)
    table = pa.table(
        {
            "credit_code": pa.DictionaryArray.from_arrays(pa.array(np.zeros(size, np.int32)), pa.array([credit])),
            "meter_code": pa.DictionaryArray.from_arrays(pa.array(np.zeros(size, np.int32)), pa.array([meter.code])),
            "ts": pa.array(stamps, pa.timestamp("us")),
            "value": pa.array(np.round(counter, 2), pa.float64()),
        }
    )
    with session_scope(engine) as session:
        service_ingest.ingest_table(session, SYSTEM, table, source="file")
        meter_id = next(m.id for m in service_meters.list_meters(session, SYSTEM, credit) if m.code == MV_METER_CODE)
    stamp_daily_uploads(engine, [meter_id], now)
    return meter_id


def _verify_metered(
    session: Session,
    result: RetrofitResult,
    actors: Actors,
    project_id: int,
    meter_id: int,
    window: Window,
    station: str,
    reference: ReferenceSet,
    data_dir: Path,
) -> None:
    """Daily M&V of the verification meter joined with the station's temperatures (a cooling-degree model)."""
    baseline_from, baseline_to, _completion, reporting_from, reporting_to = window
    spec = VerificationIn(
        interval="day",
        meter_ids=[meter_id],
        weather_station=station,
        baseline_from=baseline_from,
        baseline_to=baseline_to,
        reporting_from=reporting_from,
        reporting_to=reporting_to,
    )
    with dated(session, moment(reporting_to.year + 1, 1, 20)):
        out = verification.verify_project(session, actors["city"], project_id, spec, reference, data_dir=data_dir)
    result.verified_id, result.mv_source, result.verified_tce_per_year = project_id, "meters", out.verified_tce_per_year


def _weather() -> dict[date, float]:
    """Daily mean °C of the shipped synthetic weather sample (its first station), read by the weather service."""
    content = (resources.files("dualcarbon.reference") / "data" / WEATHER_SAMPLE).read_bytes()
    rows = parse_weather_csv(content)
    station = min(s for s, _ in rows)
    return {day: value for (s, day), value in rows.items() if s == station}


def _month_mean(weather: dict[date, float], year: int, month: int) -> float:
    days = calendar.monthrange(year, month)[1]
    values = [weather[date(year, month, d)] for d in range(1, days + 1) if date(year, month, d) in weather]
    if not values:
        raise InvalidInput(f"the weather sample has no days in {year}-{month:02d}", field="weather")
    return math.fsum(values) / len(values)


def _verify_reported(
    session: Session,
    result: RetrofitResult,
    actors: Actors,
    plan: CityPlan,
    project_id: int,
    weather: dict[date, float],
    year: int,
    rng: random.Random,
    reference: ReferenceSet,
) -> None:
    """Monthly tce and output the enterprise reports for the base year and the months after completion, with
    the month's mean temperature from the weather sample. The synthetic months (shares of the yearly total):
    a fixed part, a part following the month's output (±10 %), and a cooling part on the degree days above
    20 °C; after the retrofit lower by the measure's planned share of the yearly energy."""
    city = actors["city"]
    project = projects.get_project(session, city, project_id)
    enterprise = next(e for e in plan.enterprises if e.credit_code == project.credit_code)
    total = enterprise.latest.total_tce
    share = (project.saving_tce_per_year or 0.0) / total
    output = float(enterprise.latest.content["outputs"][0]["quantity"])

    def cdd(y: int, m: int) -> float:
        return calendar.monthrange(y, m)[1] * max(0.0, _month_mean(weather, y, m) - 20.0)

    yearly_cdd = math.fsum(cdd(year, m) for m in range(1, 13)) or 1.0

    def period(y: int, m: int, factor: float) -> PeriodIn:
        made = output / 12.0 * rng.uniform(0.9, 1.1)
        energy = total * (0.15 / 12.0 + 0.75 * made / output + 0.10 * cdd(y, m) / yearly_cdd)
        return PeriodIn(
            period_start=date(y, m, 1),
            energy=round(energy * factor * rng.lognormvariate(0.0, NOISE), 2),
            production=round(made, 1),
            temperature=round(_month_mean(weather, y, m), 2),
        )

    completed = project.completed_on if project.completed_on and project.completed_on.year == year + 1 else None
    completed = completed or date(year + 1, 6, 30)  # the metered window's completion when the meters failed
    baseline = [period(year, m, 1.0) for m in range(1, 13)]
    reporting = [period(year + 1, m, 1.0 - share) for m in range(completed.month + 1, 13)]
    with dated(session, moment(year + 2, 1, 20)):
        out = verification.verify_project(
            session,
            city,
            project_id,
            VerificationIn(interval="month", baseline=baseline, reporting=reporting),
            reference,
        )
    result.verified_id, result.mv_source, result.verified_tce_per_year = (
        project_id,
        "reported",
        out.verified_tce_per_year,
    )
