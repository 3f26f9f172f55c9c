"""M&V of the demo's first completed retrofit project (demo/retrofit.py): from the daily rollups of its
enterprise's main meters when the metered history is long enough, else from monthly energy and output the
enterprise reports with the month's mean temperature from the shipped synthetic weather sample.
"""

from __future__ import annotations

import calendar
import math
import random
from datetime import date, timedelta
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo.people import Actors
from dualcarbon.demo.plan import CityPlan, EnterprisePlan
from dualcarbon.demo.workflow import dated, moment
from dualcarbon.monitoring import service_meters
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects import service_verification as verification
from dualcarbon.projects.schemas import PeriodIn, VerificationIn
from dualcarbon.projects.service_weather import parse_weather_csv
from dualcarbon.reference import ReferenceSet

if TYPE_CHECKING:
    from dualcarbon.demo.retrofit import RetrofitResult

WEATHER_SAMPLE = "weather_sample_synthetic.csv"
#: Metered M&V needs a baseline year of daily readings before the completion and this many days after it
#: (`dualcarbon demo --meter-days 432` or more); with less (the default 365) the project uses reported months.
METERED_BASELINE_DAYS = 365
METERED_REPORTING_DAYS = 45
NOISE = 0.003  # σ of the log noise of the reported monthly energy


def _main_meters(session: Session, credit: str) -> list[int]:
    """The enterprise's top-level automatic meters (purchase side; manual monthly items left out)."""
    meters = service_meters.list_meters(session, SYSTEM, credit)
    return [m.id for m in meters if m.parent_code is None and m.input_type == "automatic"]


Window = tuple[date, date, date, date, date]  # baseline from, to; completion; reporting from, to


def _metered_window(plan: CityPlan, enterprise: EnterprisePlan, monitored: list[str], today: date) -> Window | None:
    """Baseline days, completion and reporting days inside the meters' history, when it is long enough."""
    spec = plan.spec
    gap = 10  # commissioning days between the baseline and the completion, and after it
    if enterprise.credit_code not in monitored or spec.meter_days < METERED_BASELINE_DAYS + METERED_REPORTING_DAYS:
        return None
    if spec.meter_days < METERED_BASELINE_DAYS + METERED_REPORTING_DAYS + 2 * gap + 2:
        return None
    first = today - timedelta(days=spec.meter_days - 1)  # the first whole day of readings
    baseline_to = first + timedelta(days=METERED_BASELINE_DAYS - 1)
    completion = baseline_to + timedelta(days=gap)
    return first, baseline_to, completion, completion + timedelta(days=gap), today - timedelta(days=1)


def _verify_metered(
    session: Session, result: RetrofitResult, actors: Actors, project_id: int, window: Window, reference: ReferenceSet
) -> None:
    project = projects.get_project(session, actors["city"], project_id)
    baseline_from, baseline_to, _completion, reporting_from, reporting_to = window
    spec = VerificationIn(
        interval="day",
        meter_ids=_main_meters(session, project.credit_code),
        baseline_from=baseline_from,
        baseline_to=baseline_to,
        reporting_from=reporting_from,
        reporting_to=reporting_to,
    )
    out = verification.verify_project(session, actors["city"], project_id, spec, reference)
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
