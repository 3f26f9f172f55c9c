"""Units of measure, with the Chinese energy-statistics units (pint).

Owns the unit registry and the spelling a Chinese form uses for units (吨, 万千瓦时, 万Nm³, tce, kgce …).
Definitions used (all are definitions, not measured coefficients):

* 1 kgce (千克标准煤) = 7000 kcal(IT) = 29.3076 MJ — GB/T 2589-2020 §3 (标准煤 definition).
* 1 kgoe (千克标准油) = 10000 kcal(IT) = 41.868 MJ — the oil-equivalent used by GB 30251.
* Nm³ (标准立方米) is treated as m³; quantities of gas are always at reference conditions in the forms.
* 重量箱 (weight box, flat glass) and Adt (air-dry tonne, pulp) are product units of their own dimension:
  they never silently convert to tonnes.
"""

from __future__ import annotations

import math
import re
import tokenize
from functools import lru_cache

import pint

from dualcarbon.core.errors import UnitMismatch


def _registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    """pint's registry, with its parsed default definitions cached on disk (pint's ``cache_folder``): building it
    from the text costs ~0.13 s per process, reading the cache ~0.02 s — most of what `dualcarbon calc` pays for
    start-up. Any problem with the cache folder falls back to parsing the definitions."""
    try:
        return pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=":auto:")
    except Exception:  # a read-only home, a half-written cache file: parse instead
        return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


ureg: pint.UnitRegistry = _registry()  # type: ignore[type-arg]
ureg.define("kilogram_coal_equivalent = 29.3076 * megajoule = kgce")
ureg.define("tonne_coal_equivalent = 1000 * kilogram_coal_equivalent = tce")
ureg.define("gram_coal_equivalent = 0.001 * kilogram_coal_equivalent = gce")
ureg.define("kilogram_oil_equivalent = 41.868 * megajoule = kgoe")
ureg.define("tonne_oil_equivalent = 1000 * kilogram_oil_equivalent = toe")
ureg.define("weight_box = [flat_glass_weight_box] = wbox")
ureg.define("air_dry_tonne = [air_dry_pulp] = Adt")
ureg.define("energy_factor = [refinery_energy_factor]")
ureg.define("ten_thousand_yuan = [currency] = wan_yuan")
ureg.define("yuan = 0.0001 * ten_thousand_yuan")
ureg.define("piece = [count] = pcs")

# Chinese and form spellings → pint expressions. Longest keys are replaced first.
_ALIASES: dict[str, str] = {
    "万千瓦时": "(10000*kWh)",
    "万kWh": "(10000*kWh)",
    "千瓦时": "kWh",
    "度": "kWh",
    "兆瓦时": "MWh",
    "吉瓦时": "GWh",
    "万立方米": "(10000*m**3)",
    "万Nm³": "(10000*m**3)",
    "万Nm3": "(10000*m**3)",
    "万m³": "(10000*m**3)",
    "万m3": "(10000*m**3)",
    "立方米": "m**3",
    "Nm³": "m**3",
    "Nm3": "m**3",
    "m³": "m**3",
    "m3": "m**3",
    "m²": "m**2",
    "m2": "m**2",
    "平方米": "m**2",
    "万吨": "(10000*t)",
    "吨标准煤": "tce",
    "千克标准煤": "kgce",
    "公斤标准煤": "kgce",
    "克标准煤": "gce",
    "吨标煤": "tce",
    "千克标煤": "kgce",
    "吨": "t",
    "千克": "kg",
    "公斤": "kg",
    "吉焦": "GJ",
    "百万千焦": "GJ",
    "兆焦": "MJ",
    "千焦": "kJ",
    "太焦": "TJ",
    "千卡": "kcal",
    "大卡": "kcal",
    "万元": "wan_yuan",
    "元": "yuan",
    "重量箱": "weight_box",
    "能量因数": "energy_factor",
    "件": "piece",
    "台": "piece",
    "个": "piece",
    "·": "*",
}
_ALIAS_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_ALIASES, key=len, reverse=True)))
# Chinese energy statistics use the International Table calorie (4.1868 J, GB/T 2589: 1 kgce = 7000 kcal =
# 29.3076 MJ); pint's bare ``cal`` is the thermochemical 4.184 J. Rewrite cal/kcal/Mcal/Gcal to the IT one.
_CALORIE_PATTERN = re.compile(r"(?<![A-Za-z_])([kMG]?)cal(?![A-Za-z_])")


