"""Comprehensive energy consumption (综合能耗), GB/T 2589-2020, and the intensities built on it.

Owns the conversion of an energy account — carrier lines with physical quantities — to tonnes of standard
coal equivalent (tce), and three small intensity functions used by reports.

GB/T 2589-2020 (综合能耗计算通则; clause numbers not yet checked against the text): E = Σ eᵢ × pᵢ,
with eᵢ the physical quantity of carrier i actually consumed and pᵢ its conversion coefficient
(折标准煤系数). Per line the coefficient is, in this order of precedence:

1. ``coefficient`` given on the line (basis ``given``);
2. a measured net calorific value ``ncv`` (实测低位发热量, basis ``measured_ncv``): p = NCV / 29.3076 MJ/kgce
   (1 kgce = 7000 kcal = 29.3076 MJ is the definition held by :mod:`dualcarbon.core.units`);
3. electricity on basis ``equal`` (等价值): the year's national 供电标准煤耗 (gce/kWh → kgce/kWh) from the
   ``power_supply_coal_rate`` table, or an explicit ``equal_rate`` (basis ``equal_value``);
4. the reference coefficient of the GB/T 2589 table (basis ``reference``; electricity there is 当量值).

A reference row that gives only a range (焦炉煤气 0.5714–0.6143 kgce/m³) or is blank cannot be used: the
line needs ``ncv`` or ``coefficient`` (``MissingCoefficient`` names the row and the range).

Line ``use``: ``fuel`` (default), ``feedstock`` (原料用能: counted, reported apart so the 原料用能 exclusion
can be applied), ``conversion`` (加工转换 input: counted; its own products used inside must not be listed
again), ``sold`` (sold or transferred out: subtracted). Total = fuel + feedstock + conversion − sold.
Each converted line carries its signed contribution ``tce`` (negative when sold), so Σ line tce = total.

Heat (热力, 蒸汽) on basis ``equal``: there is no national 等价值 table for heat; without an explicit
``coefficient`` the line stays at 当量值 and the result says so in ``warnings``
(docs/contracts-energy-carbon.md, "Heat on 等价值").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from dualcarbon.core.errors import DualcarbonError, InvalidInput, MissingCoefficient, UnitMismatch
from dualcarbon.core.units import conversion_factor, convert, parse_unit, same_dimension
from dualcarbon.reference.model import IMPORT_HINT, Carrier
from dualcarbon.reference.tables import ReferenceSet

USES: Final[tuple[str, ...]] = ("fuel", "feedstock", "conversion", "sold")
BASES: Final[tuple[str, ...]] = ("equivalent", "equal")
_INPUT_SOURCE: Final[str] = "input"


@dataclass(frozen=True)
class EnergyLine:
    """One line of an energy account: carrier (id, Chinese name or alias), quantity in ``unit``, use."""

    carrier: str
    quantity: float
    unit: str
    use: str = "fuel"
    ncv: float | None = None
    ncv_unit: str | None = None
    coefficient: float | None = None
    coefficient_unit: str | None = None


@dataclass(frozen=True)
class ElectricityEqualValue:
    """等价值 of electricity in kgce/kWh and where it came from (a 供电煤耗 row or the caller's input)."""

    kgce_per_kwh: float
    source: str
    source_row: str | None
    verified: bool | None
    confidence: str


@dataclass(frozen=True)
class ConvertedLine:
    """A line converted to tce. ``tce`` is the signed contribution to the total (negative when sold).

    ``verified`` is the reference row's verified flag, or None when the value came from the input.
    """

    line: EnergyLine
    carrier_id: str
    carrier_name: str
    tce: float
    coefficient: float
    coefficient_unit: str
    coefficient_basis: str  # reference | measured_ncv | equal_value | given
    source: str
    source_row: str | None
    verified: bool | None
    confidence: str


@dataclass(frozen=True)
class ComprehensiveEnergy:
    """Result of :func:`comprehensive_energy`: totals by use (all ≥ 0, in tce) and the converted lines."""

    basis: str
    lines: tuple[ConvertedLine, ...]
    fuel_tce: float
    feedstock_tce: float
    conversion_tce: float
    sold_tce: float
    warnings: tuple[str, ...]

    @property
    def total_tce(self) -> float:
        """综合能耗 = fuel + feedstock + conversion − sold (tce)."""
        return self.fuel_tce + self.feedstock_tce + self.conversion_tce - self.sold_tce

    @property
    def total_excluding_feedstock_tce(self) -> float:
        """综合能耗 less 原料用能 (tce), for the 原料用能 exclusion of energy-control assessments."""
        return self.total_tce - self.feedstock_tce

    @property
    def unverified_rows(self) -> tuple[str, ...]:
        """Reference row ids used whose provenance is not verified, in first-use order."""
        rows = [line.source_row for line in self.lines if line.verified is False and line.source_row]
        return tuple(dict.fromkeys(rows))


@dataclass(frozen=True)
class _Coefficient:
    value: float
    unit: str
    basis: str
    source: str
    source_row: str | None
    verified: bool | None
    confidence: str


def _check_amount(value: float, field: str, *, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else "≥ 0"
        raise InvalidInput(f"must be a finite number {bound}, got {value}", field=field)


def _parsed(unit: str, field: str) -> str:
    try:
        parse_unit(unit)
    except UnitMismatch as exc:
        raise exc.at(field) from None
    return unit


_EXAMPLES: Final[dict[str, str]] = {
    "energy": "MJ/kg, kcal/kg, GJ/t or GJ/万Nm³",
    "standard coal": "kgce/kg, kgce/m³ or kgce/kWh",
}


def _ratio(unit: str, field: str, what: str) -> tuple[str, str]:
    """Split ``'MJ/kg'`` into (``'MJ'``, ``'kg'``) and check the numerator is an energy."""
    _parsed(unit, field)
    parts = unit.split("/")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise UnitMismatch(f"'{unit}' must be {what} per unit of quantity, e.g. {_EXAMPLES[what]}", field=field)
    numerator, denominator = parts[0].strip(), parts[1].strip()
    if not same_dimension(numerator, "kgce"):
        raise UnitMismatch(f"'{unit}' must be {what} per unit of quantity, e.g. {_EXAMPLES[what]}", field=field)
    return numerator, denominator


def electricity_equal_value(
    reference: ReferenceSet,
    *,
    year: int | None = None,
    equal_rate: float | None = None,
    equal_rate_unit: str | None = None,
) -> ElectricityEqualValue:
    """等价值 of electricity (kgce/kWh), GB/T 2589-2020 term 等价值 (energy used to produce one kWh).

    ``equal_rate`` in ``equal_rate_unit`` (gce/kWh or kgce/kWh, required with it) wins; otherwise the
    national 供电标准煤耗 of ``year`` (gce/kWh ÷ 1000). Neither → ``InvalidInput`` on ``year``;
    a year without a value → ``MissingCoefficient`` naming the row.
    """
    if equal_rate is not None:
        _check_amount(equal_rate, "equal_rate", positive=True)
        if not equal_rate_unit:
            raise InvalidInput("required with equal_rate (gce/kWh or kgce/kWh)", field="equal_rate_unit")
        _parsed(equal_rate_unit, "equal_rate_unit")
        if not same_dimension(equal_rate_unit, "kgce/kWh"):
            raise UnitMismatch(
                f"'{equal_rate_unit}' is not standard coal per kWh (gce/kWh, kgce/kWh)",
                field="equal_rate_unit",
            )
        value = convert(equal_rate, equal_rate_unit, "kgce/kWh")
        return ElectricityEqualValue(
            value, f"{_INPUT_SOURCE}: equal_rate {equal_rate} {equal_rate_unit}", None, None, ""
        )
    if year is None:
        raise InvalidInput("basis 'equal' needs the year of the 供电标准煤耗 (or 'equal_rate')", field="year")
    try:
        rate = reference.supply_coal_rate(year)
    except MissingCoefficient as exc:
        raise exc.at("year") from None
    assert rate.value_gce_per_kwh is not None  # supply_coal_rate raises on a blank value
    value = convert(rate.value_gce_per_kwh, "gce/kWh", "kgce/kWh")
    source = f"供电标准煤耗 {year} = {rate.value_gce_per_kwh} gce/kWh ({rate.provenance.source})"
    return ElectricityEqualValue(value, source, rate.row_id, rate.provenance.verified, rate.provenance.confidence)


def _reference_coefficient(carrier: Carrier, reference: ReferenceSet) -> _Coefficient:
    ref = reference.conversion_coefficient(carrier)
    if ref.value is None:
        if ref.value_range is not None:
            low, high = ref.value_range
            raise MissingCoefficient(
                f"reference row {ref.row_id} ({ref.row_name}) gives only a range {low}–{high} {ref.unit}; "
                f"give a measured 'ncv' or an explicit 'coefficient'"
            )
        raise MissingCoefficient(
            f"reference row {ref.row_id} ({ref.row_name}) has no coefficient; give a measured 'ncv' or an "
            f"explicit 'coefficient', or {IMPORT_HINT}"
        )
    try:
        _ratio(ref.unit, "coefficient_unit", "standard coal")
    except UnitMismatch:
        raise MissingCoefficient(
            f"reference row {ref.row_id} ({ref.row_name}) has the unusable unit '{ref.unit}'; give an explicit "
            f"'coefficient' with its 'coefficient_unit'"
        ) from None
    return _Coefficient(
        ref.value,
        ref.unit,
        "reference",
        ref.provenance.source,
        ref.row_id,
        ref.provenance.verified,
        ref.provenance.confidence,
    )


def _reference_unit(carrier: Carrier, reference: ReferenceSet) -> str | None:
    """Unit of the carrier's reference coefficient (e.g. kgce/kg), None when it has no row."""
    try:
        return reference.conversion_coefficient(carrier).unit or None
    except MissingCoefficient:
        return None


def _measured_ncv_coefficient(line: EnergyLine, carrier: Carrier, reference: ReferenceSet) -> _Coefficient:
    assert line.ncv is not None
    if carrier.kind == "electricity":
        raise InvalidInput(
            "a calorific value does not apply to electricity; give 'coefficient' (kgce/kWh) or choose the basis",
            field="ncv",
        )
    _check_amount(line.ncv, "ncv", positive=True)
    if not line.ncv_unit:
        raise InvalidInput("required with ncv (e.g. MJ/kg, kcal/kg, GJ/万Nm³)", field="ncv_unit")
    _, ncv_per = _ratio(line.ncv_unit, "ncv_unit", "energy")
    # Show the coefficient in the reference table's unit when comparable, else per the ncv's own unit.
    unit = _reference_unit(carrier, reference)
    if unit is None or unit.count("/") != 1 or not same_dimension(unit.split("/")[1], ncv_per):
        unit = f"kgce/{ncv_per}"
    value = convert(line.ncv, line.ncv_unit, unit)
    return _Coefficient(value, unit, "measured_ncv", f"{_INPUT_SOURCE}: ncv {line.ncv} {line.ncv_unit}", None, None, "")


def _given_coefficient(line: EnergyLine, carrier: Carrier, reference: ReferenceSet) -> _Coefficient:
    assert line.coefficient is not None
    _check_amount(line.coefficient, "coefficient", positive=True)
    unit = line.coefficient_unit or _reference_unit(carrier, reference)
    if not unit:
        raise InvalidInput("required with coefficient (e.g. kgce/kg, kgce/m³)", field="coefficient_unit")
    _ratio(unit, "coefficient_unit", "standard coal")
    source = f"{_INPUT_SOURCE}: coefficient {line.coefficient} {unit}"
    return _Coefficient(line.coefficient, unit, "given", source, None, None, "")


def convert_line(
    line: EnergyLine,
    reference: ReferenceSet,
    *,
    basis: str = "equivalent",
    electricity_equal: ElectricityEqualValue | None = None,
) -> tuple[ConvertedLine, tuple[str, ...]]:
    """Convert one energy line to tce (GB/T 2589-2020: eᵢ × pᵢ); returns the line and its warnings.

    Errors carry a field relative to the line (``quantity``, ``unit``, ``ncv_unit`` …).
    ``electricity_equal`` is required for electricity on basis ``equal`` without its own coefficient.
    """
    try:
        carrier = reference.carrier(line.carrier)
    except DualcarbonError as exc:
        raise exc.at("carrier") from None
    _check_amount(line.quantity, "quantity")
    if line.use not in USES:
        raise InvalidInput(f"must be one of {', '.join(USES)}, got '{line.use}'", field="use")
    _parsed(line.unit, "unit")
    warnings: list[str] = []
    if line.coefficient is not None:
        coef = _given_coefficient(line, carrier, reference)
    elif line.ncv is not None:
        coef = _measured_ncv_coefficient(line, carrier, reference)
    elif carrier.kind == "electricity" and basis == "equal":
        if electricity_equal is None:
            raise InvalidInput("basis 'equal' needs the year of the 供电标准煤耗 (or 'equal_rate')", field="year")
        eq = electricity_equal
        coef = _Coefficient(
            eq.kgce_per_kwh, "kgce/kWh", "equal_value", eq.source, eq.source_row, eq.verified, eq.confidence
        )
    else:
        coef = _reference_coefficient(carrier, reference)
    if carrier.kind == "heat" and basis == "equal" and coef.basis != "given":
        warnings.append(
            f"{carrier.name_zh}: no 等价值 table for heat; converted at 当量值 {coef.value} "
            f"{coef.unit} — give 'coefficient' to use the supplier's 等价值"
        )
    if coef.verified is False:
        warnings.append(
            f"{carrier.name_zh}: {coef.basis} coefficient from row {coef.source_row} is not "
            f"verified ({coef.confidence})"
        )
    numerator, per = coef.unit.split("/")
    if not same_dimension(line.unit, per):
        raise UnitMismatch(
            f"'{line.unit}' does not fit {carrier.name_zh}: the {coef.basis} coefficient is in {coef.unit}, "
            f"so the quantity must be in a unit of the kind of '{per}'",
            field="unit",
        )
    magnitude_tce = line.quantity * conversion_factor(line.unit, per) * coef.value * conversion_factor(numerator, "tce")
    signed_tce = -magnitude_tce if line.use == "sold" else magnitude_tce
    converted = ConvertedLine(
        line,
        carrier.id,
        carrier.name_zh,
        signed_tce,
        coef.value,
        coef.unit,
        coef.basis,
        coef.source,
        coef.source_row,
        coef.verified,
        coef.confidence,
    )
    return converted, tuple(warnings)


def comprehensive_energy(
    lines: Sequence[EnergyLine],
    reference: ReferenceSet,
    *,
    basis: str = "equivalent",
    year: int | None = None,
    equal_rate: float | None = None,
    equal_rate_unit: str | None = None,
) -> ComprehensiveEnergy:
    """综合能耗 of an energy account in tce, GB/T 2589-2020 (E = Σ eᵢ × pᵢ, sold energy subtracted).

    ``basis``: ``equivalent`` (当量值, default) or ``equal`` (等价值: electricity at the year's 供电标准煤耗
    or ``equal_rate``; ``year``/``equal_rate`` required). Errors name ``items[i].<field>``.
    """
    if basis not in BASES:
        raise InvalidInput(f"must be one of {', '.join(BASES)}, got '{basis}'", field="basis")
    electricity_equal = None
    if basis == "equal":
        electricity_equal = electricity_equal_value(
            reference, year=year, equal_rate=equal_rate, equal_rate_unit=equal_rate_unit
        )
    converted: list[ConvertedLine] = []
    warnings: list[str] = []
    by_use = dict.fromkeys(USES, 0.0)
    for index, line in enumerate(lines):
        try:
            result, line_warnings = convert_line(line, reference, basis=basis, electricity_equal=electricity_equal)
        except DualcarbonError as exc:
            raise exc.at(f"items[{index}]") from None
        converted.append(result)
        warnings.extend(f"items[{index}] {text}" for text in line_warnings)
        by_use[line.use] += abs(result.tce)
    return ComprehensiveEnergy(
        basis,
        tuple(converted),
        by_use["fuel"],
        by_use["feedstock"],
        by_use["conversion"],
        by_use["sold"],
        tuple(warnings),
    )


# ---- intensities used by reports -------------------------------------------------------------------


@dataclass(frozen=True)
class Intensity:
    """A ratio with its unit, e.g. 0.118 tce/t."""

    value: float
    unit: str


def unit_product_energy(
    energy: float, energy_unit: str, output: float, output_unit: str, *, result_unit: str | None = None
) -> Intensity:
    """单位产品综合能耗 e = E / M, GB/T 2589-2020 (E in ``energy_unit``, M in ``output_unit``).

    ``result_unit`` (e.g. ``kgce/t``) converts the ratio; M must be > 0.
    """
    if not math.isfinite(energy):
        raise InvalidInput(f"must be a finite number, got {energy}", field="energy")
    _check_amount(output, "output", positive=True)
    if not same_dimension(energy_unit, "tce"):
        raise UnitMismatch(f"'{energy_unit}' is not an energy unit (tce, kgce, GJ …)", field="energy_unit")
    _parsed(output_unit, "output_unit")
    unit = f"{energy_unit}/({output_unit})"
    value = energy / output
    if result_unit is None:
        return Intensity(value, f"{energy_unit}/{output_unit}")
    try:
        return Intensity(convert(value, unit, result_unit), result_unit)
    except UnitMismatch as exc:
        raise exc.at("result_unit") from None


def energy_per_value_added(energy_tce: float, value_added_wan_yuan: float) -> float:
    """万元工业增加值能耗 in tce/万元: E / G (the intensity of the energy-control targets); G at 可比价.

    The price basis is the caller's: pass value added already deflated to the base year's prices.
    """
    if not math.isfinite(energy_tce):
        raise InvalidInput(f"must be a finite number, got {energy_tce}", field="energy_tce")
    _check_amount(value_added_wan_yuan, "value_added_wan_yuan", positive=True)
    return energy_tce / value_added_wan_yuan


def year_on_year_change_pct(current: float, previous: float) -> float:
    """Change against the previous year in %: (current − previous) / previous × 100 (negative = decrease)."""
    if not math.isfinite(current):
        raise InvalidInput(f"must be a finite number, got {current}", field="current")
    _check_amount(previous, "previous", positive=True)
    return (current - previous) / previous * 100.0
