"""Statistics of M&V baseline regressions — ASHRAE Guideline 14-2014 (goodness of fit, savings uncertainty).

Owns, for an ordinary-least-squares baseline with n observations and p parameters (intercept included):

    R²          = 1 − SSE / SST
    adjusted R² = 1 − (1 − R²) × (n − 1) / (n − p)
    CV(RMSE)    = √(SSE / (n − p)) / ȳ × 100 %
    NMBE        = Σ (y − ŷ) / ((n − p) × ȳ) × 100 %
    t_k         = b_k / se(b_k),  se² = diag((XᵀX)⁻¹) × SSE / (n − p),  p-value two-sided Student t (n − p)

and the fractional savings uncertainty (FSU) of Guideline 14 Annex B with the lag-1 autocorrelation
correction (ρ = lag-1 autocorrelation of the baseline residuals, n′ = n (1 − ρ) / (1 + ρ), n′ = n when ρ ≤ 0):

    FSU = k × t(1 − α/2, n − p) × CV × √( (n / n′) × (1 + 2 / n′) × (1 / m) ) / F

with CV = CV(RMSE) as a fraction, m the number of reporting periods, F = avoided energy / adjusted baseline
and k the empirical factor of the guideline (1.26, a value read from the reference table ``mv_criteria``).

The Student t distribution is computed here from the regularised incomplete beta function (continued
fraction, modified Lentz), so the domain needs numpy only. Pure functions; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_EPS = 1e-15
_TINY = 1e-300


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz); converges fast for x < (a + 1) / (a + b + 2)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _EPS:
            break
    return result


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) for 0 ≤ x ≤ 1 and a, b > 0."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(1.0 - x, b, a) / b


def t_two_sided_p(t: float, dof: float) -> float:
    """P(|T| ≥ |t|) for Student's t with ``dof`` degrees of freedom."""
    if not math.isfinite(t):
        return 0.0
    return regularized_incomplete_beta(dof / (dof + t * t), dof / 2.0, 0.5)


