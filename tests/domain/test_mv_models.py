"""Baseline model choice by criteria (GB/T 28750 基期能耗-影响因素模型): known truth recovered, rules kept."""

from __future__ import annotations

import itertools
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcarbon.domain.mv_models import BaselineModel, Grid, Observations, Selection, degree_days, select_baseline
from dualcarbon.domain.mv_stats import ols

sys.path.insert(0, str(Path(__file__).parent))  # mv_synthetic beside this file (importlib mode)
from mv_synthetic import Truth, daily

HEATING = Grid(10, 24, 1)
COOLING = Grid(15, 30, 1)


def observations(truth: Truth, seed: int, days: int = 365) -> Observations:
    periods, _ = daily(truth, date(2023, 1, 1), days, seed)
    return Observations(
        energy=np.array([p.energy for p in periods]),
        days=np.ones(days),
        production={"production": np.array([(p.production or {})["production"] for p in periods])},
        temperature_c=np.array([p.temperature_c for p in periods]),
    )


def test_degree_days_hand_worked() -> None:
    # Monthly means 10 °C (31 d) and 25 °C (30 d): HDD(18) = 8 × 31 = 248 and 0; CDD(20) = 0 and 5 × 30 = 150.
    temperature, days = np.array([10.0, 25.0]), np.array([31.0, 30.0])
    assert degree_days(temperature, days, np.array([18.0]), heating=True).tolist() == [[248.0, 0.0]]
    assert degree_days(temperature, days, np.array([20.0]), heating=False).tolist() == [[0.0, 150.0]]


def test_production_and_cooling_recovered() -> None:
    # Truth: E = 500 + 2·P + 40·CDD(20 °C) + N(0, 25²) per day.
    model = select_baseline(observations(Truth(), seed=11), "day", HEATING, COOLING, 0.1)
    assert model.kind == "production+cdd"
    production, cooling = model.terms
    assert cooling.balance_point_c is not None and abs(cooling.balance_point_c - 20) <= 1
    assert abs(production.coefficient - 2.0) < 3 * production.std_error
    assert cooling.p_value < 0.1 and production.p_value < 0.1
    assert model.r2 is not None and model.r2 > 0.9


def test_heating_only_building_gets_an_hdd_model() -> None:
    # Truth: E = 300 + 25·HDD(15 °C), no production or cooling dependence.
    obs = observations(Truth(intercept=300, per_production=0, per_cdd=0, per_hdd=25, heating_c=15, noise=15), seed=3)
    model = select_baseline(Observations(obs.energy, obs.days, {}, obs.temperature_c), "day", HEATING, COOLING, 0.1)
    assert model.kind == "hdd"
    assert model.terms[0].balance_point_c is not None and abs(model.terms[0].balance_point_c - 15) <= 1


def test_a_slope_of_the_wrong_sign_is_never_chosen() -> None:
    # Energy falling with production (−3 per unit) is not physical for a baseline: the production term is refused.
    obs = observations(Truth(per_production=-3.0, noise=5), seed=5)
    model = select_baseline(obs, "day", HEATING, COOLING, 0.1)
    assert "production" not in model.kind
    assert all(term.coefficient > 0 and term.p_value < 0.1 for term in model.terms)


