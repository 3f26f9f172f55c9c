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

:func:`verify_savings` is the full baseline-model method on daily or monthly periods: the model chosen by
criteria among production/weather candidates (:mod:`dualcarbon.domain.mv_models`), its statistics and the
fractional savings uncertainty (:mod:`dualcarbon.domain.mv_stats`), data-sufficiency and fit checks as
structured warnings (:mod:`dualcarbon.domain.mv_checks`), and the avoided energy of the reporting period
(IPMVP avoided energy = 校准能耗 − 统计报告期能耗, positive = saving; the GB/T 28750 / GB/T 13234 signed
节能量 is its negation). Thresholds come from the ``mv_criteria`` reference table through ``MvCriteria``.
Not here yet: non-routine adjustments (recorded with reason and approval by the projects subject).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.domain.mv_checks import (
    MvCriteria,
    MvWarning,
    fit_warnings,
    overlap_warnings,
    period_days,
    range_warnings,
    sufficiency,
)
from dualcarbon.domain.mv_models import BaselineModel, Interval, Observations, select_baseline
from dualcarbon.domain.mv_stats import fractional_savings_uncertainty

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


# ---- the baseline-model method on daily or monthly periods ------------------------------------------


@dataclass(frozen=True)
class MvPeriod:
    """One period (a day, or a calendar month starting on the 1st): energy in the caller's unit, optional
    production per product and mean outdoor temperature in °C."""

    start: date
    energy: float
    production: Mapping[str, float] | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class MvResult:
    """Avoided energy over the reporting period with its model, uncertainty and warnings."""

    model: BaselineModel
    adjusted_baseline: float  # 校准能耗, Σ model at reporting conditions
    reporting_energy: float  # 统计报告期能耗
    reporting_periods: int
    fsu_pct: float | None  # at criteria.fsu_confidence; None without a saving
    fsu_confidence: float
    warnings: tuple[MvWarning, ...]

    @property
    def avoided_energy(self) -> float:
        """校准能耗 − 统计报告期能耗 (positive = saving)."""
        return self.adjusted_baseline - self.reporting_energy

    @property
    def signed_saving(self) -> float:
        """节能量 as GB/T 28750 / GB/T 13234 sign it: 统计报告期能耗 − 校准能耗 (negative = saving)."""
        return -self.avoided_energy

    @property
    def savings_pct(self) -> float | None:
        return self.avoided_energy / self.adjusted_baseline * 100.0 if self.adjusted_baseline > 0 else None


def _refused(zh: str, en: str, field: str) -> InvalidInput:
    """Bad input of :func:`verify_savings`, Chinese first (``中文 / English``) as the contracts show it."""
    return InvalidInput(zh_en(zh, en), field=field, zh=zh)


#: Largest energy or production accepted: sums of squares of larger numbers overflow double precision.
_LARGEST = 1e100


def _ordered(periods: Sequence[MvPeriod], label: str, interval: Interval) -> list[int]:
    """Indexes of ``periods`` in time order; duplicates and months not starting on the 1st are refused."""
    if not periods:
        raise _refused("至少须有一个时段", "at least one period is needed", label)
    seen: dict[date, int] = {}
    for i, period in enumerate(periods):
        for name, value in [
            ("energy", period.energy),
            *((f"production.{k}", v) for k, v in (period.production or {}).items()),
        ]:
            if not abs(value) <= _LARGEST:
                field_name = name if name == "energy" else "production"
                raise _refused(
                    f"数值 {value:g} 过大，无法拟合模型（不得超过 {_LARGEST:g}）",
                    f"{name} = {value:g} is too large to fit a model with (squares overflow beyond {_LARGEST:g})",
                    f"{label}[{i}].{field_name}",
                )
        if interval == "month" and period.start.day != 1:
            raise _refused(
                "按月数据的时段须从当月 1 日开始",
                "a monthly period must start on the 1st of a month",
                f"{label}[{i}].period_start",
            )
        if period.start in seen:
            raise _refused(
                f"时段 {period.start} 重复出现（另见第 {seen[period.start] + 1} 项）",
                f"period {period.start} appears twice (also {label}[{seen[period.start]}])",
                f"{label}[{i}].period_start",
            )
        seen[period.start] = i
    return sorted(range(len(periods)), key=lambda i: periods[i].start)


def _usable_factors(periods: Sequence[MvPeriod]) -> tuple[list[str], bool, list[MvWarning]]:
    """Products and temperature given on every baseline period; a factor given on some only is dropped."""
    warnings: list[MvWarning] = []
    n = len(periods)
    counts: Counter[str] = Counter(name for p in periods for name in (p.production or {}))
    products = sorted(name for name, count in counts.items() if count == n)
    for name in sorted(set(counts) - set(products)):
        warnings.append(_incomplete(f"production.{name}", counts[name], n))
    with_temperature = sum(p.temperature_c is not None for p in periods)
    if 0 < with_temperature < n:
        warnings.append(_incomplete("temperature", with_temperature, n))
    return products, with_temperature == n, warnings


def _incomplete(name: str, given: int, n: int) -> MvWarning:
    return MvWarning(
        "factor_incomplete",
        f"{name} is given on {given} of {n} baseline periods; it is not used as a factor",
        {"factor": name, "given": given, "periods": n},
    )


