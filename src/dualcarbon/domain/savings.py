"""Energy-saving amount (节能量) of an energy-using unit — GB/T 13234-2018 用能单位节能量计算方法.

Owns the four saving forms of the standard and the saving rate, plus the multi-year accumulation
(环比 chain vs 定比 fixed base). Pure functions, no I/O.

Periods: ``b`` = 报告期 (reporting period), ``j`` = 基期 (base period).

* product saving (产品节能量):             ΔE_c  = Σ_i (e_b,i − e_j,i) × M_b,i
* output-value saving (产值节能量):        ΔE_g  = (e_bg − e_jg) × G_b,  G at comparable prices (可比价)
* technical-measure saving (技术措施节能量): ΔE_t  = Σ_i (e_th,i − e_tq,i) × P_th,i  (h = after, q = before)
* product-structure saving (产品结构节能量): ΔE_cj = G_z × Σ_i (K_b,i − K_j,i) × e_jc,i
  (G_z = reporting total output value, K = share of product i in total output value, e_jc = base unit
  output-value consumption of product i)
* saving rate (节能率):                    ξ = (e_b − e_j) / e_j × 100 %

Sign convention: the standard computes reporting minus base, so **a negative value means energy saved**
(GB/T 13234-2009 §5.4 "计算值为负时表示节能"; kept by the 2018 edition). Every result keeps that value as
``signed_tce`` / ``rate_pct`` and shows ``saving_tce`` = −signed and ``saving_rate_pct`` = −rate, positive
when energy was saved. The clause numbers of the 2018 text were not available to us; the formulas follow
the research notes (docs/glossary.md, /shared/research/cn-requirements.md §3.2).

Units: a unit consumption carries its unit (``tce/t``, ``kgce/t``, ``tce/万元``, ``kgce/(t·能量因数)``) and
must be in standard coal or oil equivalent: a physical-energy unit (``kWh/t``) is refused, because turning
kWh into tce needs the carrier's 折标系数 (当量值 or 等价值) from the reference tables, not a physical
conversion. Activities (output, output value) carry their unit; totals are in tce.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pint

from dualcarbon.core.errors import DualcarbonError, InvalidInput, UnitMismatch
from dualcarbon.core.units import parse_unit, ureg

STANDARD = "GB/T 13234-2018"
SIGN_CONVENTION = "signed values follow GB/T 13234 (reporting − base, negative = saved); saving = −signed"
DEFAULT_SHARE_TOLERANCE = 1e-3

_COAL_EQUIVALENT = re.compile(r"tce|kgce|gce|toe|kgoe|标准煤|标煤|标准油")

Basis = Literal["chain", "fixed_base"]


@dataclass(frozen=True)
class UnitConsumptionPair:
    """One product (or measure) compared between two periods, all in the same units.

    ``base_unit_consumption`` is e_j (or e_tq, before a measure); ``report_unit_consumption`` is e_b (or
    e_th, after); ``report_activity`` is M_b (output) or P_th (output after the measure).
    """

    label: str
    base_unit_consumption: float
    report_unit_consumption: float
    unit_consumption_unit: str
    report_activity: float
    activity_unit: str


@dataclass(frozen=True)
class StructureShare:
    """One product in a product-structure comparison: output-value shares (fractions 0–1) in both periods
    and its base-period unit output-value consumption e_jc (e.g. tce/万元)."""

    label: str
    base_share: float
    report_share: float
    base_unit_consumption: float
    unit_consumption_unit: str


@dataclass(frozen=True)
class SavingLine:
    """The saving of one product, measure or period, with the inputs that produced it."""

    label: str
    base_unit_consumption: float
    report_unit_consumption: float | None  # None for product-structure lines
    unit_consumption_unit: str
    activity: float  # M_b, G_b, P_th or G_z
    activity_unit: str
    signed_tce: float
    rate_pct: float | None  # ξ of this line; None when e_j ≤ 0 (rate undefined)
    base_share: float | None = None
    report_share: float | None = None

    @property
    def saving_tce(self) -> float:
        return -self.signed_tce

    @property
    def saving_rate_pct(self) -> float | None:
        return None if self.rate_pct is None else -self.rate_pct


@dataclass(frozen=True)
class SavingResult:
    """Total saving of a unit by one method of GB/T 13234, with its lines.

    ``rate_pct`` is ξ of the whole unit: for one line, (e_b − e_j)/e_j × 100; for several lines,
    Σ ΔE_i / Σ (e_j,i × M_b,i) × 100 (the base-period consumption the reporting activity would have
    needed — reduces to ξ for one line). None where the standard defines no rate (product structure) or a
    base unit consumption is not positive.
    """

    method: str
    signed_tce: float
    rate_pct: float | None
    lines: tuple[SavingLine, ...]
    formula: str

    @property
    def saving_tce(self) -> float:
        return -self.signed_tce

    @property
    def saving_rate_pct(self) -> float | None:
        return None if self.rate_pct is None else -self.rate_pct


def saving_rate_pct(base_unit_consumption: float, report_unit_consumption: float) -> float | None:
    """节能率 ξ = (e_b − e_j) / e_j × 100 %, negative = improvement; None when e_j ≤ 0 (undefined).

    Units of both values must be the same (any unit consumption).
    """
    if base_unit_consumption <= 0:
        return None
    return (report_unit_consumption - base_unit_consumption) / base_unit_consumption * 100.0


def require_coal_equivalent(unit_consumption_unit: str) -> None:
    """Refuse a unit consumption not expressed in standard coal/oil equivalent (``kWh/t``, ``m³/t``).

    Physical energy becomes tce only through the carrier's 折标系数 (当量值 or 等价值, reference tables);
    a pint conversion of kWh to kgce would silently use the calorific equivalent instead.
    """
    if not _COAL_EQUIVALENT.search(unit_consumption_unit):
        raise UnitMismatch(
            f"unit consumption unit '{unit_consumption_unit}' is not in standard coal (tce, kgce …); convert "
            "physical energy (kWh, m³) with the carrier's 折标系数 first",
            field="unit_consumption_unit",
        )


def _tce(value: float, unit_consumption_unit: str, activity: float, activity_unit: str) -> float:
    """``value`` [unit consumption unit] × ``activity`` [activity unit] in tce."""
    require_coal_equivalent(unit_consumption_unit)
    per_unit = parse_unit(unit_consumption_unit)
    activity_u = parse_unit(activity_unit)
    try:
        product = ureg.Quantity(value, per_unit) * ureg.Quantity(activity, activity_u)
        return float(product.to(ureg.tce).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitMismatch(
            f"'{unit_consumption_unit}' × '{activity_unit}' is not an amount of energy (the activity unit "
            "must be the denominator of the unit consumption, e.g. tce/t × t)",
            field="activity_unit",
        ) from None


def _check_activity(activity: float, field: str) -> None:
    if not math.isfinite(activity) or activity < 0:
        raise InvalidInput(f"must be a finite number ≥ 0 (got {activity})", field=field)


def _pair_line(pair: UnitConsumptionPair) -> tuple[SavingLine, float | None]:
    """One line and its base-period consumption Σ e_j × M_b in tce (None when e_j ≤ 0)."""
    _check_activity(pair.report_activity, "report_activity")
    for name in ("base_unit_consumption", "report_unit_consumption"):
        if not math.isfinite(getattr(pair, name)):
            raise InvalidInput("must be a finite number", field=name)
    delta = pair.report_unit_consumption - pair.base_unit_consumption
    signed = _tce(delta, pair.unit_consumption_unit, pair.report_activity, pair.activity_unit)
    rate = saving_rate_pct(pair.base_unit_consumption, pair.report_unit_consumption)
    base_tce = (
        _tce(pair.base_unit_consumption, pair.unit_consumption_unit, pair.report_activity, pair.activity_unit)
        if pair.base_unit_consumption > 0
        else None
    )
    line = SavingLine(
        label=pair.label,
        base_unit_consumption=pair.base_unit_consumption,
        report_unit_consumption=pair.report_unit_consumption,
        unit_consumption_unit=pair.unit_consumption_unit,
        activity=pair.report_activity,
        activity_unit=pair.activity_unit,
        signed_tce=signed,
        rate_pct=rate,
    )
    return line, base_tce


def _sum_pairs(method: str, pairs: Sequence[UnitConsumptionPair], formula: str) -> SavingResult:
    if not pairs:
        raise InvalidInput("at least one line is needed", field="lines")
    lines: list[SavingLine] = []
    base_total: float | None = 0.0
    for index, pair in enumerate(pairs):
        try:
            line, base_tce = _pair_line(pair)
        except DualcarbonError as exc:
            raise exc.at(f"lines[{index}]") from None
        lines.append(line)
        base_total = None if base_total is None or base_tce is None else base_total + base_tce
    signed = math.fsum(line.signed_tce for line in lines)
    if len(lines) == 1:
        rate = lines[0].rate_pct  # ξ of the standard, defined even for zero output
    else:
        rate = signed / base_total * 100.0 if base_total else None
    return SavingResult(method, signed, rate, tuple(lines), formula)


def product_saving(pairs: Sequence[UnitConsumptionPair]) -> SavingResult:
    """产品节能量, single or multi-product: ΔE_c = Σ_i (e_b,i − e_j,i) × M_b,i, in tce.

    e in standard-coal unit consumption (tce/t, kgce/t …); M_b the reporting-period output of product i.
    """
    return _sum_pairs("product", pairs, "ΔE_c = Σ (e_b,i − e_j,i) × M_b,i")


def technical_measure_saving(pairs: Sequence[UnitConsumptionPair]) -> SavingResult:
    """技术措施节能量: ΔE_t = Σ_i (e_th,i − e_tq,i) × P_th,i, in tce.

    Each pair is one measure: ``base_unit_consumption`` = e_tq (before), ``report_unit_consumption`` = e_th
    (after), ``report_activity`` = P_th (output after the measure). The caller must not list interacting
    measures twice (the standard sums independent measures).
    """
    return _sum_pairs("technical_measure", pairs, "ΔE_t = Σ (e_th,i − e_tq,i) × P_th,i")


def output_value_saving(
    base_energy_tce: float,
    base_value_10k_yuan: float,
    report_energy_tce: float,
    report_value_10k_yuan: float,
) -> SavingResult:
    """产值节能量: ΔE_g = (e_bg − e_jg) × G_b with e_g = E / G in tce/万元, in tce.

    G is the output value at comparable prices (可比价), in 万元 (10⁴ yuan); E the comprehensive energy
    consumption of the period in tce. W1: (29,640/78,000 − 22,400/56,000) × 78,000 = −1,560 tce.
    """
    for field, value in (
        ("base.energy_tce", base_energy_tce),
        ("report.energy_tce", report_energy_tce),
        ("report.value_10k_yuan", report_value_10k_yuan),
    ):
        _check_activity(value, field)
    if not math.isfinite(base_value_10k_yuan) or base_value_10k_yuan <= 0:
        raise InvalidInput(f"must be > 0 (got {base_value_10k_yuan})", field="base.value_10k_yuan")
    if report_value_10k_yuan <= 0:
        raise InvalidInput(f"must be > 0 (got {report_value_10k_yuan})", field="report.value_10k_yuan")
    pair = UnitConsumptionPair(
        label="output value",
        base_unit_consumption=base_energy_tce / base_value_10k_yuan,
        report_unit_consumption=report_energy_tce / report_value_10k_yuan,
        unit_consumption_unit="tce/万元",
        report_activity=report_value_10k_yuan,
        activity_unit="万元",
    )
    return _sum_pairs("output_value", [pair], "ΔE_g = (e_bg − e_jg) × G_b")


def product_structure_saving(
    report_total_value_10k_yuan: float,
    shares: Sequence[StructureShare],
    share_tolerance: float = DEFAULT_SHARE_TOLERANCE,
) -> SavingResult:
    """产品结构节能量: ΔE_cj = G_z × Σ_i (K_b,i − K_j,i) × e_jc,i, in tce.

    ``report_total_value_10k_yuan`` = G_z (万元, comparable prices); shares K are fractions of total output
    value and must each be in [0, 1] and sum to 1 within ``share_tolerance`` in each period; e_jc in a
    standard-coal per output-value unit (tce/万元). A product absent from one period has share 0 there.
    The standard defines no rate for this form: ``rate_pct`` is None.
    """
    _check_activity(report_total_value_10k_yuan, "report_total_value_10k_yuan")
    if not shares:
        raise InvalidInput("at least one product is needed", field="lines")
    for period in ("base_share", "report_share"):
        for index, share in enumerate(shares):
            value = getattr(share, period)
            if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                raise InvalidInput(
                    f"share must be a fraction between 0 and 1 (got {value})", field=f"lines[{index}].{period}"
                )
        total = math.fsum(getattr(share, period) for share in shares)
        if abs(total - 1.0) > share_tolerance:
            raise InvalidInput(f"shares sum to {total:.6g}, not 1 (tolerance {share_tolerance:g})", field=period)
    lines: list[SavingLine] = []
    for index, share in enumerate(shares):
        try:
            signed = _tce(
                (share.report_share - share.base_share) * share.base_unit_consumption,
                share.unit_consumption_unit,
                report_total_value_10k_yuan,
                "万元",
            )
        except DualcarbonError as exc:
            raise exc.at(f"lines[{index}]") from None
        lines.append(
            SavingLine(
                label=share.label,
                base_unit_consumption=share.base_unit_consumption,
                report_unit_consumption=None,
                unit_consumption_unit=share.unit_consumption_unit,
                activity=report_total_value_10k_yuan,
                activity_unit="万元",
                signed_tce=signed,
                rate_pct=None,
                base_share=share.base_share,
                report_share=share.report_share,
            )
        )
    signed_total = math.fsum(line.signed_tce for line in lines)
    return SavingResult(
        "product_structure", signed_total, None, tuple(lines), "ΔE_cj = G_z × Σ (K_b,i − K_j,i) × e_jc,i"
    )


@dataclass(frozen=True)
class PeriodIntensity:
    """Unit consumption and activity of one period (a year) of a multi-year series."""

    period: str
    unit_consumption: float
    activity: float


@dataclass(frozen=True)
class AccumulatedSaving:
    """Multi-period saving: one line per period after the first, and the period total.

    ``basis`` ``chain`` (环比): line k compares period k with period k−1, total = Σ lines (环比累加, the method
    of the 2011 万家企业 programme). ``fixed_base`` (定比): line k compares period k with the first period,
    total = the last line (the saving of the final period against the base period).
    """

    basis: str
    lines: tuple[SavingLine, ...]
    signed_tce: float

    @property
    def saving_tce(self) -> float:
        return -self.signed_tce


def accumulate_savings(
    periods: Sequence[PeriodIntensity],
    unit_consumption_unit: str,
    activity_unit: str,
    basis: Basis = "chain",
) -> AccumulatedSaving:
    """Savings over several periods by the unit-consumption form (e_k − e_ref) × M_k, in tce.

    ``periods`` in chronological order, the first being the base period. See :class:`AccumulatedSaving`
    for chain (环比) vs fixed-base (定比) totals; the two differ whenever output changes between years.
    """
    if basis not in ("chain", "fixed_base"):
        raise InvalidInput(f"unknown basis '{basis}' (expected chain or fixed_base)", field="basis")
    if len(periods) < 2:
        raise InvalidInput("at least two periods are needed (the base period and one more)", field="periods")
    lines: list[SavingLine] = []
    for index in range(1, len(periods)):
        reference = periods[index - 1] if basis == "chain" else periods[0]
        current = periods[index]
        pair = UnitConsumptionPair(
            current.period,
            reference.unit_consumption,
            current.unit_consumption,
            unit_consumption_unit,
            current.activity,
            activity_unit,
        )
        try:
            line, _ = _pair_line(pair)
        except DualcarbonError as exc:
            raise exc.at(f"periods[{index}]") from None
        lines.append(line)
    total = math.fsum(line.signed_tce for line in lines) if basis == "chain" else lines[-1].signed_tce
    return AccumulatedSaving(basis, tuple(lines), total)
