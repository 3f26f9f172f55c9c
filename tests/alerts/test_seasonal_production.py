"""Production as a forecast driver (alerts/seasonal.py): the regression worked by hand, its fall-backs, and a
back-test where production changes level (the case the plain 同比 ratio gets wrong)."""

from __future__ import annotations

import pytest

from dualcarbon.alerts.seasonal import backtest_mape, forecast_year, forecast_year_with_production

# Last year: production P_k = 100 + 10k t (k = 0…11), energy E_k = 50 + 2 P_k tce (a standing load of 50, 2 per t).
P_LAST = [100.0 + 10 * k for k in range(12)]
E_LAST = [50.0 + 2 * p for p in P_LAST]


def test_energy_follows_forecast_production_by_hand() -> None:
    # This year's first three months: P = 150, 160, 170 → E = 350, 370, 390 (same law).
    made = [150.0, 160.0, 170.0]
    done = [50.0 + 2 * p for p in made]
    result = forecast_year_with_production(E_LAST, done, P_LAST, made)
    assert result.method == "production_regression" and result.actual[:4] == [True, True, True, False]
    # production's 同比 ratio r = (150 + 160 + 170) ÷ (100 + 110 + 120) = 480 / 330; April's production
    # 130 × r = 189.09 t; the fit over 15 paired months is exact: a = 50, b = 2 → April 50 + 2 × 189.09 = 428.18.
    assert result.months[3] == pytest.approx(50 + 2 * 130 * 480 / 330)
    expected_year = sum(done) + sum(50 + 2 * p * 480 / 330 for p in P_LAST[3:])
    assert result.year_end == pytest.approx(expected_year)
    # the plain seasonal model scales April's energy by energy's own ratio (1110 / 810): a different number
    assert forecast_year(E_LAST, done).months[3] == pytest.approx(310 * 1110 / 810)


def test_falls_back_to_the_seasonal_model_when_the_fit_cannot_be_used() -> None:
    flat = [100.0] * 12  # production never changed: nothing to regress on
    assert forecast_year_with_production(E_LAST, [300.0], flat, [100.0]).method == "seasonal_ratio"
    falling = [50.0 + 2 * (300 - p) for p in P_LAST]  # more production, less energy: b < 0 is not a driver
    assert forecast_year_with_production(falling, [], P_LAST, []).method == "seasonal_ratio"
    unknown = [None] * 12  # no production last year and two months this year: fewer than 3 pairs
    assert forecast_year_with_production(E_LAST, [300.0, 310.0], unknown, [150.0, 160.0]).method == "seasonal_ratio"
    with pytest.raises(ValueError, match="production"):
        forecast_year_with_production(E_LAST, [300.0], P_LAST, [])


def test_backtest_where_the_driver_helps_and_where_it_does_not() -> None:
    # Three years; production has a seasonal shape; energy = 200 + 3 × production (a standing load).
    shape = [0.8, 0.7, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0, 1.1, 1.2, 1.1, 0.9]

    def series(step_from: int) -> tuple[list[float], list[float]]:
        made = [100 * s * (1.4 if y * 12 + k >= step_from else 1.0) for y in range(3) for k, s in enumerate(shape)]
        return [200 + 3 * p for p in made], made

    # A new line from January of the second year (+40 % all year): the 同比 ratio of energy scales the standing
    # load too; the regression keeps it → lower error (month-ahead 0.75 % against 1.28 %).
    energy, made = series(12)
    plain, driven = backtest_mape(energy), backtest_mape(energy, production=made)
    assert plain["months"] == driven["months"] == 24
    assert driven["month_mape_pct"] == pytest.approx(0.746, abs=0.01)
    assert plain["month_mape_pct"] == pytest.approx(1.283, abs=0.01)
    assert driven["year_end_mape_pct"] < plain["year_end_mape_pct"]  # type: ignore[operator]
    # The new line from July instead: future production is itself forecast by its 同比 ratio, which lags the
    # change just as energy's does — the driver does not help (stated in docs/alerts.md).
    energy, made = series(18)
    plain, driven = backtest_mape(energy), backtest_mape(energy, production=made)
    assert driven["month_mape_pct"] >= plain["month_mape_pct"]  # type: ignore[operator]
    with pytest.raises(ValueError, match="production"):
        backtest_mape(energy, production=made[:-1])
