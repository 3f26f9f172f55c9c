"""Energy intensities built on 综合能耗, as used by reports.

Owns 单位产品综合能耗 (e = E / M, GB/T 2589-2020), 万元工业增加值能耗 (E / G in tce/万元, the intensity of the
energy-control targets) and the year-on-year change in %. The totals they divide come from
:mod:`dualcarbon.domain.energy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dualcarbon.core.errors import InvalidInput, UnitMismatch
from dualcarbon.core.units import convert, same_dimension
from dualcarbon.domain.energy_lines import check_amount, checked_unit


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
    check_amount(output, "output", positive=True)
    if not same_dimension(energy_unit, "tce"):
        raise UnitMismatch(f"'{energy_unit}' is not an energy unit (tce, kgce, GJ …)", field="energy_unit")
    checked_unit(output_unit, "output_unit")
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
    check_amount(value_added_wan_yuan, "value_added_wan_yuan", positive=True)
    return energy_tce / value_added_wan_yuan


def year_on_year_change_pct(current: float, previous: float) -> float:
    """Change against the previous year in %: (current − previous) / previous × 100 (negative = decrease)."""
    if not math.isfinite(current):
        raise InvalidInput(f"must be a finite number, got {current}", field="current")
    check_amount(previous, "previous", positive=True)
    return (current - previous) / previous * 100.0
