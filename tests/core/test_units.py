"""Tests of dualcarbon.core.units: Chinese spellings, standard-coal definitions, round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import UnitMismatch
from dualcarbon.core.units import conversion_factor, convert, parse_unit, same_dimension


def test_kgce_is_29_3076_megajoule_by_definition() -> None:
    # GB/T 2589: 1 kgce = 7000 kcal(IT) = 7000 × 4.1868 kJ = 29,307.6 kJ.
    assert convert(1, "kgce", "MJ") == pytest.approx(29.3076, rel=1e-12)
    assert convert(1, "tce", "GJ") == pytest.approx(29.3076, rel=1e-12)
    assert convert(1000, "gce", "kgce") == pytest.approx(1.0)


def test_kilocalorie_is_the_international_table_one() -> None:
    # 7000 kcal(IT) = 1 kgce (the thermochemical 4.184 J calorie would give 0.99933 kgce).
    assert convert(7000, "kcal", "kgce") == pytest.approx(1.0, rel=1e-12)
    assert convert(7000, "千卡", "kgce") == pytest.approx(1.0, rel=1e-12)
    assert convert(7000, "大卡", "kgce") == pytest.approx(1.0, rel=1e-12)
    # 原煤 5000 kcal/kg → 5000/7000 = 0.714286 kgce/kg (the table's 0.7143).
    assert convert(5000, "kcal/kg", "kgce/kg") == pytest.approx(5000 / 7000, rel=1e-12)
    # 1 Gcal = 10⁶ kcal × 4.1868 kJ = 4.1868 GJ (heating statistics).
    assert convert(1, "Gcal", "GJ") == pytest.approx(4.1868, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1, "万千瓦时", "kWh", 10_000),  # 万 = 10⁴
        (1, "万kWh", "MWh", 10),
        (1, "兆瓦时", "kWh", 1000),
        (1, "度", "kWh", 1),
        (1, "万Nm³", "m³", 10_000),
        (1, "万立方米", "Nm3", 10_000),
        (1, "万吨", "t", 10_000),
        (1, "吨", "kg", 1000),
        (1, "公斤", "kg", 1),
        (1, "吉焦", "MJ", 1000),
        (1, "百万千焦", "GJ", 1),
        (305.5, "gce/kWh", "kgce/kWh", 0.3055),  # 供电煤耗 → 等价值
        (389.31, "GJ/万Nm³", "GJ/m³", 0.038931),
        (1, "吨标准煤", "kgce", 1000),
        (20, "degC", "K", 293.15),
    ],
)
def test_chinese_and_form_spellings(value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, source, target) == pytest.approx(expected, rel=1e-12)


def test_wrong_dimension_is_a_unit_mismatch() -> None:
    with pytest.raises(UnitMismatch, match="different kinds"):
        convert(1, "kWh", "t")
    with pytest.raises(UnitMismatch):
        conversion_factor("m³", "kg")


@pytest.mark.parametrize("text", ["", "   ", "furlongs-per-fortnight", "kg//"])
def test_unknown_or_empty_unit(text: str) -> None:
    with pytest.raises(UnitMismatch):
        parse_unit(text)


def test_product_units_do_not_become_tonnes() -> None:
    # 重量箱 (flat glass) and Adt (pulp) are their own dimensions.
    assert not same_dimension("重量箱", "t")
    assert not same_dimension("Adt", "t")
    assert same_dimension("万千瓦时", "GJ")
    assert same_dimension("kgce/kWh", "gce/kWh")


_ENERGY = ["kWh", "MWh", "万千瓦时", "GJ", "MJ", "kgce", "tce", "kcal", "Gcal", "百万千焦"]
_MASS = ["t", "kg", "万吨", "吨", "公斤"]
_VOLUME = ["m³", "万Nm³", "Nm3", "万立方米"]
_DIMENSIONS = [_ENERGY, _MASS, _VOLUME]
_values = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def _unit_pair(draw: st.DrawFn) -> tuple[str, str, str]:
    units = draw(st.sampled_from(_DIMENSIONS))
    return draw(st.sampled_from(units)), draw(st.sampled_from(units)), draw(st.sampled_from(units))


@given(_values, _unit_pair())
def test_round_trip_returns_the_value(value: float, units: tuple[str, str, str]) -> None:
    a, b, _ = units
    assert convert(convert(value, a, b), b, a) == pytest.approx(value, rel=1e-9)


@given(_unit_pair())
def test_factors_are_reciprocal_and_transitive(units: tuple[str, str, str]) -> None:
    a, b, c = units
    assert conversion_factor(a, b) * conversion_factor(b, a) == pytest.approx(1.0, rel=1e-9)
    assert conversion_factor(a, b) * conversion_factor(b, c) == pytest.approx(conversion_factor(a, c), rel=1e-9)


@given(_values, _values, st.sampled_from(_ENERGY), st.sampled_from(_ENERGY))
def test_conversion_is_linear(x: float, y: float, a: str, b: str) -> None:
    assert convert(x + y, a, b) == pytest.approx(convert(x, a, b) + convert(y, a, b), rel=1e-9)
