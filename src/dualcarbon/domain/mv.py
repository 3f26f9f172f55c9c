"""Measurement and verification of savings with a baseline model — GB/T 28750-2012 节能量测量和验证技术通则.

Owns the 基期能耗-影响因素模型 (baseline energy vs influencing factors, linear) and the 校准能耗 (adjusted
baseline: the model evaluated at reporting-period conditions, IPMVP "adjusted baseline"):

    E_model = a + Σ_k b_k × x_k                      (a, E in the model's energy unit; x_k in its own unit)
    校准能耗  E_adj = E_model(x at reporting period)
    节能量    ΔE = 统计报告期能耗 − 校准能耗 = E_report − E_adj     (negative = saving, as GB/T 13234)

and an ordinary-least-squares fit of the model from baseline-period samples, with the goodness-of-fit
statistics of ASHRAE Guideline 14 (p = number of model parameters, intercept included):

    R²        = 1 − SSE / SST
    CV(RMSE)  = √(SSE / (n − p)) / ȳ × 100 %
    NMBE      = Σ (y − ŷ) / ((n − p) × ȳ) × 100 %

Acceptance thresholds (e.g. monthly CV(RMSE) ≤ 15 %) are policy, not code: the caller compares. Full M&V
(options, non-routine adjustments, data sufficiency) comes later; this module is deliberately small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dualcarbon.core.errors import InvalidInput

STANDARD = "GB/T 28750-2012"


@dataclass(frozen=True)
class LinearBaselineModel:
    """基期能耗-影响因素模型: E = intercept + Σ coefficients[k] × factor k, energy in ``energy_unit``."""

    intercept: float
    coefficients: Mapping[str, float]
    energy_unit: str
    factor_units: Mapping[str, str] = field(default_factory=dict)

    def predict(self, factors: Mapping[str, float]) -> float:
        """Model energy at the given factor values (every factor of the model is required)."""
        missing = [name for name in self.coefficients if name not in factors]
        if missing:
            raise InvalidInput(f"value of influencing factor '{missing[0]}' is missing", field=f"factors.{missing[0]}")
        unknown = [name for name in factors if name not in self.coefficients]
        if unknown:
            raise InvalidInput(
                f"'{unknown[0]}' is not a factor of the model (has {', '.join(self.coefficients)})",
                field=f"factors.{unknown[0]}",
            )
        for name, value in factors.items():
            if not math.isfinite(value):
                raise InvalidInput("must be a finite number", field=f"factors.{name}")
        return self.intercept + math.fsum(coef * factors[name] for name, coef in self.coefficients.items())


@dataclass(frozen=True)
class VerifiedSaving:
    """GB/T 28750 result in the model's energy unit. ``signed`` < 0 means energy saved."""

    adjusted_baseline: float  # 校准能耗
    reporting_energy: float  # 统计报告期能耗
    energy_unit: str

    @property
    def signed(self) -> float:
        """节能量 = 统计报告期能耗 − 校准能耗 (negative = saving)."""
        return self.reporting_energy - self.adjusted_baseline

    @property
    def avoided(self) -> float:
        """IPMVP avoided energy consumption = 校准能耗 − 统计报告期能耗 (positive = saving)."""
        return -self.signed


def adjusted_baseline(model: LinearBaselineModel, reporting_factors: Mapping[str, float]) -> float:
    """校准能耗: the baseline model at reporting-period conditions, in ``model.energy_unit``."""
    return model.predict(reporting_factors)


def verified_saving(
    model: LinearBaselineModel, reporting_factors: Mapping[str, float], reporting_energy: float
) -> VerifiedSaving:
    """节能量 by the 基期能耗-影响因素模型法. W17: E = 500 + 2.0 × P MWh, P = 300, measured 1,000 MWh →
    校准能耗 1,100 MWh, 节能量 −100 MWh."""
    if not math.isfinite(reporting_energy) or reporting_energy < 0:
        raise InvalidInput(f"must be a finite number ≥ 0 (got {reporting_energy})", field="reporting_energy")
    return VerifiedSaving(adjusted_baseline(model, reporting_factors), reporting_energy, model.energy_unit)


@dataclass(frozen=True)
class FittedBaseline:
    """An OLS-fitted baseline model and its goodness of fit (ASHRAE Guideline 14 definitions)."""

    model: LinearBaselineModel
    n: int
    r_squared: float | None  # None when the energy is constant (SST = 0)
    cv_rmse_pct: float | None  # None when the mean energy is 0
    nmbe_pct: float | None


def fit_baseline(
    samples: Sequence[Mapping[str, float]],
    energies: Sequence[float],
    energy_unit: str,
    factor_units: Mapping[str, str] | None = None,
) -> FittedBaseline:
    """Fit E = a + Σ b_k x_k by ordinary least squares from baseline-period (factors, energy) samples.

    Every sample must give the same factor names. Needs more samples than parameters (n > p) and factors
    that are not constant or collinear; otherwise ``InvalidInput`` says which.
    """
    if len(samples) != len(energies):
        raise InvalidInput(f"{len(samples)} factor samples but {len(energies)} energy values", field="energies")
    if not samples:
        raise InvalidInput("no baseline samples", field="samples")
    names = list(samples[0])
    for index, sample in enumerate(samples):
        if set(sample) != set(names):
            raise InvalidInput(
                f"factors {sorted(sample)} differ from the first sample's {sorted(names)}", field=f"samples[{index}]"
            )
    n, p = len(samples), len(names) + 1
    if n <= p:
        raise InvalidInput(f"{n} samples cannot fit {p} parameters; need at least {p + 1}", field="samples")
    design = np.array([[1.0] + [float(sample[name]) for name in names] for sample in samples])
    y = np.array([float(value) for value in energies])
    if not (np.isfinite(design).all() and np.isfinite(y).all()):
        raise InvalidInput("samples and energies must be finite numbers", field="samples")
    if np.linalg.matrix_rank(design) < p:
        raise InvalidInput("factors are constant or collinear; the model cannot be identified", field="samples")
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ solution
    sse = float(residuals @ residuals)
    mean = float(y.mean())
    sst = float(((y - mean) ** 2).sum())
    model = LinearBaselineModel(
        intercept=float(solution[0]),
        coefficients={name: float(solution[i + 1]) for i, name in enumerate(names)},
        energy_unit=energy_unit,
        factor_units=dict(factor_units or {}),
    )
    return FittedBaseline(
        model=model,
        n=n,
        r_squared=1.0 - sse / sst if sst > 0 else None,
        cv_rmse_pct=math.sqrt(sse / (n - p)) / mean * 100.0 if mean != 0 else None,
        nmbe_pct=float(residuals.sum()) / ((n - p) * mean) * 100.0 if mean != 0 else None,
    )
