"""The production-normalised anomaly model (where production is metered): pure numpy, no I/O.

A plant that makes more uses more: judged on energy alone, a busy day looks like an anomaly. Where production is
metered, the model judges the **energy per unit of production** (单位产品能耗) of a period against the same
quantity over its own history, with the rule of the hour-of-week model (:mod:`.service_detect`):

* intensity ``i = energy ÷ production`` for every period with production > 0 (a period without production has no
  intensity: standing losses are not an anomaly of the process, and a division by zero is not a number);
* the period is anomalous when ``|i − median(history)| > k × b × MAD(history)`` and ``|i − median| ≥ p % × median``,
  with MAD = median |x − median| and b = 1.4826 (Leys et al. 2013, the normal-consistency constant);
* the history is the ``window`` periods before it (at least ``min_samples`` with an intensity; MAD 0 → not judged).

The parameters are the alert rules of the platform (``platform_rules``: k = PR-A01, the window PR-A02 weeks of
days, the minimum samples PR-A03, the least deviation PR-A09) — the callers pass them from
:class:`.service_rules.AlertRules`, never literals.

Used by :func:`.service_detect.production_candidates` for every production (产量) meter of the register
(``Meter.measures = "production"``), over daily tce per unit of product (docs/alerts.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: b of Leys et al. (2013): 1 / Φ⁻¹(3/4), so that b × median |x − median| estimates σ for normal data.
MAD_NORMAL_CONSISTENCY = 1.4826


@dataclass(frozen=True)
class IntensityAnomaly:
    """A period whose energy per unit of production lies outside its history's median ± k·MAD."""

    index: int  # position of the period in the series
    intensity: float  # energy ÷ production of the period
    median: float  # of the history's intensities
    mad: float  # unscaled median |x − median| of the history's intensities


def outside_band(value: float, known: np.ndarray, k: float, min_deviation_pct: float) -> tuple[float, float] | None:
    """(median, unscaled MAD) of ``known`` when ``value`` lies outside median ± k·b·MAD and at least
    ``min_deviation_pct`` % of the median away from it; None otherwise (also when MAD is 0: nothing to measure by)."""
    median = float(np.median(known))
    mad = float(np.median(np.abs(known - median)))
    deviation = abs(value - median)
    if mad > 0 and deviation > k * MAD_NORMAL_CONSISTENCY * mad and deviation >= min_deviation_pct / 100 * abs(median):
        return median, mad
    return None


def intensities(energy: Sequence[float | None], production: Sequence[float | None]) -> np.ndarray:
    """energy ÷ production per period; NaN where either is unknown or production is not positive."""
    e = np.array([np.nan if v is None else v for v in energy], dtype=float)
    p = np.array([np.nan if v is None else v for v in production], dtype=float)
    if e.shape != p.shape:
        raise ValueError("energy and production have one value per period each")
    out = np.full(e.shape, np.nan)
    ok = ~np.isnan(e) & ~np.isnan(p) & (p > 0)
    out[ok] = e[ok] / p[ok]
    return out


@dataclass(frozen=True)
class IntensityJudgement:
    """The judgement of one period that could be judged: its intensity, the band it was judged against, and
    whether it lies outside (``anomalous``)."""

    index: int
    intensity: float
    median: float
    mad: float  # unscaled
    anomalous: bool


def judge_period(
    series: np.ndarray, index: int, *, k: float, window: int, min_samples: int, min_deviation_pct: float
) -> IntensityJudgement | None:
    """Judge the intensity ``series[index]`` against the ``window`` periods before it; None when it cannot be
    judged (no intensity, fewer than ``min_samples`` known in the window, or MAD 0)."""
    value = series[index]
    history = series[max(0, index - window) : index]
    known = history[~np.isnan(history)]
    if np.isnan(value) or known.size < min_samples:
        return None
    median = float(np.median(known))
    mad = float(np.median(np.abs(known - median)))
    if mad == 0:
        return None
    band = outside_band(float(value), known, k, min_deviation_pct)
    return IntensityJudgement(index, float(value), median, mad, band is not None)


def production_anomalies(
    energy: Sequence[float | None],
    production: Sequence[float | None],
    *,
    k: float,
    window: int,
    min_samples: int,
    min_deviation_pct: float,
    judge_from: int = 0,
) -> list[IntensityAnomaly]:
    """The periods from ``judge_from`` on whose intensity is anomalous against the ``window`` periods before each."""
    series = intensities(energy, production)
    found = []
    for index in range(max(judge_from, 0), len(series)):
        judged = judge_period(
            series, index, k=k, window=window, min_samples=min_samples, min_deviation_pct=min_deviation_pct
        )
        if judged is not None and judged.anomalous:
            found.append(IntensityAnomaly(index, judged.intensity, judged.median, judged.mad))
    return found
