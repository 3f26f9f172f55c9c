"""`mv` contract: verified savings by a baseline model (GB/T 28750-2012, ASHRAE Guideline 14) — docs/contracts.md#mv.

Input ``{"baseline": [{"period_start", "energy", "production"?, "temperature"?}], "reporting": [ … ],
"interval": "day"|"month"}``, optionally ``"criteria_set"`` (a set of the ``mv_criteria`` table: "default", or
"opendsm_legacy" for OpenDSM's legacy daily model choice), plus, for avoided tce and CO₂, ``"carrier"`` and
``"energy_unit"`` (and ``"year"``/``"region"`` for electricity). ``production`` is a number or
``{product: number}``; ``temperature`` is the period's mean outdoor temperature in °C. Output ``{"model", "r2",
"cvrmse_pct", "nmbe_pct", "avoided_energy", "savings_pct", "fsu_pct", "warnings", …}``; ``avoided_energy`` is
positive for a saving, ``signed_saving`` keeps the GB/T 28750 / GB/T 13234 sign (negative = saved). The rules
come from the ``mv_criteria`` reference table; the computation is :func:`dualcarbon.domain.mv.verify_savings`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, FiniteFloat, ValidationError

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import DualcarbonError, InvalidInput, validation_message_zh, zh_en
from dualcarbon.domain import mv
from dualcarbon.domain.mv_checks import CRITERIA_TABLE, MvWarning, criteria_from_reference
from dualcarbon.reference.tables import ReferenceSet

DIGITS = 6


NonNegative = Annotated[FiniteFloat, Field(ge=0)]


class Period(Strict):
    period_start: dt.date
    energy: NonNegative
    production: NonNegative | dict[str, NonNegative] | None = None
    temperature: FiniteFloat | None = Field(default=None, ge=-90, le=60)


class MvInput(Strict):
    baseline: list[Period] = Field(min_length=1)
    reporting: list[Period] = Field(min_length=1)
    interval: Literal["day", "month"]
    criteria_set: str = Field(default="default", min_length=1, max_length=40)
    carrier: str | None = Field(default=None, min_length=1)
    energy_unit: str | None = Field(default=None, min_length=1)
    year: int | None = None
    region: str | None = None


def _periods(items: list[Period]) -> list[mv.MvPeriod]:
    return [
        mv.MvPeriod(
            start=item.period_start,
            energy=item.energy,
            production=(
                None
                if item.production is None
                else item.production
                if isinstance(item.production, dict)
                else {"production": item.production}
            ),
            temperature_c=item.temperature,
        )
        for item in items
    ]


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS) + 0.0


def _converted(
    request: MvInput, avoided: float, reference: ReferenceSet
) -> tuple[float | None, float | None, list[str]]:
    """Avoided tce (当量值) and tCO₂ of ``avoided`` energy of the carrier, through the energy and carbon contracts."""
    from dualcarbon.calc import carbon, energy  # the sibling contracts: one way to convert

    if request.carrier is None:
        return None, None, []
    if request.energy_unit is None:
        zh = "给出能源品种时须填写能量单位（如 kWh、m³、t）"
        raise InvalidInput(
            zh_en(zh, "required with carrier (the unit of energy, e.g. kWh, m³, t)"), field="energy_unit", zh=zh
        )
    quantity = abs(avoided)
    sign = -1.0 if avoided < 0 else 1.0
    try:
        kind = reference.carrier(request.carrier).kind
        tce = energy.run(
            {"items": [{"carrier": request.carrier, "quantity": quantity, "unit": request.energy_unit}]}, reference
        )["total_tce"]
    except DualcarbonError as exc:
        exc.field = "energy_unit" if (exc.field or "").endswith("unit") else "carrier"
        raise exc from None
    payload: dict[str, Any] = {"year": request.year, "region": request.region}
    if kind == "electricity":
        payload["electricity"] = {"quantity": quantity, "unit": request.energy_unit}
    elif kind == "heat":
        payload["heat"] = {"quantity": quantity, "unit": request.energy_unit}
    elif kind == "fuel":
        payload["fuels"] = [{"carrier": request.carrier, "quantity": quantity, "unit": request.energy_unit}]
    else:
        return sign * tce, None, [f"carrier {request.carrier} ({kind}) has no CO₂ factor; avoided_tco2 not computed"]
    try:
        result = carbon.run({k: v for k, v in payload.items() if v is not None}, reference)
    except DualcarbonError as exc:
        exc.field = exc.field if exc.field in ("year", "region") else "carrier"
        raise exc from None
    return sign * tce, sign * result["total_tco2"], list(result.get("warnings", []))


def _parsed(payload: dict[str, Any]) -> MvInput:
    """The validated input; a problem is one ``InvalidInput`` line, Chinese first (``中文 / English``)."""
    try:
        return parse(MvInput, payload)
    except InvalidInput as exc:
        try:
            MvInput.model_validate(payload)
        except ValidationError as invalid:
            exc.zh = validation_message_zh(invalid.errors()[0])
            exc.message = zh_en(exc.zh, exc.message)
        raise


def run(payload: object, reference: ReferenceSet) -> dict[str, Any]:
    """Fit, verify and return the JSON-serialisable result (see the module docstring)."""
    if not isinstance(payload, dict):
        raise InvalidInput(
            zh_en("输入须为 JSON 对象", "expected a JSON object"), field="input", zh="输入须为 JSON 对象"
        )
    request = _parsed(payload)
    rules, rows = criteria_from_reference(reference, request.interval, request.criteria_set)
    result = mv.verify_savings(_periods(request.baseline), _periods(request.reporting), request.interval, rules)
    avoided_tce, avoided_tco2, notes = _converted(request, result.avoided_energy, reference)
    warnings = [w.to_dict() for w in result.warnings]
    warnings += [MvWarning("conversion", note).to_dict() for note in notes]
    unverified = [row["row_id"] for row in rows if not row["confidence"].lower().startswith("verified")]
    if unverified:
        warnings.append(
            MvWarning(
                "unverified_reference",
                f"{len(unverified)} {CRITERIA_TABLE} row(s) are not verified against their source",
                {"rows": unverified},
            ).to_dict()
        )
    model = result.model
    return {
        "standard": f"{mv.STANDARD}; ASHRAE Guideline 14-2014",
        "interval": request.interval,
        "model": model.to_dict(),
        "r2": _number(model.r2),
        "adj_r2": _number(model.adj_r2),
        "cvrmse_pct": _number(model.cvrmse_pct),
        "nmbe_pct": _number(model.nmbe_pct),
        "adjusted_baseline": _number(result.adjusted_baseline),
        "reporting_energy": _number(result.reporting_energy),
        "avoided_energy": _number(result.avoided_energy),
        "signed_saving": _number(result.signed_saving),
        "sign_convention": "avoided_energy = 校准能耗 − 统计报告期能耗 (positive = saved); "
        "signed_saving = 统计报告期能耗 − 校准能耗 (GB/T 28750 / GB/T 13234: negative = saved)",
        "savings_pct": _number(result.savings_pct),
        "fsu_pct": _number(result.fsu_pct),
        "fsu_confidence_pct": _number(result.fsu_confidence * 100),
        "reporting_periods": result.reporting_periods,
        "avoided_tce": _number(avoided_tce),
        "avoided_tco2": _number(avoided_tco2),
        "reference_rows": [row["row_id"] for row in rows],
        "unverified_rows": unverified,
        "warnings": warnings,
    }