def _brute_force(
    obs: Observations, heating: Grid, cooling: Grid, p_max: float
) -> tuple[str, float | None, float | None]:
    """Every candidate fitted one by one with lstsq; the rules of the module docstring applied literally."""
    best: tuple[float, str, float | None, float | None] = (0.0, "intercept", None, None)
    production = obs.production["production"]
    assert obs.temperature_c is not None
    for with_p in (False, True):
        for th, tc in itertools.chain(
            [(None, None)],
            ((h, None) for h in heating.points()),
            ((None, c) for c in cooling.points()),
            ((h, c) for h in heating.points() for c in cooling.points() if h <= c),
        ):
            if not with_p and th is None and tc is None:
                continue
            columns = [production] if with_p else []
            if th is not None:
                columns.append(degree_days(obs.temperature_c, obs.days, np.array([th]), True)[0])
            if tc is not None:
                columns.append(degree_days(obs.temperature_c, obs.days, np.array([tc]), False)[0])
            design = np.column_stack([np.ones(obs.n), *columns])
            if np.linalg.matrix_rank(design) < design.shape[1]:
                continue
            fit = ols(design, obs.energy)
            if all(t > 0 and p < p_max for t, p in zip(fit.t_stats[1:], fit.p_values[1:], strict=True)):
                kind = "+".join(
                    k for k, on in (("production", with_p), ("hdd", th is not None), ("cdd", tc is not None)) if on
                )
                assert fit.adj_r2 is not None
                if fit.adj_r2 > best[0] + 1e-12:
                    best = (fit.adj_r2, kind, th, tc)
    return best[1], best[2], best[3]


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from([0.0, 1.0, 2.0]), st.sampled_from([0.0, 20.0]))
@settings(max_examples=15)
def test_the_search_equals_a_literal_brute_force(seed: int, per_production: float, per_hdd: float) -> None:
    heating, cooling = Grid(12, 16, 2), Grid(18, 22, 2)
    obs = observations(Truth(per_production=per_production, per_hdd=per_hdd, noise=60), seed=seed, days=120)
    model = select_baseline(obs, "day", heating, cooling, 0.1)
    hdd, cdd = model.term("hdd"), model.term("cdd")
    found = (model.kind, hdd and hdd.balance_point_c, cdd and cdd.balance_point_c)
    assert found == _brute_force(obs, heating, cooling, 0.1)


def test_model_round_trips_through_strict_json_and_refits_the_same() -> None:
    obs = observations(Truth(), seed=8)
    model = select_baseline(obs, "day", HEATING, COOLING, 0.1)
    text = json.dumps(model.to_dict(), allow_nan=False)
    again = BaselineModel.from_dict(json.loads(text))
    assert again == model
    assert np.array_equal(again.predict(obs), model.predict(obs))
    assert select_baseline(obs, "day", HEATING, COOLING, 0.1) == model  # re-fitting gives the same model
    with pytest.raises(ValueError, match=r"not a dualcarbon\.mv-model/1"):
        BaselineModel.from_dict({**model.to_dict(), "schema": "other"})


def test_monthly_production_model() -> None:
    # 24 months, E = 1,000 + 0.5·P (totals per month) + N(0, 20²): a production-only model with b ≈ 0.5.
    rng = np.random.default_rng(2)
    production = rng.uniform(5_000, 9_000, 24)
    energy = 1_000 + 0.5 * production + rng.normal(0, 20, 24)
    obs = Observations(energy, np.full(24, 30.0), {"clinker_t": production}, None)
    model = select_baseline(obs, "month", HEATING, COOLING, 0.1)
    assert model.kind == "production" and model.terms[0].name == "clinker_t"
    assert model.terms[0].coefficient == pytest.approx(0.5, abs=3 * model.terms[0].std_error)
    assert model.candidates_tried == 2  # intercept only, production


# ---- selection options: minimum days per sloped segment, refined balance points (mv_criteria rows) ----------
def _sse(model: BaselineModel, obs: Observations) -> float:
    residuals = obs.energy - model.predict(obs)
    return float(residuals @ residuals)


