"""`savings` contract: energy-saving amount (节能量) by GB/T 13234-2018 — docs/contracts-savings.md.

Input ``{"method": "product"|"output_value"|"technical_measure"|"product_structure", "base": [...],
"report": [...]}`` (item fields per method, see the doc); output ``{"method", "signed_tce", "saving_tce",
"rate_pct", "saving_rate_pct", "lines": [...], ...}``. ``signed_*`` keep the standard's sign (negative =
saved); ``saving_*`` are their negation (positive = saved).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, FiniteFloat

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.core.units import convert
from dualcarbon.domain import savings
from dualcarbon.reference.tables import ReferenceSet

METHODS = ("product", "output_value", "technical_measure", "product_structure")
DIGITS = 6  # results are rounded here, at output only

Name = Field(min_length=1)


class _ConsumptionItem(Strict):
    unit_consumption: FiniteFloat
    unit_consumption_unit: str = Name
    output: FiniteFloat | None = Field(default=None, ge=0)
    output_unit: str | None = None


class ProductItem(_ConsumptionItem):
    product: str = Name


class MeasureItem(_ConsumptionItem):
    measure: str = Name


class OutputValueItem(Strict):
    label: str | None = None
    energy_tce: FiniteFloat = Field(ge=0)
    value_10k_yuan: FiniteFloat = Field(gt=0)


class StructureBaseItem(Strict):
    product: str = Name
    share: FiniteFloat = Field(ge=0, le=1)
    unit_consumption: FiniteFloat
    unit_consumption_unit: str = Name


class StructureReportItem(Strict):
    product: str = Name
    share: FiniteFloat = Field(ge=0, le=1)


class ProductInput(Strict):
    method: Literal["product"]
    base: list[ProductItem] = Field(min_length=1)
    report: list[ProductItem] = Field(min_length=1)


class MeasureInput(Strict):
    method: Literal["technical_measure"]
    base: list[MeasureItem] = Field(min_length=1)
    report: list[MeasureItem] = Field(min_length=1)


class OutputValueInput(Strict):
    method: Literal["output_value"]
    base: list[OutputValueItem] = Field(min_length=1)
    report: list[OutputValueItem] = Field(min_length=1)


class StructureInput(Strict):
    method: Literal["product_structure"]
    report_total_value_10k_yuan: FiniteFloat = Field(ge=0)
    share_tolerance: FiniteFloat = Field(default=savings.DEFAULT_SHARE_TOLERANCE, gt=0, lt=0.1)
    base: list[StructureBaseItem] = Field(min_length=1)
    report: list[StructureReportItem] = Field(min_length=1)


# domain field names → contract field names (inside report[i])
_FIELD_NAMES = {
    "report_activity": "output",
    "activity_unit": "output_unit",
    "base_share": "share",
    "report_share": "share",
}


def _remap(exc: DualcarbonError, period: str) -> DualcarbonError:
    """Turn a domain field path ``lines[2].activity_unit`` into ``report[2].output_unit``."""
    field = exc.field or ""
    if field.startswith("lines["):
        index, _, rest = field[len("lines[") :].partition("]")
        rest = rest.lstrip(".")
        exc.field = f"{period}[{index}]" + (f".{_FIELD_NAMES.get(rest, rest)}" if rest else "")
    elif field in _FIELD_NAMES:
        exc.field = _FIELD_NAMES[field]
    return exc


def _index(items: list[Any], key: str, period: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        name = getattr(item, key)
        if name in seen:
            raise InvalidInput(
                f"{key} '{name}' appears twice (also {period}[{seen[name]}])", field=f"{period}[{i}].{key}"
            )
        seen[name] = i
    return seen


def _pairs(model: ProductInput | MeasureInput, key: str) -> tuple[list[savings.UnitConsumptionPair], list[str]]:
    base = _index(model.base, key, "base")
    _index(model.report, key, "report")
    pairs: list[savings.UnitConsumptionPair] = []
    for i, item in enumerate(model.report):
        name = getattr(item, key)
        where = f"report[{i}]"
        if name not in base:
            raise InvalidInput(
                f"{key} '{name}' is not in base (every reporting {key} needs its base-period unit consumption)",
                field=f"{where}.{key}",
            )
        if item.output is None:
            raise InvalidInput("required field is missing", field=f"{where}.output")
        if not item.output_unit:
            raise InvalidInput("required field is missing", field=f"{where}.output_unit")
        before = model.base[base[name]]
        try:
            savings.require_coal_equivalent(before.unit_consumption_unit)
            base_value = convert(before.unit_consumption, before.unit_consumption_unit, item.unit_consumption_unit)
        except DualcarbonError as exc:
            exc.field = f"base[{base[name]}].unit_consumption_unit"
            raise exc from None
        pairs.append(
            savings.UnitConsumptionPair(
                name, base_value, item.unit_consumption, item.unit_consumption_unit, item.output, item.output_unit
            )
        )
    reported = {getattr(item, key) for item in model.report}
    warnings = [
        f"{key} '{getattr(item, key)}' is in base but not in report; it contributes nothing"
        for item in model.base
        if getattr(item, key) not in reported
    ]
    return pairs, warnings


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0


_ACTIVITY_KEY = {
    "product": "report_output",
    "technical_measure": "report_output_after",
    "output_value": "report_value_10k_yuan",
    "product_structure": "report_total_value_10k_yuan",
}
_UNIT_KEY = {
    "product": "output_unit",
    "technical_measure": "output_unit",
    "output_value": "value_unit",
    "product_structure": "value_unit",
}
_LABEL_KEY = {
    "product": "product",
    "technical_measure": "measure",
    "output_value": "label",
    "product_structure": "product",
}


def _line(method: str, line: savings.SavingLine) -> dict[str, Any]:
    out: dict[str, Any] = {
        _LABEL_KEY[method]: line.label,
        "base_unit_consumption": _number(line.base_unit_consumption),
        "report_unit_consumption": _number(line.report_unit_consumption),
        "unit_consumption_unit": line.unit_consumption_unit,
        _ACTIVITY_KEY[method]: _number(line.activity),
        _UNIT_KEY[method]: line.activity_unit,
        "signed_tce": _number(line.signed_tce),
        "saving_tce": _number(line.saving_tce),
        "rate_pct": _number(line.rate_pct),
        "saving_rate_pct": _number(line.saving_rate_pct),
    }
    if method == "product_structure":
        out.pop("report_unit_consumption")
        out["base_share"] = line.base_share
        out["report_share"] = line.report_share
    return out


def _compute(payload: dict[str, Any]) -> tuple[savings.SavingResult, list[str]]:
    method = payload.get("method")
    if method is None:
        raise InvalidInput("required field is missing", field="method")
    if method not in METHODS:
        raise InvalidInput(f"unknown method '{method}' (expected one of: {', '.join(METHODS)})", field="method")
    if method in ("product", "technical_measure"):
        model: ProductInput | MeasureInput = (
            parse(ProductInput, payload) if method == "product" else parse(MeasureInput, payload)
        )
        pairs, warnings = _pairs(model, "product" if method == "product" else "measure")
        compute = savings.product_saving if method == "product" else savings.technical_measure_saving
        try:
            return compute(pairs), warnings
        except DualcarbonError as exc:
            raise _remap(exc, "report") from None
    if method == "output_value":
        ov = parse(OutputValueInput, payload)
        result = savings.output_value_saving(
            sum(item.energy_tce for item in ov.base),
            sum(item.value_10k_yuan for item in ov.base),
            sum(item.energy_tce for item in ov.report),
            sum(item.value_10k_yuan for item in ov.report),
        )
        warnings = ["several items per period were summed"] if len(ov.base) > 1 or len(ov.report) > 1 else []
        return result, warnings
    st = parse(StructureInput, payload)
    base = _index(st.base, "product", "base")
    report = _index(st.report, "product", "report")
    for i, item in enumerate(st.report):
        if item.product not in base:
            raise InvalidInput(
                f"product '{item.product}' is not in base (its base-period unit output-value "
                "consumption e_jc is needed)",
                field=f"report[{i}].product",
            )
    shares = [
        savings.StructureShare(
            item.product,
            item.share,
            st.report[report[item.product]].share if item.product in report else 0.0,
            item.unit_consumption,
            item.unit_consumption_unit,
        )
        for item in st.base
    ]
    try:
        result = savings.product_structure_saving(st.report_total_value_10k_yuan, shares, st.share_tolerance)
    except DualcarbonError as exc:
        if exc.field == "report_share":
            exc.field = "report"
        elif exc.field == "base_share":
            exc.field = "base"
        raise _remap(exc, "base") from None
    return result, []


def run(payload: object, reference: ReferenceSet) -> dict[str, Any]:
    """Compute the saving; ``reference`` is unused (no coefficient is needed: inputs are in tce)."""
    if not isinstance(payload, dict):
        raise InvalidInput("expected a JSON object", field="input")
    result, warnings = _compute(payload)
    return {
        "method": result.method,
        "standard": savings.STANDARD,
        "formula": result.formula,
        "signed_tce": _number(result.signed_tce),
        "saving_tce": _number(result.saving_tce),
        "rate_pct": _number(result.rate_pct),
        "saving_rate_pct": _number(result.saving_rate_pct),
        "sign_convention": savings.SIGN_CONVENTION,
        "lines": [_line(result.method, line) for line in result.lines],
        "warnings": warnings,
    }
