"""Tests of dualcarbon.domain.carbon and dualcarbon.domain.heat against worked examples W3–W9."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput, MissingCoefficient, UnitMismatch, UnknownCarrier
from dualcarbon.domain.carbon import (
    EmissionLine,
    carbon_inventory,
    carbonate_process_co2,
    electricity_co2,
    fuel_combustion_co2,
)
from dualcarbon.domain.heat import (
    HOT_WATER_REFERENCE_TEMPERATURE_C,
    STEAM_REFERENCE_ENTHALPY_KJ_PER_KG,
    WATER_SPECIFIC_HEAT_KJ_PER_KG_C,
    heat_co2,
    heat_energy_co2,
    hot_water_co2,
    hot_water_heat_gj,
    steam_co2,
    steam_heat_gj,
)
from dualcarbon.reference import shipped_reference

REF = shipped_reference()


def measured(
    carrier: str,
    quantity: float,
    unit: str,
    *,
    ncv: float,
    carbon_content: float,
    oxidation: float,
    carbon_content_unit: str = "tC/GJ",
    biomass: bool = False,
) -> EmissionLine:
    """A combustion line with all three parameters measured, the NCV in GJ/t."""
    return fuel_combustion_co2(
        REF,
        carrier,
        quantity,
        unit,
        ncv=ncv,
        ncv_unit="GJ/t",
        carbon_content=carbon_content,
        carbon_content_unit=carbon_content_unit,
        oxidation=oxidation,
        biomass=biomass,
    )


def coal_w3() -> float:
    # W3: 1,000 t × 20 GJ/t × 27.49×10⁻³ tC/GJ × 0.94 × 44/12 = 20,000 × 0.02749 × 0.94 × 3.6667 = 1,894.98 tCO₂.
    return measured("原煤", 1000, "t", ncv=20, carbon_content=27.49e-3, oxidation=0.94).tco2


def lpg_w4() -> float:
    # W4: 5,000 kg = 5 t × 41.87 GJ/t × 17.2×10⁻³ × 0.98 × 44/12 = 209.35 × 0.0172 × 0.98 × 3.6667 = 12.94 tCO₂.
    return measured("液化石油气", 5000, "kg", ncv=41.87, carbon_content=17.2e-3, oxidation=0.98).tco2


# ---- combustion --------------------------------------------------------------------------------------


def test_w3_coal() -> None:
    assert coal_w3() == pytest.approx(1894.98, abs=0.005)


def test_w4_lpg_in_kilograms() -> None:
    assert lpg_w4() == pytest.approx(12.94, abs=0.005)


def test_w3_plus_w4_scope1_total() -> None:
    # 1,894.98 + 12.94 = 1,907.92 tCO₂.
    assert coal_w3() + lpg_w4() == pytest.approx(1907.92, abs=0.01)


def test_w6_diesel() -> None:
    # W6: 2 t × 43 GJ/t × 20.2×10⁻³ × 0.98 × 44/12 = 86 × 0.0202 × 0.98 × 3.6667 = 6.24 tCO₂.
    line = measured("柴油", 2, "t", ncv=43, carbon_content=20.2, carbon_content_unit="tC/TJ", oxidation=0.98)
    assert line.tco2 == pytest.approx(6.24, abs=0.005)
    assert line.activity == pytest.approx(86.0)  # GJ


def test_w7_natural_gas_defaults() -> None:
    # W7: EF = 389.31 GJ/万Nm³ × 15.3 tC/TJ (= 0.0153 tC/GJ) × 0.99 × 44/12 = 21.622 tCO₂/万Nm³.
    line = fuel_combustion_co2(REF, "天然气", 10_000, "m³")
    assert line.tco2 == pytest.approx(21.622, abs=0.0005)
    per_unit = {f.name: f for f in line.factors}["emission_factor_per_unit"]
    assert (per_unit.value, per_unit.unit) == (pytest.approx(21.622, abs=0.0005), "tCO2/万Nm³")
    assert {f.name: f.origin for f in line.factors if f.name in ("ncv", "carbon_content", "oxidation")} == {
        "ncv": "default",
        "carbon_content": "default",
        "oxidation": "default",
    }
    assert {f.source_row for f in line.factors if f.origin == "default"} == {"EF-021"}


def test_each_measured_parameter_wins_alone() -> None:
    # 1 万Nm³ 天然气 with a measured oxidation 0.98 only: 389.31 × 0.0153 × 0.98 × 44/12 = 21.4035 tCO₂.
    line = fuel_combustion_co2(REF, "天然气", 1, "万Nm³", oxidation=0.98)
    assert line.tco2 == pytest.approx(389.31 * 0.0153 * 0.98 * 44 / 12)
    origins = {f.name: f.origin for f in line.factors}
    assert (origins["ncv"], origins["carbon_content"], origins["oxidation"]) == ("default", "default", "measured")
    # Measured NCV 36 MJ/m³ (= 360 GJ/万Nm³) only: 360 × 0.0153 × 0.99 × 44/12 = 19.9940 tCO₂.
    ncv_only = fuel_combustion_co2(REF, "天然气", 10_000, "m³", ncv=36, ncv_unit="MJ/m³")
    assert ncv_only.tco2 == pytest.approx(360 * 0.0153 * 0.99 * 44 / 12)


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_carbon_content_units_agree(quantity_t: float) -> None:
    # 27.49 tC/TJ is 0.02749 tC/GJ.
    in_tj = measured("原煤", quantity_t, "t", ncv=20, carbon_content=27.49, carbon_content_unit="tC/TJ", oxidation=0.94)
    in_gj = measured(
        "原煤", quantity_t, "t", ncv=20, carbon_content=0.02749, carbon_content_unit="tC/GJ", oxidation=0.94
    )
    assert in_tj.tco2 == pytest.approx(in_gj.tco2, rel=1e-12, abs=1e-12)


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_giving_the_defaults_explicitly_changes_nothing(quantity_t: float) -> None:
    # 柴油 defaults (EF-013): 42.652 GJ/t, 20.2 tC/TJ, 98 %.
    default = fuel_combustion_co2(REF, "柴油", quantity_t, "t")
    explicit = measured(
        "柴油", quantity_t, "t", ncv=42.652, carbon_content=20.2, carbon_content_unit="tC/TJ", oxidation=0.98
    )
    assert explicit.tco2 == pytest.approx(default.tco2, rel=1e-12, abs=1e-12)


def test_biomass_is_reported_apart() -> None:
    # 10 t 生物质 at 16 GJ/t × 0.03 tC/GJ × 0.9 × 44/12 = 15.84 tCO₂ — outside the total.
    biomass = measured("生物质颗粒", 10, "t", ncv=16, carbon_content=0.03, oxidation=0.9, biomass=True)
    inventory = carbon_inventory([biomass, fuel_combustion_co2(REF, "天然气", 1, "万Nm³")])
    assert inventory.biomass_tco2 == pytest.approx(15.84)
    assert inventory.total_tco2 == pytest.approx(21.622, abs=0.0005)


@pytest.mark.parametrize(
    ("kwargs", "field", "error"),
    [
        ({"carrier": "原煤", "quantity": 1, "unit": "t", "oxidation": 1.2}, "oxidation", InvalidInput),
        ({"carrier": "天然气", "quantity": 1, "unit": "m³", "oxidation": -0.1}, "oxidation", InvalidInput),
        ({"carrier": "柴油", "quantity": -1, "unit": "t"}, "quantity", InvalidInput),
        ({"carrier": "柴油", "quantity": 1, "unit": "kWh"}, "unit", UnitMismatch),
        ({"carrier": "柴油", "quantity": 1, "unit": "t", "ncv": 43}, "ncv_unit", InvalidInput),
        ({"carrier": "柴油", "quantity": 1, "unit": "t", "ncv": 43, "ncv_unit": "t/t"}, "ncv_unit", UnitMismatch),
        ({"carrier": "柴油", "quantity": 1, "unit": "t", "carbon_content": 20}, "carbon_content_unit", InvalidInput),
        (
            {"carrier": "柴油", "quantity": 1, "unit": "t", "carbon_content": 20, "carbon_content_unit": "tCO2/TJ"},
            "carbon_content_unit",
            UnitMismatch,
        ),
        ({"carrier": "木柴X", "quantity": 1, "unit": "t"}, "carrier", UnknownCarrier),
        ({"carrier": "木柴X", "quantity": 1, "unit": "t", "biomass": True}, "carrier", InvalidInput),
    ],
)
def test_combustion_errors_name_the_field(kwargs: dict[str, object], field: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        fuel_combustion_co2(REF, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_fuel_without_defaults_needs_measured_parameters() -> None:
    # 原煤 has no row in emission_factors (only 无烟煤/烟煤/褐煤 …).
    with pytest.raises(MissingCoefficient, match="原煤"):
        fuel_combustion_co2(REF, "原煤", 1, "t")


# ---- process --------------------------------------------------------------------------------------------


def test_w9_calcium_carbonate_factor() -> None:
    # W9 (recomputed for issue #7 §7): the factor is the reference row EF-029, 0.440 tCO₂/t, no longer the
    # molar-mass ratio 0.4397: 1 t CaCO₃ × 0.440 = 0.440 tCO₂.
    line = carbonate_process_co2(REF, 1, "t", mineral="CaCO3")
    assert line.tco2 == pytest.approx(0.440, abs=1e-9)
    factor = line.factors[0]
    assert (factor.name, factor.value, factor.origin, factor.source_row) == (
        "carbonate_factor",
        0.44,
        "default",
        "EF-029",
    )
    # The row is "uncertain" (the guideline table itself was not seen), so the factor is not verified.
    assert factor.verified is False
    assert "0.4400" in factor.source
    # MgCO₃, named in Chinese, row EF-030: 1,000 kg = 1 t × 0.522 = 0.522 tCO₂.
    magnesium = carbonate_process_co2(REF, 1000, "kg", mineral="碳酸镁")
    assert magnesium.tco2 == pytest.approx(0.522, abs=1e-9)
    assert magnesium.factors[0].source_row == "EF-030" and magnesium.label == "MgCO3"
    # Formula with a subscript and English names resolve to the same rows.
    assert carbonate_process_co2(REF, 1, "t", mineral="CaCO₃").factors[0].source_row == "EF-029"
    assert carbonate_process_co2(REF, 1, "t", mineral="calcium carbonate").factors[0].source_row == "EF-029"
    assert carbonate_process_co2(REF, 1, "t", mineral="Magnesium Carbonate").factors[0].source_row == "EF-030"


def test_carbonate_reference_rows_agree_with_molar_masses() -> None:
    # Cross-check only (the code reads the rows): IUPAC molar masses CO₂ 44.0095, CaCO₃ 100.0869, MgCO₃ 84.3139 g/mol.
    # 44.0095 / 100.0869 = 0.43971 → 0.440 at 3 decimals; 44.0095 / 84.3139 = 0.52197 → 0.522.
    by_formula = {f.formula: f for f in REF.carbonate_factors()}
    assert set(by_formula) == {"CaCO3", "MgCO3"}
    assert by_formula["CaCO3"].value == round(44.0095 / 100.0869, 3) == 0.440
    assert by_formula["MgCO3"].value == round(44.0095 / 84.3139, 3) == 0.522
    assert by_formula["CaCO3"].value == pytest.approx(44.0095 / 100.0869, abs=0.0005)
    assert by_formula["MgCO3"].value == pytest.approx(44.0095 / 84.3139, abs=0.0005)


def test_carbonate_purity_and_explicit_factor() -> None:
    # 100 t limestone at 90 % CaCO3: 100 × 0.9 × 0.440 = 39.6 tCO₂ (was 39.574 with the molar-mass 0.43971).
    assert carbonate_process_co2(REF, 100, "t", mineral="CaCO3", purity=0.9).tco2 == pytest.approx(39.6, abs=1e-9)
    # Dolomite with a given factor 0.477 tCO₂/t: 10 t × 0.477 = 4.77 tCO₂.
    line = carbonate_process_co2(REF, 10, "t", mineral="白云石", factor_tco2_per_t=0.477)
    assert line.tco2 == pytest.approx(4.77)
    assert line.factors[0].origin == "given"
    # A given factor also wins over a mineral that has a row: 10 t × 0.43971 = 4.3971.
    given = carbonate_process_co2(REF, 10, "t", mineral="CaCO3", factor_tco2_per_t=0.43971)
    assert given.tco2 == pytest.approx(4.3971) and given.factors[0].source_row is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": 1, "unit": "t"}, "mineral"),
        ({"quantity": 1, "unit": "t", "mineral": "dolomite"}, "mineral"),
        ({"quantity": 1, "unit": "t", "mineral": "CaCO3", "purity": 1.5}, "purity"),
        ({"quantity": 1, "unit": "m³", "mineral": "CaCO3"}, "unit"),
        ({"quantity": -1, "unit": "t", "mineral": "CaCO3"}, "quantity"),
    ],
)
def test_carbonate_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises((InvalidInput, UnitMismatch)) as caught:
        carbonate_process_co2(REF, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_unknown_carbonate_names_the_rows_there_are() -> None:
    with pytest.raises(InvalidInput, match=r"have: CaCO3, MgCO3"):
        carbonate_process_co2(REF, 1, "t", mineral="BaCO3")


# ---- electricity ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "basis", "expected", "row"),
    [
        (2021, "average", 2784.0, "GRID-041"),  # W5: 5,000 MWh × 0.5568 = 2,784 tCO₂
        (2022, "average", 2683.0, "GRID-046"),  # 5,000 × 0.5366 = 2,683
        (2023, "average", 2653.0, "GRID-001"),  # 5,000 × 0.5306 = 2,653
        (2022, "excluding_market_nonfossil", 2928.0, "GRID-049"),  # 5,000 × 0.5856 = 2,928 (uncertain row)
    ],
)
def test_w5_purchased_electricity(year: int, basis: str, expected: float, row: str) -> None:
    line = electricity_co2(REF, 5000, "MWh", year=year, basis=basis)
    assert line.tco2 == pytest.approx(expected)
    assert line.factors[0].source_row == row


def test_w5_in_ten_thousand_kwh_and_unverified_warning() -> None:
    # 500 万kWh = 5,000 MWh → 2,784 tCO₂ (2021).
    assert electricity_co2(REF, 500, "万千瓦时", year=2021).tco2 == pytest.approx(2784.0)
    inventory = carbon_inventory([electricity_co2(REF, 5000, "MWh", year=2022, basis="excluding_market_nonfossil")])
    assert inventory.unverified_rows == ("GRID-049",)
    assert "GRID-049" in inventory.warnings[0]


def test_regional_factor_and_given_factor() -> None:
    # 1,000 MWh in 华东 2023: × 0.5500 = 550 tCO₂.
    assert electricity_co2(REF, 1000, "MWh", year=2023, region="华东").tco2 == pytest.approx(550.0)
    # A given 0.5703 kgCO₂/kWh (= tCO₂/MWh) wins: 5,000 × 0.5703 = 2,851.5 tCO₂.
    given_factor = electricity_co2(REF, 5000, "MWh", year=2021, factor=0.5703, factor_unit="kgCO2/kWh")
    assert given_factor.tco2 == pytest.approx(2851.5)
    assert given_factor.factors[0].origin == "given"
    # 5,703 tCO₂/万kWh would be 570.3 tCO₂/MWh: 10 MWh = 1 万kWh → 5,703 tCO₂ (unit conversion only).
    assert electricity_co2(REF, 10, "MWh", factor=5703, factor_unit="tCO₂/万kWh").tco2 == pytest.approx(5703.0)


def test_green_power_with_evidence_counts_zero() -> None:
    # 10 MWh, 4 MWh green with evidence, 2023 national 0.5306: (10 − 4) × 0.5306 = 3.1836 tCO₂.
    line = electricity_co2(REF, 10_000, "kWh", year=2023, green_quantity=4000, green_evidence="GEC 2023-001")
    assert line.tco2 == pytest.approx(3.1836)
    assert "GEC 2023-001" in line.notes[0]
    with pytest.raises(InvalidInput) as caught:
        electricity_co2(REF, 10, "MWh", year=2023, green_quantity=4)
    assert caught.value.field == "green_evidence"
    with pytest.raises(InvalidInput) as too_much:
        electricity_co2(REF, 10, "MWh", year=2023, green_quantity=11, green_evidence="x")
    assert too_much.value.field == "green_quantity"


def test_electricity_errors() -> None:
    with pytest.raises(InvalidInput) as no_year:
        electricity_co2(REF, 10, "MWh")
    assert no_year.value.field == "year"
    with pytest.raises(MissingCoefficient, match="2020"):
        electricity_co2(REF, 10, "MWh", year=2020)
    with pytest.raises(UnitMismatch) as wrong_unit:
        electricity_co2(REF, 10, "t", year=2023)
    assert wrong_unit.value.field == "unit"
    with pytest.raises(UnitMismatch) as wrong_factor:
        electricity_co2(REF, 10, "MWh", factor=0.5, factor_unit="kg/kWh")
    assert wrong_factor.value.field == "factor_unit"
    with pytest.raises(InvalidInput) as bad_basis:
        electricity_co2(REF, 10, "MWh", year=2023, basis="marginal")
    assert bad_basis.value.field == "basis"


# ---- heat -----------------------------------------------------------------------------------------------


def test_formula_constants() -> None:
    assert (STEAM_REFERENCE_ENTHALPY_KJ_PER_KG, HOT_WATER_REFERENCE_TEMPERATURE_C) == (83.74, 20.0)
    assert WATER_SPECIFIC_HEAT_KJ_PER_KG_C == 4.1868


def test_w8_steam() -> None:
    # W8: 1,000 t × (2,778 − 83.74) kJ/kg × 10⁻³ = 2,694.26 GJ; × 0.11 tCO₂/GJ = 296.37 tCO₂.
    assert steam_heat_gj(1000, "t", 2778) == pytest.approx(2694.26)
    line = steam_co2(REF, 1000, "t", 2778)
    assert line.activity == pytest.approx(2694.26)
    assert line.tco2 == pytest.approx(296.37, abs=0.005)
    assert {f.name: f.source_row for f in line.factors}["heat_factor"] == "EF-027"


def test_w8_hot_water() -> None:
    # W8: 5,000 t × (60 − 20) × 4.1868 × 10⁻³ = 837.36 GJ; × 0.11 = 92.11 tCO₂.
    assert hot_water_heat_gj(5000, "t", 60) == pytest.approx(837.36)
    assert hot_water_co2(REF, 5000, "t", 60).tco2 == pytest.approx(92.11, abs=0.005)
    # Mass in kg: 5,000,000 kg is the same 5,000 t.
    assert hot_water_heat_gj(5_000_000, "kg", 60) == pytest.approx(837.36)


def test_heat_as_energy_and_given_factor() -> None:
    # 1,000 GJ × 0.11 = 110 tCO₂; 100 Gcal = 418.68 GJ × 0.11 = 46.0548 tCO₂.
    assert heat_energy_co2(REF, 1000, "GJ").tco2 == pytest.approx(110.0)
    assert heat_energy_co2(REF, 100, "Gcal").tco2 == pytest.approx(46.0548)
    # A supplier factor 0.095 tCO₂/GJ: 1,000 × 0.095 = 95 tCO₂.
    assert heat_energy_co2(REF, 1000, "GJ", factor=0.095).tco2 == pytest.approx(95.0)
    assert heat_energy_co2(REF, 1000, "GJ", factor=95, factor_unit="kgCO2/GJ").tco2 == pytest.approx(95.0)


def test_heat_errors() -> None:
    with pytest.raises(InvalidInput) as low_enthalpy:
        steam_heat_gj(1, "t", 80)
    assert low_enthalpy.value.field == "enthalpy_kj_per_kg"
    with pytest.raises(InvalidInput) as cold:
        hot_water_heat_gj(1, "t", 15)
    assert cold.value.field == "temperature_c"
    with pytest.raises(UnitMismatch) as wrong_mass:
        steam_heat_gj(1, "m³", 2778)
    assert wrong_mass.value.field == "mass_unit"
    with pytest.raises(UnitMismatch) as wrong_energy:
        heat_energy_co2(REF, 1, "t")
    assert wrong_energy.value.field == "unit"


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.floats(min_value=20.001, max_value=200))
def test_hot_water_heat_grows_with_temperature(mass_t: float, temperature_c: float) -> None:
    assert hot_water_heat_gj(mass_t, "t", temperature_c + 1) >= hot_water_heat_gj(mass_t, "t", temperature_c)


# ---- inventory ---------------------------------------------------------------------------------------------


def test_inventory_nets_exports_and_groups_by_source() -> None:
    # Combustion W3 1,894.98 + process 1 t CaCO3 × 0.440 (row EF-029) = 0.440
    # + electricity (5,000 − 1,000 exported) × 0.5568 = 2,227.2
    # + heat 2,694.26 GJ steam × 0.11 = 296.37 − exported hot water 92.11 = 204.26
    # → 1,894.98 + 0.440 + 2,227.2 + 204.26 = 4,326.88 tCO₂ (4,326.87 with the former molar-mass 0.4397).
    lines = [
        fuel_combustion_co2(
            REF,
            "原煤",
            1000,
            "t",
            ncv=20,
            ncv_unit="GJ/t",
            carbon_content=27.49,
            carbon_content_unit="tC/TJ",
            oxidation=0.94,
        ),
        carbonate_process_co2(REF, 1, "t", mineral="CaCO3"),
        electricity_co2(REF, 5000, "MWh", year=2021),
        electricity_co2(REF, 1000, "MWh", year=2021, exported=True),
        steam_co2(REF, 1000, "t", 2778),
        hot_water_co2(REF, 5000, "t", 60, exported=True),
    ]
    inventory = carbon_inventory(lines)
    assert inventory.by_source["combustion"] == pytest.approx(1894.98, abs=0.005)
    assert inventory.by_source["process"] == pytest.approx(0.440, abs=1e-9)
    assert inventory.by_source["electricity"] == pytest.approx(2227.2)
    assert inventory.by_source["heat"] == pytest.approx(204.26, abs=0.005)
    assert inventory.total_tco2 == pytest.approx(4326.88, abs=0.01)
    assert lines[3].tco2 < 0 and lines[3].direction == "exported"


def test_heat_co2_records_how_activity_was_obtained() -> None:
    line = heat_co2(REF, 10, label="热力")
    assert line.factors[-1].name == "heat_factor"
    assert line.tco2 == pytest.approx(1.1)  # 10 GJ × 0.11


_amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(_amounts, _amounts, _amounts, st.sampled_from([2021, 2022, 2023]))
def test_total_is_the_sum_of_lines_and_exports_cancel_purchases(
    gas_m3: float, power_mwh: float, heat_gj: float, year: int
) -> None:
    lines = [
        fuel_combustion_co2(REF, "天然气", gas_m3, "m³"),
        electricity_co2(REF, power_mwh, "MWh", year=year),
        heat_energy_co2(REF, heat_gj, "GJ"),
    ]
    inventory = carbon_inventory(lines)
    assert inventory.total_tco2 == pytest.approx(sum(line.tco2 for line in lines), rel=1e-9, abs=1e-9)
    # Buying and exporting the same electricity and heat nets to zero for those sources.
    netted = carbon_inventory(
        [
            *lines,
            electricity_co2(REF, power_mwh, "MWh", year=year, exported=True),
            heat_energy_co2(REF, heat_gj, "GJ", exported=True),
        ]
    )
    assert netted.by_source["electricity"] == pytest.approx(0.0, abs=1e-6)
    assert netted.by_source["heat"] == pytest.approx(0.0, abs=1e-6)
    assert netted.total_tco2 == pytest.approx(lines[0].tco2, rel=1e-9, abs=1e-6)
