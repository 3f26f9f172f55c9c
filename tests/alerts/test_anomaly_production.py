"""The production-normalised anomaly model (alerts/anomaly_production.py) on synthetic data, with the parameters of
the platform rules (PR-A01 k = 3, PR-A02 8 weeks → a window of 56 days, PR-A03 6 samples, PR-A09 20 %).

History, days 0–55: production 100, 110, 120, 100, … t; energy per tonne 1.96, 1.98, 2.02, 2.04 by day % 4.

* day 56 — a production-driven rise: 180 t at 1.98 t⁻¹ → 356.4 (energy alone: far beyond the band of the energy
  history, median 220). Its history (days 0–55, 14 of each intensity): median (1.98 + 2.02) ÷ 2 = 2.00; deviations
  0.02 or 0.04, 28 each → MAD 0.03; band 2.00 ± 3 × 1.4826 × 0.03 = ± 0.133; |1.98 − 2.00| = 0.02 → not an anomaly.
* day 57 — the injected anomaly: 110 t at 2.60 → 286.0. Its history (days 1–56): 1.96 × 13, 1.98 × 15 (day 56
  included), 2.02 × 14, 2.04 × 14 → median = (28th 1.98 + 29th 2.02) ÷ 2 = 2.00; deviations 0.02 × 29, 0.04 × 27 →
  MAD 0.02; band ± 3 × 1.4826 × 0.02 = ± 0.089; |2.60 − 2.00| = 0.60 > 0.089 and ≥ 20 % × 2.00 = 0.40 → anomalous.
* day 58 — no production (a stop): no intensity, not judged, whatever the energy.
"""

from __future__ import annotations

import numpy as np
import pytest

from dualcarbon.alerts.anomaly_production import intensities, outside_band, production_anomalies
from dualcarbon.alerts.service_rules import AlertRules

HISTORY = 56


def _series() -> tuple[list[float | None], list[float | None]]:
    production: list[float | None] = [100.0 + 10.0 * (d % 3) for d in range(HISTORY)]
    energy: list[float | None] = [
        (1.96, 1.98, 2.02, 2.04)[d % 4] * p for d, p in enumerate(production) if p is not None
    ]
    production += [180.0, 110.0, 0.0]
    energy += [1.98 * 180.0, 2.60 * 110.0, 40.0]
    return energy, production


def test_a_production_driven_rise_is_not_an_anomaly_an_injected_one_is(reference) -> None:
    rules = AlertRules.of(reference)
    assert (rules.anomaly_k_mad, rules.anomaly_history_weeks, rules.anomaly_min_samples) == (3, 8, 6)
    energy, production = _series()
    found = production_anomalies(
        energy,
        production,
        k=rules.anomaly_k_mad,
        window=rules.anomaly_history_weeks * 7,
        min_samples=rules.anomaly_min_samples,
        min_deviation_pct=rules.anomaly_min_deviation_pct,
        judge_from=HISTORY,
    )
    assert [a.index for a in found] == [57]
    (anomaly,) = found
    assert anomaly.intensity == pytest.approx(2.60)
    assert anomaly.median == pytest.approx(2.00) and anomaly.mad == pytest.approx(0.02)
    # energy alone would have flagged the busy day 56: 363.6 against the history's energy
    history = np.array(energy[:HISTORY], dtype=float)
    assert outside_band(1.98 * 180.0, history, rules.anomaly_k_mad, rules.anomaly_min_deviation_pct) is not None


def test_periods_without_production_or_history_are_not_judged() -> None:
    assert np.isnan(intensities([5.0, None, 3.0], [0.0, 2.0, None])).all()
    energy, production = _series()
    # a history shorter than the minimum samples: nothing judged
    assert production_anomalies(energy[:3], production[:3], k=3, window=56, min_samples=6, min_deviation_pct=20) == []
    # a flat history (MAD 0) gives nothing to measure a deviation by
    flat = production_anomalies([2.0] * 10 + [9.0], [1.0] * 11, k=3, window=56, min_samples=6, min_deviation_pct=0)
    assert flat == []
    with pytest.raises(ValueError, match="one value per period"):
        intensities([1.0], [1.0, 2.0])