def test_refined_balance_points_land_off_the_grid_and_never_fit_worse() -> None:
    # Truth: E = 300 + 25·HDD(15.35 °C) + N(0, 5²) — between grid points of 1 °C.
    truth = Truth(intercept=300, per_production=0, per_cdd=0, per_hdd=25, heating_c=15.35, noise=5)
    full = observations(truth, seed=4)
    obs = Observations(full.energy, full.days, {}, full.temperature_c)
    coarse = select_baseline(obs, "day", HEATING, COOLING, 0.1)
    fine = select_baseline(obs, "day", HEATING, COOLING, 0.1, Selection(refine_step_c=0.05))
    coarse_hdd, fine_hdd = coarse.term("hdd"), fine.term("hdd")
    assert coarse_hdd is not None and fine_hdd is not None and fine.kind == coarse.kind == "hdd"
    assert coarse_hdd.balance_point_c in (15.0, 16.0)
    assert fine_hdd.balance_point_c is not None and abs(fine_hdd.balance_point_c - 15.35) <= 0.1
    assert round(fine_hdd.balance_point_c / 0.05) * 0.05 == pytest.approx(fine_hdd.balance_point_c)  # on the step
    assert _sse(fine, obs) <= _sse(coarse, obs)
    assert fine.candidates_tried > coarse.candidates_tried
    # the refined model is still deterministic and serialisable
    assert select_baseline(obs, "day", HEATING, COOLING, 0.1, Selection(refine_step_c=0.05)) == fine
    assert BaselineModel.from_dict(json.loads(json.dumps(fine.to_dict()))) == fine


def test_a_refined_search_stays_inside_the_grid_bounds() -> None:
    # Truth at 9.6 °C, below the heating grid's lowest point (10 °C): refinement does not leave the grid.
    truth = Truth(intercept=300, per_production=0, per_cdd=0, per_hdd=25, heating_c=9.6, noise=5)
    full = observations(truth, seed=6)
    obs = Observations(full.energy, full.days, {}, full.temperature_c)
    model = select_baseline(obs, "day", HEATING, COOLING, 0.1, Selection(refine_step_c=0.05))
    for term in model.terms:
        assert term.balance_point_c is not None
        grid = HEATING if term.kind == "hdd" else COOLING
        assert grid.start_c <= term.balance_point_c <= grid.stop_c


def test_segment_minimum_keeps_change_points_off_the_extreme_days() -> None:
    # Truth CDD(27 °C): 50 of the 365 days lie above 27 °C, and the unconstrained search picks 27 °C. With at
    # least 60 days per sloped segment that point is refused and the chosen terms all have 60 days or more.
    truth = Truth(intercept=500, per_production=0, per_cdd=40, cooling_c=27.0, noise=25)
    full = observations(truth, seed=9)
    obs = Observations(full.energy, full.days, {}, full.temperature_c)
    assert obs.temperature_c is not None
    minimum = 60
    free = select_baseline(obs, "day", HEATING, COOLING, 1.0).term("cdd")
    assert free is not None and free.balance_point_c == 27.0 and int((obs.temperature_c > 27.0).sum()) == 50
    model = select_baseline(obs, "day", HEATING, COOLING, 1.0, Selection(segment_min_periods=minimum))
    for term in model.terms:
        assert term.balance_point_c is not None
        sloped = (
            obs.temperature_c < term.balance_point_c if term.kind == "hdd" else obs.temperature_c > term.balance_point_c
        )
        assert int(sloped.sum()) >= minimum


def test_p_max_one_keeps_every_positive_slope() -> None:
    # p_max = 1: the critical t is t(0.5) = 0, so a slope qualifies when it is positive (OpenDSM legacy: slopes ≥ 0)
    from dualcarbon.domain.mv_stats import t_quantile

    assert t_quantile(0.5, 300) == pytest.approx(0.0, abs=1e-9)
    obs = observations(Truth(per_production=0.05, noise=60), seed=2)  # a production slope too weak for p < 0.1
    strict = select_baseline(obs, "day", HEATING, COOLING, 0.1)
    loose = select_baseline(obs, "day", HEATING, COOLING, 1.0)
    assert all(t.coefficient > 0 for t in loose.terms)
    assert loose.adj_r2 is not None and strict.adj_r2 is not None and loose.adj_r2 >= strict.adj_r2