def _observations(
    periods: Sequence[MvPeriod], order: list[int], products: list[str], temperature: bool, interval: Interval
) -> Observations:
    ordered = [periods[i] for i in order]
    return Observations(
        energy=np.array([p.energy for p in ordered], dtype=float),
        days=np.array(period_days([p.start for p in ordered], interval), dtype=float),
        production={name: np.array([(p.production or {})[name] for p in ordered], dtype=float) for name in products},
        temperature_c=np.array([p.temperature_c for p in ordered], dtype=float) if temperature else None,
    )


def _require_factors(reporting: Sequence[MvPeriod], model: BaselineModel) -> None:
    for i, period in enumerate(reporting):
        for term in model.terms:
            if term.kind == "production" and term.name not in (period.production or {}):
                raise _refused(
                    f"须填写产量“{term.name}”：所选基期模型含产量项",
                    f"production of '{term.name}' is needed: the chosen model has a production term",
                    f"reporting[{i}].production",
                )
            if term.kind in ("hdd", "cdd") and period.temperature_c is None:
                degree_days = "采暖度日" if term.kind == "hdd" else "制冷度日"
                raise _refused(
                    f"须填写气温：所选基期模型含{degree_days}（{term.kind.upper()}）项",
                    f"temperature is needed: the chosen model has a {term.kind.upper()} term",
                    f"reporting[{i}].temperature",
                )


def _fsu_undefined(fraction: float, model: BaselineModel) -> str:
    """Why the FSU has no value (:func:`dualcarbon.domain.mv_stats.fractional_savings_uncertainty`)."""
    if model.cvrmse_pct is None:
        return "the mean baseline energy is 0"
    if fraction == 0:
        return "no saving"
    return "the residuals are so autocorrelated that fewer than 3 effective samples remain"


def verify_savings(
    baseline: Sequence[MvPeriod], reporting: Sequence[MvPeriod], interval: Interval, criteria: MvCriteria
) -> MvResult:
    """Fit the baseline model by the criteria, apply it to the reporting period, and check everything
    the criteria name (warnings, not exceptions). Bad input (duplicates, a factor the model needs missing in
    the reporting period, fewer than 3 baseline periods) raises ``InvalidInput`` with its field path."""
    base_order = _ordered(baseline, "baseline", interval)
    report_order = _ordered(reporting, "reporting", interval)
    if len(baseline) < 3:
        raise _refused(
            f"基期只有 {len(baseline)} 个时段，无法拟合模型，至少须 3 个",
            f"{len(baseline)} baseline periods cannot fit a model; need at least 3",
            "baseline",
        )
    products, temperature, warnings = _usable_factors(baseline)
    base_obs = _observations(baseline, base_order, products, temperature, interval)
    model = select_baseline(
        base_obs, interval, criteria.heating, criteria.cooling, criteria.coefficient_p_max, criteria.selection
    )
    _require_factors(reporting, model)
    used = [t.name for t in model.terms if t.kind == "production"]
    uses_weather = any(t.kind in ("hdd", "cdd") for t in model.terms)
    report_obs = _observations(reporting, report_order, used, uses_weather, interval)
    adjusted = float(model.predict(report_obs).sum())
    measured = float(report_obs.energy.sum())
    fraction = (adjusted - measured) / adjusted if adjusted > 0 else 0.0

    def fsu(confidence: float) -> float | None:
        if model.cvrmse_pct is None:
            return None
        return fractional_savings_uncertainty(
            model.cvrmse_pct,
            model.n,
            model.p,
            model.autocorrelation,
            report_obs.n,
            fraction,
            confidence,
            criteria.fsu_empirical_factor,
        )

    warnings += sufficiency("baseline", [baseline[i].start for i in base_order], base_obs.energy, interval, criteria)
    warnings += sufficiency(
        "reporting", [reporting[i].start for i in report_order], report_obs.energy, interval, criteria
    )
    warnings += overlap_warnings(
        [baseline[i].start for i in base_order], [reporting[i].start for i in report_order], interval
    )
    # R² measures what the factors explain; a mean baseline (intercept only, energy independent of every factor) has
    # none to explain, so it is judged by CV(RMSE) and NMBE alone (its R² is 0 by construction).
    r2 = None if not model.terms else model.r2
    warnings += fit_warnings(interval, r2, model.cvrmse_pct, model.nmbe_pct, criteria)
    warnings += range_warnings(base_obs, report_obs, used + (["temperature"] if uses_weather else []))
    if criteria.fsu_max_pct is not None and criteria.fsu_max_confidence is not None:
        at_limit = fsu(criteria.fsu_max_confidence)
        if at_limit is None or at_limit > criteria.fsu_max_pct:
            warnings.append(
                MvWarning(
                    "fsu_above_threshold",
                    f"savings uncertainty at {criteria.fsu_max_confidence * 100:g} % confidence is "
                    + (f"undefined ({_fsu_undefined(fraction, model)})" if at_limit is None else f"{at_limit:.1f} %")
                    + f", above the limit {criteria.fsu_max_pct:g} % of the savings",
                    {
                        "fsu_pct": at_limit,
                        "confidence": criteria.fsu_max_confidence,
                        "limit_pct": criteria.fsu_max_pct,
                        "row_id": criteria.row_ids.get("fsu_max_pct"),
                    },
                )
            )
    return MvResult(
        model=model,
        adjusted_baseline=adjusted,
        reporting_energy=measured,
        reporting_periods=report_obs.n,
        fsu_pct=fsu(criteria.fsu_confidence),
        fsu_confidence=criteria.fsu_confidence,
        warnings=tuple(warnings),
    )
