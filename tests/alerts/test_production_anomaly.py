"""The production-normalised anomaly wired to meters, and its precedence over the hour-of-week rule (both stores).

The plant (enterprise a): E, hourly interval electricity kWh, counted; P, a production (产量) meter, daily interval,
t of 熟料. History: the 56 days (PR-A02 = 8 weeks) from 2024-02-02 to 03-28, day d = 0…55: E reads 10 + 0.2 × (d % 2)
kWh every hour and P reads 100 t a day. So

* hour-of-week: the same weekday alternates parity week by week → 10, 10.2, … → median 10.1, MAD 0.1; band
  3 × 1.4826 × 0.1 = 0.445 (PR-A01 k = 3), and ≥ 20 % of 10.1 = 2.02 (PR-A09);
* intensity: 240 or 244.8 kWh per 100 t = 2.40 or 2.448 kWh/t (× 0.1229 kgce/kWh when judged in tce: the band
  scales with it) → median 2.424, MAD 0.024; band 3 × 1.4826 × 0.024 = 0.107, and ≥ 20 % of 2.424 = 0.485.

On 2024-03-29 E reads 20 kWh every hour (480 kWh): |20 − 10.1| = 9.9 → every hour is anomalous by hour-of-week.
* P = 200 t → intensity 2.4 kWh/t, inside the band: the energy rose with production → no alert at all.
* P = 100 t → intensity 4.8 kWh/t: |4.8 − 2.424| = 2.376 > 0.485 → a production anomaly, and E's hour-of-week
  alert as well (it says which hours).
* P missing that day → the production model cannot judge; the hour-of-week rule applies alone.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts
from dualcarbon.core.access import Principal
from dualcarbon.monitoring import service_meters
from dualcarbon.store.db import session_scope

from .conftest import ingest

DAY = date(2024, 3, 29)
KGCE_PER_KWH = 0.1229  # GB/T 2589 当量值 of electricity


def _plant(
    world: Any,
    tmp_path: Path,
    admin: Principal,
    reference: Any,
    production_today: float | None,
    hourly_today: list[float] | None = None,
) -> str:
    a = world.codes["a"]
    path = tmp_path / "meters.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "interval_minutes",
                         "measures", "product", "statistic_type"])  # fmt: skip
        writer.writerow([a, "E", "electricity", "kWh", "interval", 1, 60, "energy", "", "realtime"])
        writer.writerow([a, "P", "", "t", "interval", 1, 1440, "production", "熟料", "day"])
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
    start = datetime(2024, 2, 2)
    rows = []
    for d in range(56):
        midnight = start + timedelta(days=d)
        rows += [(a, "E", midnight + timedelta(hours=h), 10.0 + 0.2 * (d % 2)) for h in range(24)]
        rows.append((a, "P", midnight, 100.0))
    today = datetime.combine(DAY, datetime.min.time())
    rows += [(a, "E", today + timedelta(hours=h), v) for h, v in enumerate(hourly_today or [20.0] * 24)]
    if production_today is not None:
        rows.append((a, "P", today, production_today))
    ingest(world, admin, rows)
    return a


def _alerts(world: Any, admin: Principal, reference: Any) -> list[Any]:
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
        alerts, _ = service_alerts.list_alerts(session, admin, source="anomaly")
    return alerts


def test_energy_that_rose_with_production_raises_nothing(world, tmp_path, admin, reference) -> None:
    _plant(world, tmp_path, admin, reference, production_today=200.0)
    assert _alerts(world, admin, reference) == []


def test_energy_per_unit_of_production_jumps(world, tmp_path, admin, reference) -> None:
    _plant(world, tmp_path, admin, reference, production_today=100.0)
    alerts = {a.detail.get("model", "hour_of_week"): a for a in _alerts(world, admin, reference)}
    assert set(alerts) == {"production", "hour_of_week"}
    found = alerts["production"].detail
    assert found["meter"] == "P" and found["product"] == "熟料" and found["covered_meters"] == ["E"]
    tce_per_kwh = KGCE_PER_KWH / 1000
    assert found["intensity"] == pytest.approx(4.8 * tce_per_kwh, rel=1e-6)  # 480 kWh ÷ 100 t
    assert found["median"] == pytest.approx(2.424 * tce_per_kwh, rel=1e-6)
    assert found["mad"] == pytest.approx(0.024 * tce_per_kwh, rel=1e-6)
    assert found["change_pct"] == pytest.approx((4.8 - 2.424) / 2.424 * 100, rel=1e-4)
    assert found["window_days"] == 56 and found["intensity_unit"] == "tce/t"
    assert alerts["hour_of_week"].detail["meter"] == "E" and len(alerts["hour_of_week"].detail["hours"]) == 24


def test_a_spike_on_a_day_of_ordinary_output_stays_an_hour_of_week_anomaly(world, tmp_path, admin, reference) -> None:
    # 02:00 and 03:00 read 14 kWh (|14 − 10.1| = 3.9 ≥ 2.02: anomalous hours), the rest 10: the day's 248 kWh per
    # 100 t = 2.48 kWh/t stays inside the production band (|2.48 − 2.424| < 0.485), but production did not rise
    # (100 t, its median), so production explains nothing: the two hours are raised.
    hours = [14.0 if h in (2, 3) else 10.0 for h in range(24)]
    _plant(world, tmp_path, admin, reference, production_today=100.0, hourly_today=hours)
    (alert,) = _alerts(world, admin, reference)
    assert alert.detail["meter"] == "E" and [h["hour"] for h in alert.detail["hours"]] == [2, 3]


def test_without_production_that_day_the_hour_of_week_rule_applies(world, tmp_path, admin, reference) -> None:
    _plant(world, tmp_path, admin, reference, production_today=None)
    (alert,) = _alerts(world, admin, reference)
    assert alert.detail["meter"] == "E" and len(alert.detail["hours"]) == 24


def test_the_forecast_uses_metered_production_as_its_driver(world, tmp_path, admin, reference) -> None:
    """E daily kWh = 50 + 2 × P t of the same day (50 kWh standing load): 2023 P = 100 + 10 × (month − 1) t a day;
    2024 January to March 1.4 × that. Forecast on 2024-04-01 (three complete months): production is metered, so the
    enterprise's forecast is the regression on production; the region's (products do not add) stays seasonal."""
    from dualcarbon.alerts import service_forecast

    a = world.codes["a"]
    path = tmp_path / "meters.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "interval_minutes",
                         "measures", "product", "statistic_type"])  # fmt: skip
        writer.writerow([a, "E", "electricity", "kWh", "interval", 1, 1440, "energy", "", "day"])
        writer.writerow([a, "P", "", "t", "interval", 1, 1440, "production", "熟料", "day"])
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
    rows = []
    day = date(2023, 1, 1)
    while day < date(2024, 4, 1):
        made = (100 + 10 * (day.month - 1)) * (1.4 if day.year == 2024 else 1.0)
        midnight = datetime.combine(day, datetime.min.time())
        rows += [(a, "P", midnight, made), (a, "E", midnight, 50 + 2 * made)]
        day += timedelta(days=1)
    ingest(world, admin, rows)
    with session_scope(world.engine) as session:
        result = service_forecast.forecast(session, admin, "enterprise", a, 2024, date(2024, 4, 1), reference)
        region = service_forecast.forecast(session, admin, "region", "330300", 2024, date(2024, 4, 1), reference)
    assert result.complete_months == 3
    assert result.tce.method == result.tco2.method == "production_regression"
    assert result.tce.actual == [True] * 3 + [False] * 9 and result.tce.year_end is not None
    # April: production forecast 130 × r t a day (r = 2024's Jan–Mar production ÷ 2023's), energy follows the fit;
    # the forecast lies within 1 % of the law E = 50·days + 2·P over April's 30 days.
    r = sum(1.4 * (100 + 10 * k) * n for k, n in enumerate((31, 29, 31))) / sum(
        (100 + 10 * k) * n for k, n in enumerate((31, 28, 31))
    )
    april_kwh = 30 * 50 + 2 * 30 * 130 * r
    assert result.tce.months[3] == pytest.approx(april_kwh * KGCE_PER_KWH / 1000, rel=0.01)
    assert region.tce.method == "seasonal_ratio" and region.tce.year_end is not None
