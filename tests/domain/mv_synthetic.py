"""Synthetic M&V data with a known truth: E = a + b·P + c·CDD(T_c) + h·HDD(T_h) + noise, per day or month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from dualcarbon.domain.mv import MvPeriod


@dataclass(frozen=True)
class Truth:
    intercept: float = 500.0
    per_production: float = 2.0
    per_cdd: float = 40.0
    cooling_c: float = 20.0
    per_hdd: float = 0.0
    heating_c: float = 15.0
    noise: float = 25.0

    def energy(self, production: np.ndarray, temperature: np.ndarray, days: np.ndarray) -> np.ndarray:
        cdd = np.maximum(temperature - self.cooling_c, 0) * days
        hdd = np.maximum(self.heating_c - temperature, 0) * days
        return self.intercept * days + self.per_production * production + self.per_cdd * cdd + self.per_hdd * hdd


def daily(truth: Truth, start: date, days: int, seed: int, factor: float = 1.0) -> tuple[list[MvPeriod], float]:
    """``days`` daily periods from ``start``; energy × ``factor`` (0.9 = 10 % saved). Returns the periods and
    the noiseless energy total before the factor (the true adjusted baseline)."""
    rng = np.random.default_rng(seed)
    starts = [start + timedelta(days=i) for i in range(days)]
    doy = np.array([s.timetuple().tm_yday for s in starts], dtype=float)
    temperature = 17 - 11 * np.cos(2 * np.pi * (doy - 20) / 365.25) + rng.normal(0, 2.5, days)
    production = 200 + 100 * rng.random(days)
    clean = truth.energy(production, temperature, np.ones(days))
    energy = clean * factor + rng.normal(0, truth.noise, days)
    periods = [
        MvPeriod(s, float(e), {"production": float(p)}, float(t))
        for s, e, p, t in zip(starts, energy, production, temperature, strict=True)
    ]
    return periods, float(clean.sum())
