"""Efficiency tiers (能效水平分档) of a unit consumption, gaps to the references and the saving they take.

Owns the classification of issue #2 §3d. Two ways to judge one reported unit consumption (lower is
better, negative values allowed — 转炉工序 has benchmark −30 and baseline −10 kgce/t):

* **policy** — 《工业重点领域能效标杆水平和基准水平（2023年版）》(发改产业〔2023〕723号; 2021 edition
  发改产业〔2021〕1609号): 标杆水平 (benchmark) and 基准水平 (baseline).
  ``benchmark`` 能效标杆水平以上:  value ≤ 标杆 (reaching the benchmark counts as reached)
  ``between``   介于标杆和基准之间: 标杆 < value ≤ 基准 (sitting on the baseline is not below it)
  ``below_baseline`` 能效基准水平以下: value > 基准
* **gb** — the grades of the product's GB 单位产品能源消耗限额 standard (1级 ≤ 2级 ≤ 3级; 3级 is the
  限定值 every existing plant must meet). A value equal to a grade's limit meets that grade.
  ``grade_1`` value ≤ 1级, ``grade_2`` value ≤ 2级, ``grade_3`` value ≤ 3级, ``fails_limit`` value > 3级.
  A grade whose limit is blank for the row (斜交轮胎 has only the 3级 限定值; 电弧炉 <50 t has no 2级) is
  never awarded: the value falls through to the next defined grade. This is the conservative reading —
  nobody is told they reached a grade the standard gives no figure for — and keeps tiers monotonic.

Gaps, in the reference's unit (the value is converted to it first):
  gap = value − reference (positive: the consumption must fall by this much to reach the reference;
  zero or negative: reached). gap_pct = gap / |reference| × 100 — relative to the reference's
  *magnitude*, so the sign of the percentage is always the sign of the gap, also for negative references
  (转炉 −20 vs benchmark −30: gap 10 kgce/t, 10/30 = 33.3 %). For a reference of 0 it is undefined (None).
  For basis ``gb`` the pair the gaps are measured against is (1级, 3级): "benchmark" = best grade,
  "baseline" = the mandatory limit.

Needed saving (GB/T 13234 product saving form ΔE = (e_b − e_j) × M, with the reference as e_j):
  saving_tce = max(value − reference, 0) × output, the output converted to the indicator's denominator and
  the energy converted to tce: kgce/tce/gce by definition; kgoe/toe by definition (1 kgoe = 41.868 MJ,
  units.py); kWh with the electricity 当量值 coefficient (kgce/kWh) the caller takes from the reference
  tables (GB/T 2589 电力 当量值 row) — never a literal here.

A value converted between units is rounded to 12 significant digits so that 0.1 kgce/kg meets a
100 kgce/t boundary exactly as the respondent meant it.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Literal

from dualcarbon.core.errors import InvalidInput, MissingCoefficient, UnitMismatch
from dualcarbon.core.units import conversion_factor, parse_unit
from dualcarbon.core.vocab import TIER_ZH, GradeTier, PolicyTier, Tier
from dualcarbon.core.vocab import CatalogBasis as Basis
from dualcarbon.reference.model import IMPORT_HINT, BenchmarkRow, ConversionCoefficient

EnergyKind = Literal["coal_equivalent", "oil_equivalent", "electricity"]

#: Chinese names of the two references the gaps are measured against, per basis.
REFERENCE_ZH: dict[str, tuple[str, str]] = {"policy": ("标杆水平", "基准水平"), "gb": ("1级", "3级限定值")}

_SIGNIFICANT_DIGITS = 12
_COAL = re.compile(r"(?i)(ce|标准煤|标煤)$")
_OIL = re.compile(r"(?i)(oe|标准油|标油)$")
_ELECTRICITY = re.compile(r"(?i)(wh|千瓦时|度)$")


# ---- tiers --------------------------------------------------------------------------------------------
def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"must be a finite number, got {value!r}", field=name)
    return float(value)


def check_policy_references(benchmark: float, baseline: float) -> None:
    """Raise ``InvalidInput`` unless benchmark ≤ baseline (lower is better)."""
    if _finite(benchmark, "benchmark") > _finite(baseline, "baseline"):
        raise InvalidInput(
            f"benchmark {benchmark:g} is above baseline {baseline:g}; for a lower-is-better unit consumption "
            "the benchmark (标杆) must be ≤ the baseline (基准)",
            field="benchmark",
        )


def check_grades(grade_1: float | None, grade_2: float | None, grade_3: float | None) -> None:
    """Raise ``InvalidInput`` unless the given grades satisfy 1级 ≤ 2级 ≤ 3级 (blank grades skipped)."""
    given = [
        (name, _finite(v, name))
        for name, v in (("grade_1", grade_1), ("grade_2", grade_2), ("grade_3", grade_3))
        if v is not None
    ]
    for (name_a, a), (name_b, b) in itertools.pairwise(given):
        if a > b:
            raise InvalidInput(
                f"{name_a} {a:g} is above {name_b} {b:g}; grades of a lower-is-better unit consumption must "
                "satisfy 1级 ≤ 2级 ≤ 3级",
                field=name_a,
            )


def classify_against_benchmark(value: float, benchmark: float, baseline: float) -> PolicyTier:
    """Policy tier of ``value`` (same unit as the references): value ≤ 标杆 → ``benchmark``;
    标杆 < value ≤ 基准 → ``between``; value > 基准 → ``below_baseline``."""
    value = _finite(value, "value")
    check_policy_references(benchmark, baseline)
    if value <= benchmark:
        return "benchmark"
    if value <= baseline:
        return "between"
    return "below_baseline"


def classify_against_grades(value: float, grade_1: float | None, grade_2: float | None, grade_3: float) -> GradeTier:
    """GB grade of ``value``: the best grade whose limit is given and ≥ value; above 3级 → ``fails_limit``.

    ``grade_1``/``grade_2`` may be None (not given by the standard for the row): that grade is skipped.
    """
    value = _finite(value, "value")
    check_grades(grade_1, grade_2, grade_3)
    if grade_1 is not None and value <= grade_1:
        return "grade_1"
    if grade_2 is not None and value <= grade_2:
        return "grade_2"
    if value <= grade_3:
        return "grade_3"
    return "fails_limit"


def gap(value: float, reference: float) -> tuple[float, float | None]:
    """(value − reference, (value − reference) / |reference| × 100 %); the percentage is None for 0."""
    difference = value - reference
    return difference, (difference / abs(reference) * 100.0 if reference != 0 else None)


# ---- units of an indicator ------------------------------------------------------------------------------
def indicator_unit_parts(unit: str) -> tuple[str, str]:
    """Split an indicator unit ``kgce/t`` into (energy numerator ``kgce``, product denominator ``t``)."""
    numerator, slash, denominator = unit.strip().partition("/")
    if not slash or not numerator.strip() or not denominator.strip():
        raise UnitMismatch(f"'{unit}' is not a unit consumption (expected energy/product, e.g. kgce/t)")
    return numerator.strip(), denominator.strip()


def energy_kind(numerator: str) -> EnergyKind:
    """What the energy of an indicator is counted in: standard coal, oil equivalent or electricity."""
    text = numerator.replace(" ", "")
    parse_unit(text)  # unknown units raise UnitMismatch naming the text
    if _COAL.search(text):
        return "coal_equivalent"
    if _OIL.search(text):
        return "oil_equivalent"
    if _ELECTRICITY.search(text):
        return "electricity"
    raise UnitMismatch(f"'{numerator}' is not an energy unit of a unit-consumption indicator (kgce, tce, kgoe, kWh …)")


def indicator_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier turning a unit consumption in ``from_unit`` into ``to_unit`` (kgce/kg → kgce/t: 1000).

    Coal and oil equivalents convert by definition; electricity (kWh/t) never converts to or from a
    standard-coal indicator (that needs a 当量值/等价值 choice): ``UnitMismatch``.
    """
    from_kind = energy_kind(indicator_unit_parts(from_unit)[0])
    to_kind = energy_kind(indicator_unit_parts(to_unit)[0])
    if (from_kind == "electricity") != (to_kind == "electricity"):
        raise UnitMismatch(
            f"'{from_unit}' cannot be compared with '{to_unit}': electricity per product and standard coal per "
            "product are different indicators"
        )
    return conversion_factor(from_unit, to_unit)


