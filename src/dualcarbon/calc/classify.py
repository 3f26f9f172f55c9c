"""`classify` contract: tier, gaps and needed savings of one unit consumption (docs/contracts-classify.md).

Input, one of:
* ``{"value", "unit", "row", "basis"?: "policy"|"gb", "output"?, "output_unit"?}`` — against a benchmark
  row of the reference tables (policy 标杆/基准, or its GB grades);
* ``{"value", "unit", "benchmark", "baseline", ...}`` — explicit policy values, in ``unit``;
* ``{"value", "unit", "grade_1"?, "grade_2"?, "grade_3", ...}`` — explicit GB grades, in ``unit``.
"""

from __future__ import annotations

from typing import Any, Literal

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import DualcarbonError, InvalidInput, MissingCoefficient
from dualcarbon.core.vocab import CatalogBasis as Basis
from dualcarbon.domain.efficiency import REFERENCE_ZH, Classification, classify_row, classify_value, energy_kind
from dualcarbon.domain.efficiency import indicator_unit_parts as _parts
from dualcarbon.reference import ConversionCoefficient, ReferenceSet


class ClassifyInput(Strict):
    value: float
    unit: str
    row: str | None = None
    basis: Literal["policy", "gb"] | None = None
    benchmark: float | None = None
    baseline: float | None = None
    grade_1: float | None = None
    grade_2: float | None = None
    grade_3: float | None = None
    output: float | None = None
    output_unit: str | None = None


def _electricity(unit: str, reference: ReferenceSet, wanted: bool) -> ConversionCoefficient | None:
    if not wanted or energy_kind(_parts(unit)[0]) != "electricity":
        return None
    return reference.conversion_coefficient(reference.carrier("electricity"))


def _provenance(coefficient: ConversionCoefficient) -> dict[str, Any]:
    return {
        "row_id": coefficient.row_id,
        "name": coefficient.row_name,
        "value": coefficient.value,
        "unit": coefficient.unit,
        "source": coefficient.provenance.source,
        "confidence": coefficient.provenance.confidence,
        "verified": coefficient.provenance.verified,
    }


def _round(value: float | None) -> float | None:
    """Output amounts to 6 decimals (1 gce, 1e-6 kgce/t): no binary noise such as 0.8999999999999986."""
    return None if value is None else round(value, 6)


def _result(
    result: Classification, reference_info: dict[str, Any], electricity: ConversionCoefficient | None, with_output: bool
) -> dict[str, Any]:
    upper, lower = REFERENCE_ZH[result.basis]
    reference_info["compared_with"] = {
        "benchmark": {"name": upper, "value": result.benchmark},
        "baseline": {"name": lower, "value": result.baseline},
    }
    if electricity is not None and result.electricity_row_id:
        reference_info["electricity"] = _provenance(electricity)
    out: dict[str, Any] = {
        "basis": result.basis,
        "tier": result.tier,
        "tier_zh": result.tier_zh,
        "value": result.value,
        "unit": result.unit,
        "input": {"value": result.input_value, "unit": result.input_unit},
        "gap_to_benchmark": _round(result.gap_to_benchmark),
        "gap_to_benchmark_pct": _round(result.gap_to_benchmark_pct),
        "gap_to_baseline": _round(result.gap_to_baseline),
        "gap_to_baseline_pct": _round(result.gap_to_baseline_pct),
    }
    if with_output:
        out["saving_to_benchmark_tce"] = _round(result.saving_to_benchmark_tce)
        out["saving_to_baseline_tce"] = _round(result.saving_to_baseline_tce)
    if result.row_id:
        out["row"] = result.row_id
    out["reference"] = reference_info
    out["warnings"] = list(result.warnings)
    # Same key as the energy/carbon contracts: the ids of reference rows used whose values are unverified.
    out["unverified_rows"] = list(dict.fromkeys(label.split(" ")[0] for label in result.unverified))
    return out


def run(payload: object, reference: ReferenceSet) -> dict[str, Any]:
    data = parse(ClassifyInput, payload)
    explicit = {k: getattr(data, k) for k in ("benchmark", "baseline", "grade_1", "grade_2", "grade_3")}
    given = [k for k, v in explicit.items() if v is not None]
    with_output = data.output is not None
    if data.row is not None:
        if given:
            raise InvalidInput("give either 'row' or explicit reference values, not both", field=given[0])
        row_basis: Basis = data.basis or "policy"
        try:
            row = reference.benchmark_row(data.row)
        except DualcarbonError as exc:
            raise exc.at("row") from None
        electricity = _electricity(row.unit, reference, with_output)
        try:
            result = classify_row(data.value, data.unit, row, row_basis, data.output, data.output_unit, electricity)
        except MissingCoefficient as exc:
            raise exc.at("row") from None
        info: dict[str, Any] = {
            "row_id": row.row_id,
            "edition": row.edition,
            "field": row.field,
            "product": row.product,
            "indicator": row.indicator,
            "unit": row.unit,
            "benchmark": row.benchmark,
            "baseline": row.baseline,
            "policy_source": row.policy_provenance.source,
            "policy_confidence": row.policy_provenance.confidence,
            "policy_verified": row.policy_provenance.verified,
            "limit_standard": row.limit_standard,
            "grade_1": row.grade_1,
            "grade_2": row.grade_2,
            "grade_3": row.grade_3,
            "grades_source": row.grade_provenance.source,
            "grades_confidence": row.grade_provenance.confidence,
            "grades_verified": row.grade_provenance.verified,
            "version": row.grade_provenance.version,
        }
        return _result(result, info, electricity, with_output)
    policy_given = data.benchmark is not None or data.baseline is not None
    basis: Basis | None = data.basis or ("policy" if policy_given else "gb" if given else None)
    if basis is None:
        raise InvalidInput(
            "give 'row' (a benchmark row id), or 'benchmark' and 'baseline', or the grades ('grade_3' at least)",
            field="row",
        )
    if basis == "policy" and (data.benchmark is None or data.baseline is None):
        raise InvalidInput(
            "required with basis 'policy' (give both benchmark and baseline)",
            field="benchmark" if data.benchmark is None else "baseline",
        )
    if basis == "gb" and data.grade_3 is None:
        raise InvalidInput("required with basis 'gb' (the 3级 限定值)", field="grade_3")
    electricity = _electricity(data.unit, reference, with_output)
    result = classify_value(
        data.value,
        data.unit,
        reference_unit=data.unit,
        basis=basis,
        benchmark=data.benchmark,
        baseline=data.baseline,
        grades=(data.grade_1, data.grade_2, data.grade_3),
        output=data.output,
        output_unit=data.output_unit,
        electricity_kgce_per_kwh=electricity,
    )
    info = {"source": "input", "unit": data.unit, **{k: v for k, v in explicit.items() if v is not None}}
    return _result(result, info, electricity, with_output)