def t_cdf(t: float, dof: float) -> float:
    """P(T ≤ t) for Student's t with ``dof`` degrees of freedom."""
    tail = 0.5 * t_two_sided_p(t, dof)
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=256)
def t_quantile(probability: float, dof: float) -> float:
    """The t with P(T ≤ t) = ``probability`` (bisection on :func:`t_cdf`, to 1e-10)."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    if probability < 0.5:
        return -t_quantile(1.0 - probability, dof)
    low, high = 0.0, 1.0
    while t_cdf(high, dof) < probability:
        high *= 2.0
    while high - low > 1e-10 * max(1.0, high):
        middle = (low + high) / 2.0
        low, high = (middle, high) if t_cdf(middle, dof) < probability else (low, middle)
    return (low + high) / 2.0


@dataclass(frozen=True)
class Fit:
    """An OLS fit of y on the columns of X (first column the intercept) with its statistics."""

    coefficients: FloatArray
    std_errors: FloatArray
    t_stats: FloatArray
    p_values: FloatArray
    fitted: FloatArray
    n: int
    p: int
    sse: float
    r2: float | None  # None when SST = 0
    adj_r2: float | None
    cvrmse_pct: float | None  # None when the mean energy is 0
    nmbe_pct: float | None
    autocorrelation: float  # lag-1 autocorrelation of the residuals (0 when undefined)

    @property
    def dof(self) -> int:
        return self.n - self.p


def lag1_autocorrelation(residuals: FloatArray) -> float:
    """ρ₁ = Σ e_t e_(t−1) / Σ e_t² (0 when the residuals are all zero)."""
    denominator = float(residuals @ residuals)
    if len(residuals) < 2 or denominator == 0.0:
        return 0.0
    return float(residuals[1:] @ residuals[:-1]) / denominator


def ols(design: FloatArray, y: FloatArray) -> Fit:
    """OLS of ``y`` on ``design`` (n × p, intercept column first); needs n > p and full column rank."""
    n, p = design.shape
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coefficients
    residuals = y - fitted
    sse = float(residuals @ residuals)
    if sse <= 1e-24 * float(y @ y):  # an exact fit: what is left is rounding, not a residual
        residuals, sse = np.zeros_like(y), 0.0
    dof = n - p
    sigma2 = sse / dof
    covariance = np.linalg.pinv(design.T @ design) * sigma2
    std_errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stats = np.where(std_errors > 0, coefficients / std_errors, np.inf * np.sign(coefficients))
    p_values = np.array([t_two_sided_p(float(t), dof) for t in t_stats])
    mean = float(y.mean())
    sst = float(((y - mean) ** 2).sum())
    r2 = 1.0 - sse / sst if sst > 0 else None
    return Fit(
        coefficients=np.asarray(coefficients, dtype=np.float64),
        std_errors=std_errors,
        t_stats=t_stats,
        p_values=p_values,
        fitted=fitted,
        n=n,
        p=p,
        sse=sse,
        r2=r2,
        adj_r2=None if r2 is None else 1.0 - (1.0 - r2) * (n - 1) / dof,
        cvrmse_pct=math.sqrt(sigma2) / mean * 100.0 if mean != 0 else None,
        nmbe_pct=float(residuals.sum()) / (dof * mean) * 100.0 if mean != 0 else None,
        autocorrelation=lag1_autocorrelation(residuals),
    )


@dataclass(frozen=True)
class SubsetFits:
    """OLS fits of one y on an intercept plus each subset of the given columns (for the candidate search)."""

    t_stats: FloatArray  # k × s: t of each slope (nan where the subset is singular)
    adj_r2: FloatArray  # k (−inf where the subset is singular)
    valid: NDArray[np.bool_]  # k


def ols_subsets(columns: FloatArray, y: FloatArray, subsets: NDArray[np.intp]) -> SubsetFits:
    """Fit y = a + Σ b_j x_j for every row of ``subsets`` (k × s indexes into ``columns``, q × n) at once.

    Centred regression: with the Gram matrix G = X̃ X̃ᵀ of the centred, unit-scaled columns and g = X̃ ỹ, a
    subset S has b = G_SS⁻¹ g_S, SSE = SST − bᵀ g_S and se(b_j)² = (G_SS⁻¹)_jj × SSE / (n − p), p = s + 1.
    The intercept needs no column; t and R² do not depend on the scaling. A subset whose correlation
    matrix is numerically singular (a constant or collinear column) is marked invalid.
    """
    n = len(y)
    k, size = subsets.shape
    p = size + 1
    centred = columns - columns.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred * centred).sum(axis=1))
    usable = norms > 1e-12 * (np.abs(columns).max(axis=1) + 1.0)
    scaled = centred / np.where(usable, norms, 1.0)[:, None]
    yc = y - y.mean()
    sst = float(yc @ yc)
    gram = scaled @ scaled.T
    g = scaled @ yc
    sub = gram[subsets[:, :, None], subsets[:, None, :]]
    eigenvalues = np.linalg.eigvalsh(sub)
    valid = usable[subsets].all(axis=1) & (eigenvalues[:, 0] > 1e-10 * eigenvalues[:, -1])
    sub[~valid] = np.eye(size)
    inverse = np.linalg.inv(sub)
    beta = np.einsum("kij,kj->ki", inverse, g[subsets])
    sse = np.maximum(sst - np.einsum("ki,ki->k", beta, g[subsets]), 0.0)
    dof = n - p
    std_errors = np.sqrt(np.clip(np.diagonal(inverse, axis1=1, axis2=2), 0.0, None) * (sse / dof)[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stats = np.where(std_errors > 0, beta / std_errors, np.inf * np.sign(beta))
    adj_r2 = 1.0 - (sse / dof) / (sst / (n - 1)) if sst > 0 else np.zeros(k)
    t_stats[~valid] = np.nan
    return SubsetFits(t_stats, np.where(valid, adj_r2, -np.inf), valid)


def effective_sample_size(n: int, autocorrelation: float) -> float:
    """n′ = n (1 − ρ) / (1 + ρ) for ρ > 0; n when ρ ≤ 0 (no credit taken for negative autocorrelation)."""
    if autocorrelation <= 0:
        return float(n)
    return n * (1.0 - autocorrelation) / (1.0 + autocorrelation)


def fractional_savings_uncertainty(
    cvrmse_pct: float,
    n: int,
    p: int,
    autocorrelation: float,
    reporting_periods: int,
    savings_fraction: float,
    confidence: float,
    empirical_factor: float,
) -> float | None:
    """FSU in % of the avoided energy at two-sided ``confidence`` (0.9 for 90 %); None when there is no
    saving to be uncertain about (F = 0) or the autocorrelation leaves no effective sample (n′ ≤ 2)."""
    n_eff = effective_sample_size(n, autocorrelation)
    if savings_fraction == 0 or n_eff <= 2 or reporting_periods < 1:
        return None
    t = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - p)
    spread = math.sqrt((n / n_eff) * (1.0 + 2.0 / n_eff) / reporting_periods)
    return empirical_factor * t * (cvrmse_pct / 100.0) * spread / abs(savings_fraction) * 100.0
