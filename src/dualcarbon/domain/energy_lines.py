"""The shapes of an energy account (综合能耗, GB/T 2589-2020): input lines, converted lines and the result.

Owns the line and result types used by :mod:`dualcarbon.domain.energy`, the vocabulary of line uses and
bases, and the checks every energy input goes through (finite, non-negative amounts; parseable units).

Line ``use``: ``fuel`` (default), ``feedstock`` (原料用能: counted, reported apart so the 原料用能 exclusion
can be applied), ``conversion`` (加工转换 input: counted; its own products used inside must not be listed
again), ``sold`` (sold or transferred out: subtracted). Total = fuel + feedstock + conversion − sold.
Each converted line carries its signed contribution ``tce`` (negative when sold), so Σ line tce = total.

Basis: ``equivalent`` (当量值, default) or ``equal`` (等价值).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from dualcarbon.core.errors import InvalidInput, UnitMismatch
from dualcarbon.core.units import parse_unit

USES: Final[tuple[str, ...]] = ("fuel", "feedstock", "conversion", "sold")
BASES: Final[tuple[str, ...]] = ("equivalent", "equal")


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
    """Result of :func:`dualcarbon.domain.energy.comprehensive_energy`: totals by use (all ≥ 0, in tce)
    and the converted lines."""

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


def check_amount(value: float, field: str, *, positive: bool = False) -> None:
    """Refuse a non-finite or negative ``value`` (or zero with ``positive``) as ``InvalidInput`` on ``field``."""
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else "≥ 0"
        raise InvalidInput(f"must be a finite number {bound}, got {value}", field=field)


def checked_unit(unit: str, field: str) -> str:
    """``unit`` unchanged when it parses; else its ``UnitMismatch`` is raised on ``field``."""
    try:
        parse_unit(unit)
    except UnitMismatch as exc:
        raise exc.at(field) from None
    return unit