def output_factor(output_unit: str, indicator_unit: str) -> float:
    """Multiplier turning an output in ``output_unit`` into the indicator's denominator (万吨 → t: 10000)."""
    denominator = indicator_unit_parts(indicator_unit)[1]
    try:
        return conversion_factor(output_unit, denominator)
    except UnitMismatch:
        raise UnitMismatch(
            f"output unit '{output_unit}' does not convert to '{denominator}', the product unit of '{indicator_unit}'"
        ) from None


def tce_per_numerator_unit(indicator_unit: str, electricity_kgce_per_kwh: float | None) -> float:
    """tce in one unit of the indicator's energy numerator (kgce → 0.001; kWh → coefficient × 0.001)."""
    numerator = indicator_unit_parts(indicator_unit)[0]
    if energy_kind(numerator) != "electricity":
        return conversion_factor(numerator, "tce")
    if electricity_kgce_per_kwh is None:
        raise MissingCoefficient(
            f"the saving of an electricity indicator ({indicator_unit}) is expressed in tce with the GB/T 2589 "
            "electricity 当量值 coefficient (kgce/kWh), which was not given"
        )
    return conversion_factor(numerator, "kWh") * electricity_kgce_per_kwh * conversion_factor("kgce", "tce")


def round_converted(value: float) -> float:
    """Round a unit-converted value to 12 significant digits (floating noise must not cross a boundary)."""
    return float(f"{value:.{_SIGNIFICANT_DIGITS}g}")


