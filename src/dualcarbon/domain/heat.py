"""Purchased and exported heat (热力): activity data in GJ and its CO₂ (GB/T 32150 间接排放).

Owns E = ± AD × EF_heat (AD in GJ; EF given, or the table default 0.11 tCO₂/GJ), and the two conversion
formulas the Chinese GHG accounting guidelines use when a heat meter reads mass rather than energy, with the
three formula constants they rely on:

* steam (蒸汽):    AD_st = Ma_st × (En_st − 83.74) × 10⁻³        [GJ]  (Ma t, En kJ/kg)
* hot water (热水): AD_w  = Ma_w × (T_w − 20) × 4.1868 × 10⁻³     [GJ]  (Ma t, T °C)

Source of the formulas and constants: the NDRC sector accounting guidelines (2013–2015, e.g. the
热力 activity-data formulas of 《工业其他行业企业温室气体排放核算方法与报告指南（试行）》) as carried into the
GB/T 32151 series; transcribed in shared/research/cn-requirements.md §5.1 (clause not yet checked
against the text). 83.74 kJ/kg is the enthalpy of feed water at 20 °C the guideline takes as reference,
20 °C the reference temperature of returned water, 4.1868 kJ/(kg·°C) the specific heat of water.
They are formula constants, not coefficients of a reference table, so they live here, named, once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.carbon import EmissionLine, FactorUsed, check_amount, convert_at, species_intensity
from dualcarbon.reference.tables import ReferenceSet

#: Reference enthalpy subtracted from the steam enthalpy (kJ/kg) — guideline formula constant.
STEAM_REFERENCE_ENTHALPY_KJ_PER_KG: Final[float] = 83.74
#: Reference (return) temperature of hot water (°C) — guideline formula constant.
HOT_WATER_REFERENCE_TEMPERATURE_C: Final[float] = 20.0
#: Specific heat of water used by the guideline (kJ/(kg·°C)) — guideline formula constant.
WATER_SPECIFIC_HEAT_KJ_PER_KG_C: Final[float] = 4.1868

_FORMULA_SOURCE: Final[str] = "GHG accounting guideline formula constant (热力 activity data)"
# 1 t × 1 kJ/kg = 1000 kJ = 10⁻³ GJ: the "× 10⁻³" of both formulas.
_GJ_PER_T_KJ_PER_KG: Final[float] = 1e-3


def _mass_t(mass: float, mass_unit: str) -> float:
    check_amount(mass, "mass")
    return convert_at(mass, mass_unit, "t", "mass_unit")


def _check_above(value: float, reference: float, what: str, field: str) -> None:
    """``value`` must be a number above the formula's ``reference`` (``what`` names it with its unit)."""
    if not math.isfinite(value) or value <= reference:
        raise InvalidInput(f"must be above the reference {what}, got {value}", field=field)


def steam_heat_gj(mass: float, mass_unit: str, enthalpy_kj_per_kg: float) -> float:
    """Heat of steam in GJ: Ma × (En − 83.74) × 10⁻³ (Ma converted to t, En in kJ/kg).

    Raises ``InvalidInput`` on ``enthalpy_kj_per_kg`` when it is not above the 83.74 kJ/kg reference
    (the formula would give zero or negative heat), on ``mass`` when negative.
    """
    mass_t = _mass_t(mass, mass_unit)
    reference = STEAM_REFERENCE_ENTHALPY_KJ_PER_KG
    _check_above(enthalpy_kj_per_kg, reference, f"enthalpy {reference} kJ/kg", "enthalpy_kj_per_kg")
    return mass_t * (enthalpy_kj_per_kg - STEAM_REFERENCE_ENTHALPY_KJ_PER_KG) * _GJ_PER_T_KJ_PER_KG


def hot_water_heat_gj(mass: float, mass_unit: str, temperature_c: float) -> float:
    """Heat of hot water in GJ: Ma × (T − 20) × 4.1868 × 10⁻³ (Ma converted to t, T in °C).

    Raises ``InvalidInput`` on ``temperature_c`` when not above the 20 °C reference, on ``mass`` when
    negative.
    """
    mass_t = _mass_t(mass, mass_unit)
    reference = HOT_WATER_REFERENCE_TEMPERATURE_C
    _check_above(temperature_c, reference, f"temperature {reference} °C", "temperature_c")
    return (
        mass_t
        * (temperature_c - HOT_WATER_REFERENCE_TEMPERATURE_C)
        * WATER_SPECIFIC_HEAT_KJ_PER_KG_C
        * _GJ_PER_T_KJ_PER_KG
    )


# ---- purchased / exported heat -------------------------------------------------------------------------


