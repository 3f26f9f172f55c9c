"""Monthly seasonal forecast of consumption (tce) or emissions (tCO₂): pure numpy, no I/O.

Model — seasonal naive scaled by the year-on-year ratio (同比):

* ``last[k]`` = last year's value of month k (k = 0…11), ``done`` = this year's complete months (values).
* ratio r = Σ done ÷ Σ last[same months] when both sums are positive, else 1 (no evidence of a change).
* forecast of a month k not yet complete = last[k] × r; year-end = Σ done + Σ forecasts of the other months.
* No history for a month (None) → that month falls back to the run rate, the mean of the complete months.
  No complete month and no history → no forecast (None), never a made-up number.

Production as a driver (where it is metered) is not modelled yet: the ratio carries the level change.
:func:`backtest_mape` replays the model month by month over a series of at least two years.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MONTHS = 12


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


def backtest_mape(series: Sequence[float], *, start_year_index: int = 1) -> dict[str, float | int | None]:
    """Replay the model over a monthly series (January first, ≥ 24 months): for each year from
    ``start_year_index`` and each month m, forecast month m and the year-end from the months before m.

    Returns ``month_mape_pct`` (one-month-ahead, mean |F − A| ÷ A × 100 over the months with A > 0),
    ``year_end_mape_pct`` (the year-end forecast made at the start of each month against the year's total),
    and the counts behind them.
    """
    values = list(series)
    if len(values) < 2 * MONTHS:
        raise ValueError("the back-test needs at least 24 months")
    month_errors: list[float] = []
    year_errors: list[float] = []
    years = len(values) // MONTHS
    for y in range(start_year_index, years):
        last = values[(y - 1) * MONTHS : y * MONTHS]
        this = values[y * MONTHS : (y + 1) * MONTHS]
        total = sum(this)
        for m in range(MONTHS):
            result = forecast_year(last, this[:m])
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