# ---- one classification -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Classification:
    """Result of classifying one unit consumption.

    ``value``/``unit`` are in the reference's unit; ``input_value``/``input_unit`` as given. ``benchmark``
    and ``baseline`` are the pair the gaps are measured against (policy: 标杆/基准; gb: 1级/3级).
    Savings are tce per year when ``output`` is an annual output (None without output).
    """

    basis: Basis
    tier: Tier
    tier_zh: str
    value: float
    unit: str
    input_value: float
    input_unit: str
    benchmark: float | None
    baseline: float | None
    grades: tuple[float | None, float | None, float | None]
    gap_to_benchmark: float | None
    gap_to_benchmark_pct: float | None
    gap_to_baseline: float | None
    gap_to_baseline_pct: float | None
    saving_to_benchmark_tce: float | None
    saving_to_baseline_tce: float | None
    row_id: str | None = None
    electricity_row_id: str | None = None
    warnings: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()


def _electricity(
    coefficient: float | ConversionCoefficient | None, warnings: list[str], unverified: list[str]
) -> tuple[float | None, str | None]:
    if coefficient is None or isinstance(coefficient, int | float):
        return (None if coefficient is None else _finite(coefficient, "electricity_kgce_per_kwh")), None
    if coefficient.value is None:
        raise MissingCoefficient(f"electricity 当量值 coefficient is blank in row {coefficient.row_id}; {IMPORT_HINT}")
    value = coefficient.value * conversion_factor(coefficient.unit, "kgce/kWh")
    if not coefficient.provenance.verified:
        unverified.append(coefficient.row_id)
        warnings.append(f"electricity coefficient {coefficient.row_id} is not verified")
    return value, coefficient.row_id


