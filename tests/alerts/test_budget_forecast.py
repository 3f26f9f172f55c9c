"""Budgets spread by last year's profile, forecasts by the seasonal year-on-year model, the warning level through
the configured calc warning scheme, and the budget alert (both stores; the model itself without a store).

Enterprise a has one daily electricity meter D (interval, 1440 min). 2023: 100 kWh a day January–June (181
days), 200 kWh a day July–December (184 days) → 18 100 + 36 800 = 54 900 kWh. 2024: 110 kWh a day from
January 1 to March 31 (31 + 29 + 31 = 91 days) → 10 010 kWh. Electricity 0.1229 kgce/kWh (当量值, CC-036).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from dualcarbon.alerts import service_alerts, service_budget, service_forecast
from dualcarbon.alerts.seasonal import backtest_mape, forecast_year
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound
from dualcarbon.store.db import session_scope

from .conftest import import_meters, ingest

TCE_PER_KWH = 0.1229 / 1000
AS_OF = date(2024, 4, 1)


def test_seasonal_model_by_hand() -> None:
    last = [10.0] * 6 + [20.0] * 6
    result = forecast_year(last, [11.0, 12.0, 10.0])
    # ratio = (11 + 12 + 10) / (10 + 10 + 10) = 1.1; April–June 10 × 1.1 = 11; July–December 20 × 1.1 = 22
    assert result.ratio == pytest.approx(1.1) and result.method == "seasonal_ratio"
    assert result.months[3:] == pytest.approx([11.0] * 3 + [22.0] * 6)
    assert result.year_end == pytest.approx(33 + 33 + 132)  # 198
    # no history at all: run rate = mean of the complete months × 12
    assert forecast_year([None] * 12, [4.0, 6.0]).year_end == pytest.approx(60.0)
    # nothing known: no number is made up
    assert forecast_year([None] * 12, []).year_end is None


def test_backtest_mape_by_hand() -> None:
    # year 1: 10 every month; year 2: 10 every month except December 15. Month-ahead forecasts of year 2 are
    # all 10 (ratio 1): 11 exact months and December |10 − 15| / 15 = 33.33 % → MAPE = 33.33 / 12 = 2.778 %.
    series = [10.0] * 12 + [10.0] * 11 + [15.0]
    result = backtest_mape(series)
    assert result["month_mape_pct"] == pytest.approx(100 / 3 / 12)
    # year-end forecasts made at the start of each month are 120 against 125: 4 % each time
    assert result["year_end_mape_pct"] == pytest.approx(4.0) and result["year_end_forecasts"] == 12


def _daily_plant(world, tmp_path, admin, reference) -> None:
    a = world.codes["a"]
    import_meters(world, tmp_path, admin, reference, [[a, "D", "electricity", "kWh", "interval", 1, 1440, "", "true"]])
    rows = []
    day = date(2023, 1, 1)
    while day < AS_OF:
        value = 110.0 if day.year == 2024 else (100.0 if day.month <= 6 else 200.0)
        rows.append((a, "D", datetime.combine(day, datetime.min.time()), value))
        day += timedelta(days=1)
    ingest(world, admin, rows)


def test_forecast_budget_status_and_alert(world, tmp_path, admin, reference) -> None:
    _daily_plant(world, tmp_path, admin, reference)
    code = world.codes["a"]
    with session_scope(world.engine) as session:
        result = service_forecast.forecast(session, admin, "enterprise", code, 2024, AS_OF, reference)
    # ratio = 10 010 / (100 × 90 = 9 000) = 1.112222; rest of 2024 = 1.112222 × (100 × 91 + 200 × 184 = 45 900)
    # = 51 051 kWh; year-end = 10 010 + 51 051 = 61 061 kWh × 0.0001229 = 7.5043969 tce
    assert result.complete_months == 3 and result.tce.actual[:4] == [True, True, True, False]
    assert result.tce.ratio == pytest.approx(10010 / 9000, rel=1e-6)
    assert result.tce.year_end == pytest.approx(61061 * TCE_PER_KWH, rel=1e-6)
    assert result.tce.months[3] == pytest.approx(3000 * 10010 / 9000 * TCE_PER_KWH, rel=1e-6)  # April
    with session_scope(world.engine) as session:
        region = service_forecast.forecast(session, admin, "region", "330300", 2024, AS_OF, reference)
    assert region.tce.year_end == pytest.approx(result.tce.year_end)  # only a is metered in 温州

    with session_scope(world.engine) as session:
        row = service_budget.set_budget(session, admin, code, 2024, 6.0, reference)
        # spread by 2023: January 6.0 × 3 100 / 54 900 = 0.3387978 tce; July 6.0 × 6 200 / 54 900 = 0.6775956
        assert row.profile == "monitored"
        assert row.monthly_tce[0] == pytest.approx(6.0 * 3100 / 54900) and row.monthly_tce[6] == pytest.approx(
            6.0 * 6200 / 54900
        )
        assert sum(row.monthly_tce) == pytest.approx(6.0)
    with session_scope(world.engine) as session:
        status = service_budget.budget_status(session, admin, code, 2024, AS_OF, reference)
    # measure = budget ÷ projected × 100 = 6.0 / 7.5043969 × 100 = 79.953 % → orange (50 % < rate < 90 %)
    assert status.measure == pytest.approx(6.0 / (61061 * TCE_PER_KWH) * 100, rel=1e-6)
    assert (status.level, status.scheme) == ("orange", "completion_rate")
    assert status.budget_to_date_tce == pytest.approx(6.0 * 9000 / 54900)
    assert status.actual_to_date_tce == pytest.approx(10010 * TCE_PER_KWH)
    with session_scope(world.engine) as session:
        later = service_budget.budget_status(session, admin, code, 2024, date(2024, 6, 1), reference)
    # April and May are complete but have no readings: their forecast is no actual, so the actual to date is
    # unknown (it was 10 010 kWh + the two forecast months, shown as measured)
    assert later.actual_to_date_tce is None and later.budget_to_date_tce == pytest.approx(6.0 * 15100 / 54900)
    with session_scope(world.engine) as session:
        summary = service_alerts.evaluate(session, admin, AS_OF, reference)
        alerts, _ = service_alerts.list_alerts(session, admin, source="budget")
    assert summary.by_source.get("budget") == 1
    assert alerts[0].level == "orange" and alerts[0].title_zh == "2024 年用能预算橙色预警"
    # raising the budget to 7.6 tce: 7.6 / 7.5043969 = 101.27 % → green, no new budget alert
    with session_scope(world.engine) as session:
        service_budget.set_budget(session, admin, code, 2024, 7.6, reference, lock_version=0)
        assert service_budget.budget_status(session, admin, code, 2024, AS_OF, reference).level == "green"
    with session_scope(world.engine) as session, pytest.raises(Conflict):
        service_budget.set_budget(session, admin, code, 2024, 8.0, reference, lock_version=0)  # stale version


def test_budget_input_and_scope(world, admin, reference) -> None:
    with session_scope(world.engine) as session:
        with pytest.raises(InvalidInput) as caught:
            service_budget.set_budget(session, admin, world.codes["a"], 2024, -1, reference)
        assert caught.value.field == "budget_tce" and caught.value.zh == "用能预算须为正数（吨标准煤）"
        with pytest.raises(NotFound):
            service_budget.budget_status(session, admin, world.codes["a"], 2024, AS_OF, reference)
        # no history: the budget is spread in twelfths
        row = service_budget.set_budget(session, admin, world.codes["b"], 2024, 12.0, reference)
        assert row.profile == "flat" and row.monthly_tce == [1.0] * 12
