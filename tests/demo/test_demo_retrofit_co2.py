"""The demo's measures carry tCO₂/a computed from their tce/a (demo/retrofit.py ``_measures``), through the
report figures' factors — no demo database needed, only the plan and the shipped reference tables."""

from __future__ import annotations

import pytest

from dualcarbon.demo import DemoSpec, plan_city
from dualcarbon.demo.plan import CityPlan, EnterprisePlan
from dualcarbon.demo.retrofit import MEASURES, _measures, tco2_per_tce
from dualcarbon.reference import shipped_reference

REFERENCE = shipped_reference()


@pytest.fixture(scope="module")
def plan() -> CityPlan:
    return plan_city(DemoSpec(enterprises=30, districts=5, seed=7, latest_year=2023), REFERENCE)


def _consumed(enterprise: EnterprisePlan) -> list[dict[str, object]]:
    return [line for line in enterprise.latest.content["energy_lines"] if line.get("use", "fuel") == "fuel"]


def test_every_measure_has_tco2_per_year(plan: CityPlan) -> None:
    for enterprise in plan.enterprises[:10]:
        measures = _measures(enterprise, tuple(range(len(MEASURES))), REFERENCE, plan.province[1])
        for measure in measures:
            assert measure.saving_tco2_per_year is not None and measure.saving_tco2_per_year > 0
            # between natural gas (≈ 1.6 tCO₂/tce) and grid electricity (≈ 4.0–4.3 tCO₂/tce by 当量值)
            assert 1.5 < measure.saving_tco2_per_year / measure.saving_tce_per_year < 4.5


def test_an_electricity_measure_uses_the_grid_factor_over_the_electricity_coefficient(plan: CityPlan) -> None:
    # The demo city lies in 浙江省: its 2023 provincial average, GRID-019 0.4974 kgCO₂/kWh; 1 kWh = 0.1229 kgce
    # (当量值, CC-036) → 0.4974 / 0.1229 = 4.04719 tCO₂ per tce of electricity saved.
    assert plan.province[1] == "浙江省"
    enterprise = plan.enterprises[0]
    assert tco2_per_tce(enterprise, "electricity", REFERENCE, plan.province[1]) == pytest.approx(
        0.4974 / 0.1229, rel=1e-9
    )
    (motor,) = _measures(enterprise, (0,), REFERENCE, plan.province[1])  # 电机系统变频调速改造 saves electricity
    assert motor.saving_tco2_per_year == round(motor.saving_tce_per_year * 0.4974 / 0.1229, 1)


def test_a_thermal_measure_uses_the_other_carriers_and_never_feedstock(plan: CityPlan) -> None:
    mixed = next(
        e
        for e in plan.enterprises
        if any(REFERENCE.carrier(str(line["carrier"])).kind == "fuel" for line in _consumed(e))
    )
    thermal = tco2_per_tce(mixed, "thermal", REFERENCE, plan.province[1])
    electric = tco2_per_tce(mixed, "electricity", REFERENCE, plan.province[1])
    assert thermal is not None and electric is not None and thermal < electric  # fuels emit less per tce
    feedstock = next(
        (
            e
            for e in plan.enterprises
            if any(line.get("use") == "feedstock" for line in e.latest.content["energy_lines"])
        ),
        None,
    )
    if feedstock is not None:  # natural gas as feedstock (原料) is not burnt: the ratio is that of the fuel lines
        ratio = tco2_per_tce(feedstock, "all", REFERENCE, plan.province[1])
        assert ratio is not None and ratio > 1.5