def heat_co2(
    reference: ReferenceSet,
    heat_gj: float,
    *,
    factor: float | None = None,
    factor_unit: str | None = None,
    exported: bool = False,
    activity_factors: Sequence[FactorUsed] = (),
    label: str = "热力",
) -> EmissionLine:
    """CO₂ of purchased (or exported, negative) heat: E = ± AD × EF (tCO₂), AD in GJ.

    EF: ``factor`` in ``factor_unit`` (default tCO2/GJ) wins; else the table default (0.11 tCO₂/GJ,
    GB/T 32150-2025 §7.5.6–7.5.7 per the table). ``activity_factors`` records how AD was obtained.
    """
    check_amount(heat_gj, "quantity")
    if factor is not None:
        check_amount(factor, "factor")
        unit_text = factor_unit or "tCO2/GJ"
        value = species_intensity(factor, unit_text, "CO2", "GJ", "factor_unit")
        ef = FactorUsed("heat_factor", factor, unit_text, "given")
    else:
        value, prov = reference.heat_emission_factor()
        ef = FactorUsed("heat_factor", value, "tCO2/GJ", "default", prov.source, _row_id(reference), prov.verified)
    sign = -1.0 if exported else 1.0
    return EmissionLine(
        "heat",
        "exported" if exported else "purchased",
        label,
        heat_gj,
        "GJ",
        sign * heat_gj * value,
        (*activity_factors, ef),
    )


def _row_id(reference: ReferenceSet) -> str | None:
    """Row id of the heat factor (``heat_emission_factor`` returns value and provenance only)."""
    for row in reference.tables["emission_factors"].rows:
        if row["fuel"].startswith("热力"):
            return row["row_id"]
    return None


def heat_energy_co2(
    reference: ReferenceSet,
    quantity: float,
    unit: str,
    *,
    factor: float | None = None,
    factor_unit: str | None = None,
    exported: bool = False,
) -> EmissionLine:
    """CO₂ of heat metered as energy (GJ, MJ, Gcal, 百万千焦 …): AD = quantity in GJ."""
    check_amount(quantity, "quantity")
    heat_gj = convert_at(quantity, unit, "GJ", "unit")
    return heat_co2(reference, heat_gj, factor=factor, factor_unit=factor_unit, exported=exported)


def steam_co2(
    reference: ReferenceSet,
    mass: float,
    mass_unit: str,
    enthalpy_kj_per_kg: float,
    *,
    factor: float | None = None,
    factor_unit: str | None = None,
    exported: bool = False,
) -> EmissionLine:
    """CO₂ of steam metered by mass: AD = Ma × (En − 83.74) × 10⁻³ GJ (see :func:`steam_heat_gj`)."""
    heat_gj = steam_heat_gj(mass, mass_unit, enthalpy_kj_per_kg)
    activity = (
        FactorUsed("steam_mass", _mass_t(mass, mass_unit), "t", "given"),
        FactorUsed("steam_enthalpy", enthalpy_kj_per_kg, "kJ/kg", "measured"),
        FactorUsed("reference_enthalpy", STEAM_REFERENCE_ENTHALPY_KJ_PER_KG, "kJ/kg", "constant", _FORMULA_SOURCE),
    )
    return heat_co2(
        reference,
        heat_gj,
        factor=factor,
        factor_unit=factor_unit,
        exported=exported,
        activity_factors=activity,
        label="蒸汽",
    )


def hot_water_co2(
    reference: ReferenceSet,
    mass: float,
    mass_unit: str,
    temperature_c: float,
    *,
    factor: float | None = None,
    factor_unit: str | None = None,
    exported: bool = False,
) -> EmissionLine:
    """CO₂ of hot water metered by mass: AD = Ma × (T − 20) × 4.1868 × 10⁻³ GJ (see :func:`hot_water_heat_gj`)."""
    heat_gj = hot_water_heat_gj(mass, mass_unit, temperature_c)
    activity = (
        FactorUsed("water_mass", _mass_t(mass, mass_unit), "t", "given"),
        FactorUsed("water_temperature", temperature_c, "°C", "measured"),
        FactorUsed("reference_temperature", HOT_WATER_REFERENCE_TEMPERATURE_C, "°C", "constant", _FORMULA_SOURCE),
        FactorUsed("specific_heat", WATER_SPECIFIC_HEAT_KJ_PER_KG_C, "kJ/(kg·°C)", "constant", _FORMULA_SOURCE),
    )
    return heat_co2(
        reference,
        heat_gj,
        factor=factor,
        factor_unit=factor_unit,
        exported=exported,
        activity_factors=activity,
        label="热水",
    )
