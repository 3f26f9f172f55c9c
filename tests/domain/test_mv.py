"""GB/T 28750 baseline model and 校准能耗 (research notes §8 W17) and the OLS fit statistics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.mv import LinearBaselineModel, adjusted_baseline, fit_baseline, verified_saving

W17 = LinearBaselineModel(intercept=500.0, coefficients={"production_kt": 2.0}, energy_unit="MWh")


def test_w17_adjusted_baseline_and_saving() -> None:
    # W17: E = 500 + 2.0 × P; P = 300 kt → 校准能耗 = 500 + 600 = 1,100 MWh;
    # measured 1,000 MWh → 节能量 = 1,000 − 1,100 = −100 MWh (IPMVP avoided energy +100 MWh).
    assert adjusted_baseline(W17, {"production_kt": 300}) == pytest.approx(1_100)
    result = verified_saving(W17, {"production_kt": 300}, 1_000)
    assert result.adjusted_baseline == pytest.approx(1_100)
    assert result.signed == pytest.approx(-100)
    assert result.avoided == pytest.approx(100)
    assert result.energy_unit == "MWh"


def test_missing_or_unknown_factor_is_named() -> None:
    with pytest.raises(InvalidInput) as error:
        W17.predict({})
    assert error.value.field == "factors.production_kt"
    with pytest.raises(InvalidInput) as error:
        W17.predict({"production_kt": 1, "hdd": 3})
    assert error.value.field == "factors.hdd"


def test_fit_recovers_w17_model_exactly() -> None:
    # Samples on the line E = 500 + 2P: the fit is exact, R² = 1, CV(RMSE) = 0, NMBE = 0.
    samples = [{"production_kt": p} for p in (100, 200, 300, 400)]
    fitted = fit_baseline(samples, [700, 900, 1_100, 1_300], "MWh")
    assert fitted.model.intercept == pytest.approx(500)
    assert fitted.model.coefficients["production_kt"] == pytest.approx(2.0)
    assert fitted.r_squared == pytest.approx(1.0)
    assert fitted.cv_rmse_pct == pytest.approx(0.0, abs=1e-9)
    assert fitted.nmbe_pct == pytest.approx(0.0, abs=1e-9)


def test_fit_statistics_hand_worked() -> None:
    # x = 1,2,3,4; y = 2,4,5,8. x̄ = 2.5, ȳ = 4.75; Σdx·dy = 9.5, Σdx² = 5 → slope 1.9, intercept 4.75 − 4.75 = 0.
    # ŷ = 1.9, 3.8, 5.7, 7.6; residuals 0.1, 0.2, −0.7, 0.4; SSE = 0.70; SST = 18.75.
    # R² = 1 − 0.70/18.75 = 0.962667; CV(RMSE) = √(0.70/(4 − 2)) / 4.75 × 100 = 12.4549 %; NMBE = 0 (OLS).
    fitted = fit_baseline([{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}], [2, 4, 5, 8], "MWh")
    assert fitted.model.coefficients["x"] == pytest.approx(1.9)
    assert fitted.model.intercept == pytest.approx(0.0, abs=1e-12)
    assert fitted.r_squared == pytest.approx(1 - 0.70 / 18.75)
    assert fitted.cv_rmse_pct == pytest.approx(math.sqrt(0.35) / 4.75 * 100)
    assert fitted.nmbe_pct == pytest.approx(0.0, abs=1e-9)


def test_fit_needs_more_samples_than_parameters() -> None:
    with pytest.raises(InvalidInput, match="need at least 3"):
        fit_baseline([{"x": 1}, {"x": 2}], [1, 2], "MWh")


def test_fit_refuses_constant_factor() -> None:
    with pytest.raises(InvalidInput, match="constant or collinear"):
        fit_baseline([{"x": 1}, {"x": 1}, {"x": 1}], [1, 2, 3], "MWh")


def test_fit_refuses_inconsistent_samples() -> None:
    with pytest.raises(InvalidInput) as error:
        fit_baseline([{"x": 1}, {"y": 2}, {"x": 3}], [1, 2, 3], "MWh")
    assert error.value.field == "samples[1]"


@given(
    st.floats(min_value=-1e3, max_value=1e3),
    st.floats(min_value=-10, max_value=10),
    st.lists(st.floats(min_value=0, max_value=1e3), min_size=3, max_size=12, unique=True),
)
def test_fit_recovers_any_exact_line(intercept: float, slope: float, xs: list[float]) -> None:
    if max(xs) - min(xs) < 1:
        return
    fitted = fit_baseline([{"x": x} for x in xs], [intercept + slope * x for x in xs], "MWh")
    assert fitted.model.intercept == pytest.approx(intercept, abs=1e-6)
    assert fitted.model.coefficients["x"] == pytest.approx(slope, abs=1e-6)
