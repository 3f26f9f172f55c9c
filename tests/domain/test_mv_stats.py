"""M&V statistics: Student t from the incomplete beta, OLS t-statistics, autocorrelation and the G14 FSU."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcarbon.domain.mv_stats import (
    effective_sample_size,
    fractional_savings_uncertainty,
    lag1_autocorrelation,
    ols,
    ols_subsets,
    regularized_incomplete_beta,
    t_cdf,
    t_quantile,
    t_two_sided_p,
)


@pytest.mark.parametrize(
    "probability, dof, table",
    [
        (0.95, 10, 1.812),  # Student t table, one-sided 5 %, 10 d.f.
        (0.975, 5, 2.571),
        (0.995, 20, 2.845),
        (0.95, 1, 6.314),
        (0.95, 1_000_000, 1.645),  # → the normal quantile 1.6449
    ],
)
def test_t_quantiles_match_the_printed_table(probability: float, dof: int, table: float) -> None:
    assert t_quantile(probability, dof) == pytest.approx(table, abs=5e-4)


def test_incomplete_beta_closed_forms() -> None:
    # I_x(1, 1) = x;  I_x(a, 1) = x^a;  I_½(a, a) = ½ by symmetry.
    assert regularized_incomplete_beta(0.3, 1, 1) == pytest.approx(0.3)
    assert regularized_incomplete_beta(0.6, 3, 1) == pytest.approx(0.6**3)
    assert regularized_incomplete_beta(0.5, 7.5, 7.5) == pytest.approx(0.5)


def test_t_with_two_degrees_of_freedom_has_a_closed_form() -> None:
    # ν = 2: P(|T| ≥ t) = 1 − t / √(t² + 2).  t = 3 → 1 − 3/√11 = 0.0954451.
    assert t_two_sided_p(3.0, 2) == pytest.approx(1 - 3 / math.sqrt(11))
    assert t_cdf(-3.0, 2) == pytest.approx((1 - 3 / math.sqrt(11)) / 2)


@given(st.floats(min_value=0.51, max_value=0.999), st.integers(min_value=1, max_value=500))
@settings(max_examples=40)
def test_quantile_inverts_cdf(probability: float, dof: int) -> None:
    assert t_cdf(t_quantile(probability, dof), dof) == pytest.approx(probability, abs=1e-9)


def test_ols_hand_worked() -> None:
    # x = 1,2,3,4; y = 2,4,5,8 → slope 1.9, intercept 0; residuals 0.1, 0.2, −0.7, 0.4; SSE = 0.70, SST = 18.75.
    # σ² = 0.70/2 = 0.35; Σ(x − x̄)² = 5 → se(slope) = √(0.35/5) = 0.2645751; t² = 3.61/0.07 = 51.571429,
    # t = 7.181325. ν = 2: p = 1 − t/√(t² + 2) = 1 − 7.181325/7.319251 = 0.018844.
    # adjusted R² = 1 − (0.70/18.75) × 3/2 = 0.944; ρ₁ = (0.02 − 0.14 − 0.28)/0.70 = −0.571429.
    fit = ols(np.array([[1, 1], [1, 2], [1, 3], [1, 4]], dtype=float), np.array([2, 4, 5, 8], dtype=float))
    assert fit.coefficients[1] == pytest.approx(1.9)
    assert fit.std_errors[1] == pytest.approx(math.sqrt(0.35 / 5))
    assert fit.t_stats[1] == pytest.approx(math.sqrt(3.61 / 0.07))
    assert fit.p_values[1] == pytest.approx(1 - 7.181325 / 7.319251, rel=1e-5)
    assert fit.adj_r2 == pytest.approx(1 - 0.70 / 18.75 * 1.5)
    assert fit.autocorrelation == pytest.approx(-0.4 / 0.7)
    assert lag1_autocorrelation(np.zeros(5)) == 0.0


@given(st.integers(min_value=0, max_value=2**32 - 1))
@settings(max_examples=25)
def test_subset_fits_agree_with_the_full_fit(seed: int) -> None:
    # The centred Gram-matrix fits of the candidate search give the t-statistics and adjusted R² of lstsq.
    rng = np.random.default_rng(seed)
    columns = rng.normal(size=(3, 40)) * np.array([[1.0], [100.0], [0.01]])
    y = 5 + columns[0] * 2 + rng.normal(size=40)
    subsets = np.array([[0, 1], [1, 2], [0, 2]])
    fits = ols_subsets(columns, y, subsets)
    for row, subset in enumerate(subsets):
        full = ols(np.column_stack([np.ones(40), *columns[subset]]), y)
        assert fits.valid[row]
        assert fits.t_stats[row] == pytest.approx(full.t_stats[1:], rel=1e-6)
        assert fits.adj_r2[row] == pytest.approx(full.adj_r2, rel=1e-9, abs=1e-12)


def test_a_constant_column_makes_its_subsets_invalid() -> None:
    columns = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    fits = ols_subsets(columns, np.array([1.0, 2.0, 2.5, 4.5, 5.0]), np.array([[0], [1]]))
    assert list(fits.valid) == [True, False]
    assert fits.adj_r2[1] == -np.inf


def test_fsu_hand_worked_without_and_with_autocorrelation() -> None:
    # CV = 10 %, n = 12, p = 2, m = 12, F = 0.2, 90 %: t(0.95, 10) = 1.812461, k = 1.26.
    # ρ = 0: n′ = 12 → √((12/12)(1 + 2/12)/12) = 0.311805 → FSU = 1.26 × 1.812461 × 0.10 × 0.311805 / 0.2 = 35.60 %.
    # ρ = 0.5: n′ = 12 × 0.5/1.5 = 4 → √(3 × 1.5 / 12) = 0.612372 → FSU = 69.92 %.
    t = 1.812461
    assert fractional_savings_uncertainty(10, 12, 2, 0.0, 12, 0.2, 0.9, 1.26) == pytest.approx(
        1.26 * t * 0.10 * math.sqrt(1.1666667 / 12) / 0.2 * 100, rel=1e-5
    )
    assert fractional_savings_uncertainty(10, 12, 2, 0.5, 12, 0.2, 0.9, 1.26) == pytest.approx(
        1.26 * t * 0.10 * math.sqrt(3 * 1.5 / 12) / 0.2 * 100, rel=1e-5
    )
    assert effective_sample_size(12, -0.3) == 12  # no credit for negative autocorrelation
    assert fractional_savings_uncertainty(10, 12, 2, 0.0, 12, 0.0, 0.9, 1.26) is None  # no saving