def classify_value(
    value: float,
    value_unit: str,
    *,
    reference_unit: str,
    basis: Basis,
    benchmark: float | None = None,
    baseline: float | None = None,
    grades: tuple[float | None, float | None, float | None] = (None, None, None),
    output: float | None = None,
    output_unit: str | None = None,
    electricity_kgce_per_kwh: float | ConversionCoefficient | None = None,
    row_id: str | None = None,
    warnings: tuple[str, ...] = (),
    unverified: tuple[str, ...] = (),
) -> Classification:
    """Classify ``value`` [value_unit] against references in ``reference_unit`` (explicit values).

    basis ``policy`` needs ``benchmark`` and ``baseline``; basis ``gb`` needs ``grades[2]`` (3级).
    ``output`` [output_unit] (annual) enables the savings in tce.
    """
    notes, flagged = list(warnings), list(unverified)
    input_value = _finite(value, "value")
    try:
        factor = indicator_factor(value_unit, reference_unit)
    except UnitMismatch as exc:
        raise exc.at("unit") from None
    converted = input_value if factor == 1.0 else round_converted(input_value * factor)
    grade_1, grade_2, grade_3 = grades
    tier: Tier
    upper: float | None
    lower: float
    if basis == "policy":
        if benchmark is None or baseline is None:
            raise InvalidInput("basis 'policy' needs both benchmark and baseline", field="benchmark")
        tier = classify_against_benchmark(converted, benchmark, baseline)
        upper, lower = benchmark, baseline
    else:
        if grade_3 is None:
            raise InvalidInput("basis 'gb' needs grade_3 (the 3级 限定值)", field="grade_3")
        tier = classify_against_grades(converted, grade_1, grade_2, grade_3)
        upper, lower = grade_1, grade_3
        if grade_1 is None:
            notes.append("no 1级 value for this indicator: gaps and saving to grade 1 are not given")
        if grade_2 is None and grade_1 is not None:
            notes.append("no 2级 value for this indicator: values between 1级 and 3级 are graded 3级")
    to_upper = gap(converted, upper) if upper is not None else (None, None)
    to_lower = gap(converted, lower)
    if (upper == 0) or (lower == 0):
        notes.append("a reference value is 0: the gap percentage to it is undefined")
    saving_upper = saving_lower = None
    electricity_row = None
    if output is not None:
        output_value = _finite(output, "output")
        if output_value < 0:
            raise InvalidInput("must not be negative", field="output")
        if not output_unit:
            raise InvalidInput("required when output is given", field="output_unit")
        kgce_per_kwh, electricity_row = (None, None)
        if energy_kind(indicator_unit_parts(reference_unit)[0]) == "electricity":
            kgce_per_kwh, electricity_row = _electricity(electricity_kgce_per_kwh, notes, flagged)
        try:
            scale = output_value * output_factor(output_unit, reference_unit)
        except UnitMismatch as exc:
            raise exc.at("output_unit") from None
        tce_per_unit = tce_per_numerator_unit(reference_unit, kgce_per_kwh)
        if upper is not None:
            saving_upper = max(converted - upper, 0.0) * scale * tce_per_unit
        saving_lower = max(converted - lower, 0.0) * scale * tce_per_unit
    return Classification(
        basis=basis,
        tier=tier,
        tier_zh=TIER_ZH[tier],
        value=converted,
        unit=reference_unit,
        input_value=input_value,
        input_unit=value_unit,
        benchmark=upper,
        baseline=lower,
        grades=grades,
        gap_to_benchmark=to_upper[0],
        gap_to_benchmark_pct=to_upper[1],
        gap_to_baseline=to_lower[0],
        gap_to_baseline_pct=to_lower[1],
        saving_to_benchmark_tce=saving_upper,
        saving_to_baseline_tce=saving_lower,
        row_id=row_id,
        electricity_row_id=electricity_row,
        warnings=tuple(notes),
        unverified=tuple(dict.fromkeys(flagged)),
    )


def row_references(row: BenchmarkRow, basis: Basis) -> tuple[list[str], list[str]]:
    """Check ``row`` has the values ``basis`` needs; return (warnings, unverified row labels).

    Raises ``MissingCoefficient`` naming the row and the import command when a needed value is blank.
    """
    if basis == "policy":
        missing = [name for name, v in (("标杆水平", row.benchmark), ("基准水平", row.baseline)) if v is None]
        provenance, what = row.policy_provenance, "policy 标杆/基准"
    else:
        missing = ["3级限定值"] if row.grade_3 is None else []
        provenance, what = row.grade_provenance, "GB grades"
    if missing:
        raise MissingCoefficient(
            f"reference row {row.label} has no {'/'.join(missing)} in the {row.edition} edition "
            f"(basis '{basis}'); {IMPORT_HINT}"
        )
    if provenance.verified:
        return [], []
    return [f"{row.row_id}: {what} not verified ({provenance.confidence})"], [f"{row.row_id} ({what})"]


def classify_row(
    value: float,
    value_unit: str,
    row: BenchmarkRow,
    basis: Basis = "policy",
    output: float | None = None,
    output_unit: str | None = None,
    electricity_kgce_per_kwh: float | ConversionCoefficient | None = None,
) -> Classification:
    """Classify ``value`` [value_unit] against benchmark ``row`` on ``basis`` (see module docstring).

    Raises ``MissingCoefficient`` (naming the row and ``dualcarbon reference import``) when the row lacks
    the values the basis needs, ``UnitMismatch`` when the value's unit is not the row's kind of indicator.
    """
    if not row.lower_is_better:
        raise InvalidInput(f"reference row {row.row_id} is not a lower-is-better indicator", field="row")
    warnings, unverified = row_references(row, basis)
    return classify_value(
        value,
        value_unit,
        reference_unit=row.unit,
        basis=basis,
        benchmark=row.benchmark,
        baseline=row.baseline,
        grades=(row.grade_1, row.grade_2, row.grade_3),
        output=output,
        output_unit=output_unit,
        electricity_kgce_per_kwh=electricity_kgce_per_kwh,
        row_id=row.row_id,
        warnings=tuple(warnings),
        unverified=tuple(unverified),
    )
