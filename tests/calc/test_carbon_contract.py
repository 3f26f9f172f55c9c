"""The ``carbon`` JSON contract (docs/contracts-energy-carbon.md#carbon): shape, numbers, error paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dualcarbon.calc.carbon import run
from dualcarbon.core.errors import DualcarbonError, InvalidInput, MissingCoefficient, UnitMismatch, UnknownCarrier
from dualcarbon.reference import shipped_reference

REF = shipped_reference()

COAL_W3 = {
    "carrier": "原煤",
    "quantity": 1000,
    "unit": "t",
    "ncv": 20,
    "ncv_unit": "GJ/t",
    "carbon_content": 27.49e-3,
    "carbon_content_unit": "tC/GJ",
    "oxidation": 0.94,
}
LPG_W4 = {
    "carrier": "液化石油气",
    "quantity": 5000,
    "unit": "kg",
    "ncv": 41.87,
    "ncv_unit": "GJ/t",
    "carbon_content": 17.2,
    "carbon_content_unit": "tC/TJ",
    "oxidation": 0.98,
}

OUTPUT_KEYS = {"total_tco2", "by_source", "biomass_tco2", "lines", "warnings", "unverified_rows"}
LINE_KEYS = {
    "field",
    "source",
    "direction",
    "label",
    "activity",
    "activity_unit",
    "tco2",
    "biomass",
    "factors",
    "notes",
}


def test_w3_w4_scope1() -> None:
    # W3 1,894.98 + W4 12.94 = 1,907.92 tCO₂.
    out = run({"fuels": [COAL_W3, LPG_W4]}, REF)
    assert set(out) == OUTPUT_KEYS
    assert out["total_tco2"] == pytest.approx(1907.92, abs=0.01)
    assert out["by_source"] == {
        "combustion": pytest.approx(1907.92, abs=0.01),
        "process": 0.0,
        "electricity": 0.0,
        "heat": 0.0,
    }
    first = out["lines"][0]
    assert set(first) == LINE_KEYS | {"parameters"}
    assert first["field"] == "fuels[0]"
    assert out["biomass_tco2"] == 0.0 and isinstance(out["biomass_tco2"], float)
    assert first["tco2"] == pytest.approx(1894.98, abs=0.005)
    assert first["parameters"] == {"ncv": "measured", "carbon_content": "measured", "oxidation": "measured"}
    json.dumps(out, ensure_ascii=False)


def test_everything_together() -> None:
    # combustion: W3 1,894.98 + W7 1 万Nm³ 天然气 21.622 = 1,916.60
    # process: 10 t CaCO3 × 0.440 (reference row EF-029) = 4.40
    # electricity: W5 5,000 MWh × 0.5568 (year 2021 from the top level) − exported 1,000 × 0.5568 = 2,227.2
    # heat: W8 steam 296.37 − exported hot water 92.11 = 204.26
    # total = 1,916.60 + 4.40 + 2,227.2 + 204.26 = 4,352.46 tCO₂
    payload = {
        "year": 2021,
        "fuels": [COAL_W3, {"carrier": "天然气", "quantity": 1, "unit": "万Nm³"}],
        "carbonates": [{"mineral": "CaCO3", "quantity": 10, "unit": "t"}],
        "electricity": {"quantity": 5000, "unit": "MWh"},
        "heat": {"steam": {"mass": 1000, "mass_unit": "t", "enthalpy_kj_per_kg": 2778}},
        "exports": {
            "electricity": {"quantity": 1000, "unit": "MWh"},
            "heat": {"hot_water": {"mass": 5000, "mass_unit": "t", "temperature_c": 60}},
        },
    }
    out = run(payload, REF)
    assert out["by_source"]["combustion"] == pytest.approx(1916.60, abs=0.005)
    assert out["by_source"]["process"] == pytest.approx(4.40, abs=1e-9)
    assert out["by_source"]["electricity"] == pytest.approx(2227.2)
    assert out["by_source"]["heat"] == pytest.approx(204.26, abs=0.005)
    assert out["total_tco2"] == pytest.approx(4352.46, abs=0.01)
    fields = [line["field"] for line in out["lines"]]
    assert fields == [
        "fuels[0]",
        "fuels[1]",
        "carbonates[0]",
        "electricity",
        "heat",
        "exports.electricity",
        "exports.heat",
    ]
    natural_gas = out["lines"][1]
    assert natural_gas["parameters"] == {"ncv": "default", "carbon_content": "default", "oxidation": "default"}
    assert {f["source_row"] for f in natural_gas["factors"] if f["origin"] == "default"} == {"EF-021"}
    grid = out["lines"][3]["factors"][0]
    assert (grid["source_row"], grid["value"], grid["verified"]) == ("GRID-041", 0.5568, True)
    assert out["lines"][6]["direction"] == "exported" and out["lines"][6]["tco2"] < 0


@pytest.mark.parametrize(("year", "expected"), [(2021, 2784.0), (2022, 2683.0), (2023, 2653.0)])
def test_w5_years(year: int, expected: float) -> None:
    # 5,000 MWh × 0.5568 / 0.5366 / 0.5306.
    out = run({"electricity": {"quantity": 5000, "unit": "MWh", "year": year}}, REF)
    assert out["total_tco2"] == pytest.approx(expected)


def test_electricity_year_overrides_the_top_level_year_and_region() -> None:
    # 1,000 MWh, electricity.year 2023 and region 华东 (0.5500) beat year 2021: 550 tCO₂.
    out = run(
        {
            "year": 2021,
            "region": "华北",
            "electricity": {"quantity": 1000, "unit": "MWh", "year": 2023, "region": "华东"},
        },
        REF,
    )
    assert out["total_tco2"] == pytest.approx(550.0)
    # Top-level region applies when the electricity block has none: 华北 2023 0.6361 → 636.1.
    out = run({"year": 2023, "region": "华北", "electricity": {"quantity": 1000, "unit": "MWh"}}, REF)
    assert out["total_tco2"] == pytest.approx(636.1)


def test_green_power() -> None:
    # All green with evidence → 0; 4 of 10 MWh green → 6 × 0.5306 = 3.1836.
    all_green = {"quantity": 10, "unit": "MWh", "year": 2023, "green": True, "green_evidence": "绿证 GEC-1"}
    assert run({"electricity": all_green}, REF)["total_tco2"] == pytest.approx(0.0)
    part = {"quantity": 10, "unit": "MWh", "year": 2023, "green_quantity": 4, "green_evidence": "PPA 2023"}
    assert run({"electricity": part}, REF)["total_tco2"] == pytest.approx(3.1836)


def test_biomass_apart_and_unverified_warning() -> None:
    # Biomass 10 t × 16 GJ/t × 0.03 tC/GJ × 0.9 × 44/12 = 15.84 tCO₂ apart; electricity 2022 excluding market
    # non-fossil (GRID-049, uncertain) 1,000 MWh × 0.5856 = 585.6 tCO₂ in the total.
    payload = {
        "fuels": [
            {
                "carrier": "秸秆",
                "quantity": 10,
                "unit": "t",
                "ncv": 16,
                "ncv_unit": "GJ/t",
                "carbon_content": 0.03,
                "carbon_content_unit": "tC/GJ",
                "oxidation": 0.9,
                "biomass": True,
            }
        ],
        "electricity": {"quantity": 1000, "unit": "MWh", "year": 2022, "basis": "excluding_market_nonfossil"},
    }
    out = run(payload, REF)
    assert out["biomass_tco2"] == pytest.approx(15.84)
    assert out["total_tco2"] == pytest.approx(585.6)
    assert out["by_source"]["combustion"] == 0.0
    assert out["unverified_rows"] == ["GRID-049"]
    assert out["warnings"][0].startswith("electricity")


def test_heat_as_energy_with_given_factor() -> None:
    # 1,000 GJ × 0.095 tCO₂/GJ = 95 tCO₂.
    out = run({"heat": {"quantity": 1000, "unit": "GJ", "factor": 0.095}}, REF)
    assert out["total_tco2"] == pytest.approx(95.0)
    assert out["lines"][0]["factors"][-1]["origin"] == "given"


@pytest.mark.parametrize(
    ("payload", "error", "field"),
    [
        ({"fuels": [{**COAL_W3, "oxidation": 1.2}]}, InvalidInput, "fuels[0].oxidation"),
        ({"fuels": [{**COAL_W3, "quantity": -1}]}, InvalidInput, "fuels[0].quantity"),
        ({"fuels": [{"carrier": "柴油", "unit": "t"}]}, InvalidInput, "fuels[0].quantity"),
        ({"fuels": [{"carrier": "柴油", "quantity": 1, "unit": "kWh"}]}, UnitMismatch, "fuels[0].unit"),
        ({"fuels": [{"carrier": "暗物质", "quantity": 1, "unit": "t"}]}, UnknownCarrier, "fuels[0].carrier"),
        ({"fuels": [{"carrier": "原煤", "quantity": 1, "unit": "t"}]}, MissingCoefficient, "fuels[0]"),
        ({"electricity": {"quantity": 1, "unit": "MWh"}}, InvalidInput, "electricity.year"),
        (
            {"electricity": {"quantity": 1, "unit": "MWh", "year": 2023, "green_quantity": 1}},
            InvalidInput,
            "electricity.green_evidence",
        ),
        (
            {
                "electricity": {
                    "quantity": 1,
                    "unit": "MWh",
                    "year": 2023,
                    "green": True,
                    "green_quantity": 1,
                    "green_evidence": "x",
                }
            },
            InvalidInput,
            "electricity.green_quantity",
        ),
        (
            {"heat": {"quantity": 1, "unit": "GJ", "steam": {"mass": 1, "mass_unit": "t", "enthalpy_kj_per_kg": 2000}}},
            InvalidInput,
            "heat",
        ),
        ({"heat": {}}, InvalidInput, "heat"),
        ({"heat": {"quantity": 1}}, InvalidInput, "heat.unit"),
        (
            {"heat": {"steam": {"mass": 1, "mass_unit": "t", "enthalpy_kj_per_kg": 50}}},
            InvalidInput,
            "heat.steam.enthalpy_kj_per_kg",
        ),
        (
            {"heat": {"hot_water": {"mass": 1, "mass_unit": "m³", "temperature_c": 60}}},
            UnitMismatch,
            "heat.hot_water.mass_unit",
        ),
        (
            {"heat": {"quantity": 1, "unit": "GJ", "factor": 0.1, "factor_unit": "kg/GJ"}},
            UnitMismatch,
            "heat.factor_unit",
        ),
        (
            {"exports": {"electricity": {"quantity": 1, "unit": "MWh", "green": True}}},
            InvalidInput,
            "exports.electricity.green",
        ),
        ({"carbonates": [{"quantity": 1, "unit": "t"}]}, InvalidInput, "carbonates[0].mineral"),
        ({"fuelz": []}, InvalidInput, "fuelz"),
    ],
)
def test_errors_name_the_field(payload: dict[str, Any], error: type[DualcarbonError], field: str) -> None:
    with pytest.raises(error) as caught:
        run(payload, REF)
    assert caught.value.field == field
