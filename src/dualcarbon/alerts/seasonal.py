"""Monthly seasonal forecast of consumption (tce) or emissions (tCO₂): pure numpy, no I/O.

Model — seasonal naive scaled by the year-on-year ratio (同比):

* ``last[k]`` = last year's value of month k (k = 0…11), ``done`` = this year's complete months (values).
* ratio r = Σ done ÷ Σ last[same months] when both sums are positive, else 1 (no evidence of a change).
* forecast of a month k not yet complete = last[k] × r; year-end = Σ done + Σ forecasts of the other months.
* No history for a month (None) → that month falls back to the run rate, the mean of the complete months.
  No complete month and no history → no forecast (None), never a made-up number.

Production as a driver (where it is metered) — :func:`forecast_year_with_production`:

* production of the months not yet complete is forecast by the same seasonal model (its own 同比 ratio);
* energy = a + b × production, fitted by least squares over every month where both are known (last year's and
  this year's complete months): a is the standing load, b the energy per unit of product;
* a month not yet complete = a + b × forecast production. The fit is used only with at least
  :data:`MIN_REGRESSION_MONTHS` paired months (two parameters and one degree of freedom left) and a positive b;
  otherwise the seasonal model above is used as it stands (its ``method`` says which).

:func:`backtest_mape` replays either model month by month over a series of at least two years.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MONTHS = 12
#: Fewest months with both energy and production for the regression: a and b, and one degree of freedom.
MIN_REGRESSION_MONTHS = 3


@dataclass(frozen=True)
class MonthlyForecast:
    months: list[float | None]  # the 12 months of the year: actual where complete, forecast after
    actual: list[bool]  # which of them are actual
    year_end: float | None
    ratio: float  # year-on-year ratio used
    method: str  # "seasonal_ratio", "run_rate" or "none"


def _sum_known(values: Sequence[float | None]) -> float:
    return float(np.nansum(np.array([np.nan if v is None else v for v in values], dtype=float))) if values else 0.0


def forecast_year(last_year: Sequence[float | None], this_year_done: Sequence[float | None]) -> MonthlyForecast:
    """Forecast the rest of the year from last year's 12 months and this year's complete months (in order)."""
    if len(last_year) != MONTHS or len(this_year_done) > MONTHS:
        raise ValueError("last_year has 12 months and at most 12 months are complete")
    done = list(this_year_done)
    pairs = [(d, last_year[k]) for k, d in enumerate(done) if d is not None and last_year[k] is not None]
    base = sum(p[1] for p in pairs if p[1] is not None)
    seen = sum(p[0] for p in pairs if p[0] is not None)
    ratio = seen / base if pairs and base > 0 and seen > 0 else 1.0
    known_done = [d for d in done if d is not None]
    run_rate = float(np.mean(known_done)) if known_done else None
    months: list[float | None] = []
    actual: list[bool] = []
    used_history = False
    for k in range(MONTHS):
        if k < len(done) and done[k] is not None:
            months.append(float(done[k]))  # type: ignore[arg-type]
            actual.append(True)
        elif last_year[k] is not None:
            months.append(float(last_year[k]) * ratio)  # type: ignore[arg-type]
            actual.append(False)
            used_history = True
        else:
            months.append(run_rate)
            actual.append(False)
    if any(m is None for m in months):
        return MonthlyForecast(months, actual, None, ratio, "none")
    year_end = float(sum(m for m in months if m is not None))
    return MonthlyForecast(months, actual, year_end, ratio, "seasonal_ratio" if used_history else "run_rate")


def _fit(energy: Sequence[float | None], production: Sequence[float | None]) -> tuple[float, float] | None:
    """(a, b) of energy = a + b × production over the pairs with both known; None when it cannot be used."""
    pairs = [(p, e) for e, p in zip(energy, production, strict=True) if e is not None and p is not None]
    if len(pairs) < MIN_REGRESSION_MONTHS:
        return None
    x = np.array([p for p, _ in pairs], dtype=float)
    y = np.array([e for _, e in pairs], dtype=float)
    if float(np.ptp(x)) == 0:
        return None  # production never changed: nothing to regress on
    slope, intercept = np.polyfit(x, y, 1)
    return (float(intercept), float(slope)) if slope > 0 else None


def forecast_year_with_production(
    last_year: Sequence[float | None],
    this_year_done: Sequence[float | None],
    production_last_year: Sequence[float | None],
    production_done: Sequence[float | None],
) -> MonthlyForecast:
    """The year's forecast with production as the driver (module docstring); the seasonal model when the
    regression cannot be used."""
    plain = forecast_year(last_year, this_year_done)
    if len(production_last_year) != MONTHS or len(production_done) != len(this_year_done):
        raise ValueError("production has last year's 12 months and as many complete months as energy")
    made = forecast_year(production_last_year, production_done)
    fit = _fit([*last_year, *this_year_done], [*production_last_year, *production_done])
    if fit is None or made.year_end is None:
        return plain
    intercept, slope = fit
    months: list[float | None] = []
    actual: list[bool] = []
    for k in range(MONTHS):
        if k < len(this_year_done) and this_year_done[k] is not None:
            months.append(float(this_year_done[k]))  # type: ignore[arg-type]
            actual.append(True)
        else:
            months.append(intercept + slope * float(made.months[k]))  # type: ignore[arg-type]
            actual.append(False)
    year_end = float(sum(m for m in months if m is not None))
    return MonthlyForecast(months, actual, year_end, plain.ratio, "production_regression")


def backtest_mape(
    series: Sequence[float], *, start_year_index: int = 1, production: Sequence[float] | None = None
) -> dict[str, float | int | None]:
    """Replay the model over a monthly series (January first, ≥ 24 months): for each year from
    ``start_year_index`` and each month m, forecast month m and the year-end from the months before m — with
    ``production`` (as long as ``series``) by :func:`forecast_year_with_production`, else :func:`forecast_year`.

    Returns ``month_mape_pct`` (one-month-ahead, mean |F − A| ÷ A × 100 over the months with A > 0),
    ``year_end_mape_pct`` (the year-end forecast made at the start of each month against the year's total),
    and the counts behind them.
    """
    values = list(series)
    if len(values) < 2 * MONTHS:
        raise ValueError("the back-test needs at least 24 months")
    if production is not None and len(production) != len(values):
        raise ValueError("production has one value per month of the series")
    month_errors: list[float] = []
    year_errors: list[float] = []
    years = len(values) // MONTHS
    for y in range(start_year_index, years):
        last = values[(y - 1) * MONTHS : y * MONTHS]
        this = values[y * MONTHS : (y + 1) * MONTHS]
        total = sum(this)
        for m in range(MONTHS):
            if production is None:
                result = forecast_year(last, this[:m])
            else:
                made = list(production)
                made_last, made_this = made[(y - 1) * MONTHS : y * MONTHS], made[y * MONTHS : (y + 1) * MONTHS]
                result = forecast_year_with_production(last, this[:m], made_last, made_this[:m])
            predicted = result.months[m]
            if predicted is not None and this[m] > 0:
                month_errors.append(abs(predicted - this[m]) / this[m] * 100)
            if result.year_end is not None and total > 0:
                year_errors.append(abs(result.year_end - total) / total * 100)
    return {
        "month_mape_pct": float(np.mean(month_errors)) if month_errors else None,
        "year_end_mape_pct": float(np.mean(year_errors)) if year_errors else None,
        "months": len(month_errors),
        "year_end_forecasts": len(year_errors),
    }
