"""Which conversion coefficient (折标准煤系数) an energy line uses, and where that value came from.

Owns the choice of pᵢ for the GB/T 2589-2020 sum E = Σ eᵢ × pᵢ (:mod:`dualcarbon.domain.energy`) and its
provenance (source text, reference row id, verified flag, confidence). Per line the coefficient is, in this
order of precedence:

1. ``coefficient`` given on the line (basis ``given``);
2. a measured net calorific value ``ncv`` (实测低位发热量, basis ``measured_ncv``): p = NCV / 29.3076 MJ/kgce
   (1 kgce = 7000 kcal = 29.3076 MJ is the definition held by :mod:`dualcarbon.core.units`);
3. electricity on basis ``equal`` (等价值): the year's national 供电标准煤耗 (gce/kWh → kgce/kWh) from the
   ``power_supply_coal_rate`` table, or an explicit ``equal_rate`` (basis ``equal_value``);
4. the reference coefficient of the GB/T 2589 table (basis ``reference``; electricity there is 当量值).

A reference row that gives only a range (焦炉煤气 0.5714–0.6143 kgce/m³) or is blank cannot be used: the
line needs ``ncv`` or ``coefficient`` (``MissingCoefficient`` names the row and the range).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dualcarbon.core.errors import InvalidInput, MissingCoefficient, UnitMismatch
from dualcarbon.core.units import convert, same_dimension
from dualcarbon.domain.energy_lines import EnergyLine, check_amount, checked_unit
from dualcarbon.reference.model import IMPORT_HINT, Carrier
from dualcarbon.reference.tables import ReferenceSet

_INPUT_SOURCE: Final[str] = "input"
_EXAMPLES: Final[dict[str, str]] = {
    "energy": "MJ/kg, kcal/kg, GJ/t or GJ/万Nm³",
    "standard coal": "kgce/kg, kgce/m³ or kgce/kWh",
}


@dataclass(frozen=True)
class ElectricityEqualValue:
    """等价值 of electricity in kgce/kWh and where it came from (a 供电煤耗 row or the caller's input)."""

    kgce_per_kwh: float
    source: str
    source_row: str | None
    verified: bool | None
    confidence: str


@dataclass(frozen=True)
class LineCoefficient:
    """The coefficient chosen for one line, in ``unit`` (standard coal per unit of quantity), with its
    ``basis`` (reference | measured_ncv | equal_value | given) and provenance."""

    value: float
    unit: str
    basis: str
    source: str
    source_row: str | None
    verified: bool | None
    confidence: str


def _ratio(unit: str, field: str, what: str) -> tuple[str, str]:
    """Split ``'MJ/kg'`` into (``'MJ'``, ``'kg'``) and check the numerator is an energy."""
    checked_unit(unit, field)
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
        check_amount(equal_rate, "equal_rate", positive=True)
        if not equal_rate_unit:
            raise InvalidInput("required with equal_rate (gce/kWh or kgce/kWh)", field="equal_rate_unit")
        checked_unit(equal_rate_unit, "equal_rate_unit")
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


def _reference_coefficient(carrier: Carrier, reference: ReferenceSet) -> LineCoefficient:
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
    return LineCoefficient(
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


def _measured_ncv_coefficient(line: EnergyLine, carrier: Carrier, reference: ReferenceSet) -> LineCoefficient:
    assert line.ncv is not None
    if carrier.kind == "electricity":
        raise InvalidInput(
            "a calorific value does not apply to electricity; give 'coefficient' (kgce/kWh) or choose the basis",
            field="ncv",
        )
    check_amount(line.ncv, "ncv", positive=True)
    if not line.ncv_unit:
        raise InvalidInput("required with ncv (e.g. MJ/kg, kcal/kg, GJ/万Nm³)", field="ncv_unit")
    _, ncv_per = _ratio(line.ncv_unit, "ncv_unit", "energy")
    # Show the coefficient in the reference table's unit when comparable, else per the ncv's own unit.
    unit = _reference_unit(carrier, reference)
    if unit is None or unit.count("/") != 1 or not same_dimension(unit.split("/")[1], ncv_per):
        unit = f"kgce/{ncv_per}"
    value = convert(line.ncv, line.ncv_unit, unit)
    source = f"{_INPUT_SOURCE}: ncv {line.ncv} {line.ncv_unit}"
    return LineCoefficient(value, unit, "measured_ncv", source, None, None, "")


def _given_coefficient(line: EnergyLine, carrier: Carrier, reference: ReferenceSet) -> LineCoefficient:
    assert line.coefficient is not None
    check_amount(line.coefficient, "coefficient", positive=True)
    unit = line.coefficient_unit or _reference_unit(carrier, reference)
    if not unit:
        raise InvalidInput("required with coefficient (e.g. kgce/kg, kgce/m³)", field="coefficient_unit")
    _ratio(unit, "coefficient_unit", "standard coal")
    source = f"{_INPUT_SOURCE}: coefficient {line.coefficient} {unit}"
    return LineCoefficient(line.coefficient, unit, "given", source, None, None, "")


def line_coefficient(
    line: EnergyLine,
    carrier: Carrier,
    reference: ReferenceSet,
    *,
    basis: str,
    electricity_equal: ElectricityEqualValue | None,
) -> LineCoefficient:
    """The coefficient of ``line`` by the precedence above (given, measured NCV, 等价值 of electricity,
    reference row). ``electricity_equal`` is required for electricity on basis ``equal`` without its own
    coefficient (else ``InvalidInput`` on ``year``)."""
    if line.coefficient is not None:
        return _given_coefficient(line, carrier, reference)
    if line.ncv is not None:
        return _measured_ncv_coefficient(line, carrier, reference)
    if carrier.kind == "electricity" and basis == "equal":
        if electricity_equal is None:
            raise InvalidInput("basis 'equal' needs the year of the 供电标准煤耗 (or 'equal_rate')", field="year")
        eq = electricity_equal
        return LineCoefficient(
            eq.kgce_per_kwh, "kgce/kWh", "equal_value", eq.source, eq.source_row, eq.verified, eq.confidence
        )
    return _reference_coefficient(carrier, reference)