# Powers in a unit take a small literal exponent (m**2, s^-1, (kWh)**(0.5)); pint evaluates whatever follows a power
# as Python numbers, so "9**9**9" or "kWh*9**(999*999*999)" would compute a number of millions of digits.
_POWER = re.compile(r"\*\*|\^")
_SMALL_EXPONENT = re.compile(
    r"\s*(?:[-+]?\d{1,2}(?:\.\d+)?(?![\d.])|\(\s*[-+]?\d{1,2}(?:\.\d+)?\s*\))(?!\s*(?:\*\*|\^))"
)


def _exponents_are_small(text: str) -> bool:
    return all(_SMALL_EXPONENT.match(text, power.end()) for power in _POWER.finditer(text))


def _normalise(text: str) -> str:
    cleaned = text.strip().replace("（", "(").replace("）", ")")
    return _CALORIE_PATTERN.sub(r"\1cal_it", _ALIAS_PATTERN.sub(lambda m: _ALIASES[m.group(0)], cleaned))


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit as written on a Chinese form (``万千瓦时``, ``kgce/t``, ``GJ/万Nm³``).

    Raises ``UnitMismatch`` naming the text when the unit is not understood.
    """
    if not text or not text.strip():
        raise UnitMismatch("unit is empty")
    if not _exponents_are_small(text):
        raise UnitMismatch(f"unknown unit '{text}': a power in a unit takes a small number (m**2, s^-1)")
    try:
        quantity = ureg.parse_expression(_normalise(text))
    except (
        pint.errors.PintError,
        SyntaxError,
        tokenize.TokenError,  # an unclosed "("
        TypeError,
        AttributeError,
        ValueError,
        AssertionError,  # pint asserts on "kg//"
        ArithmeticError,  # "kWh/0"
        LookupError,
        RecursionError,
    ) as exc:
        raise UnitMismatch(f"unknown unit '{text}'") from exc
    if not isinstance(quantity, pint.Quantity):
        raise UnitMismatch(f"'{text}' is a number, not a unit")
    # Keep a multiplier (万 …) by folding it into a scaled unit; "inf", "nan", "0 kWh" or "-1 t" are no units.
    try:
        magnitude = float(quantity.magnitude)
    except (OverflowError, TypeError, ValueError):  # "kWh*9**99*9**99*…": an int too large for a float
        magnitude = math.inf
    if not math.isfinite(magnitude) or magnitude <= 0:
        raise UnitMismatch(f"unknown unit '{text}': its factor {magnitude:g} is not a finite positive number")
    if magnitude != 1:
        return _scaled_unit(magnitude, str(quantity.units))
    unit: pint.Unit = quantity.units  # type: ignore[assignment]
    return unit


@lru_cache(maxsize=256)
def _scaled_unit(factor: float, base: str) -> pint.Unit:
    name = f"scaled_{abs(hash((factor, base))):x}"
    ureg.define(f"{name} = {factor!r} * ({base})")
    unit: pint.Unit = ureg.Unit(name)
    return unit


@lru_cache(maxsize=1024)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier m such that ``value [from_unit] × m = value [to_unit]``.

    Raises ``UnitMismatch`` when the units are of different dimensions (kWh → t).
    """
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    try:
        return float(ureg.Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitMismatch(f"cannot convert '{from_unit}' to '{to_unit}' (different kinds of quantity)") from exc


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from ``from_unit`` to ``to_unit`` (affine units such as °C handled by pint)."""
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    try:
        return float(ureg.Quantity(value, source).to(target).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitMismatch(f"cannot convert '{from_unit}' to '{to_unit}' (different kinds of quantity)") from exc


def same_dimension(unit_a: str, unit_b: str) -> bool:
    """True when both units measure the same kind of quantity."""
    return bool(parse_unit(unit_a).dimensionality == parse_unit(unit_b).dimensionality)
