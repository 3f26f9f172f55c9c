"""One cell of a meter file (or one field of a meter defined through the API) → its stored value.

Every reason is Chinese first (``中文 / English``, :func:`dualcarbon.core.errors.zh_en`): the import lists it per
(row, column), the API shows the Chinese half. Split from :mod:`.service_meters`, which plans and writes the import.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from dualcarbon.core.errors import DualcarbonError, InvalidInput, zh_en, zh_part
from dualcarbon.core.units import same_dimension
from dualcarbon.monitoring.models import (
    INPUT_TYPES,
    METER_KINDS,
    METER_MEASURES,
    PROCESS_STAGE_ZH,
    PROCESS_STAGES,
    STATISTIC_TYPES,
)
from dualcarbon.monitoring.service_virtual import parse_formula
from dualcarbon.reference.tables import ReferenceSet

_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
_STAGE_BY_ZH = {zh: key for key, zh in PROCESS_STAGE_ZH.items()}
_MEASURES_BY_ZH = {"能耗": "energy", "产量": "production"}


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: object, *, positive: bool) -> float:
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise ValueError(zh_en(f"「{value}」不是数字", "not a number")) from None
    if not math.isfinite(number) or (positive and number <= 0):
        raise ValueError(zh_en("须为大于 0 的数字", "must be a number above 0"))
    return number


def parse_cell(column: str, value: object, reference: ReferenceSet) -> Any:
    """The stored value of one cell; raises ValueError with the reason."""
    text = "" if value is None else str(value).strip()
    if column == "carrier":
        try:
            return reference.carrier(text).id
        except DualcarbonError:
            raise ValueError(
                zh_en(
                    f"未知的能源品种「{text}」（可用 `dualcarbon reference list carriers` 查看）",
                    f"unknown carrier '{text}' (see `dualcarbon reference list carriers`)",
                )
            ) from None
    if column == "kind":
        if text.lower() not in METER_KINDS:
            raise ValueError(
                zh_en(f"只能是以下之一：{'、'.join(METER_KINDS)}", f"must be one of {', '.join(METER_KINDS)}")
            )
        return text.lower()
    if column in ("multiplier", "counter_max", "max_rate"):
        return _number(value, positive=True)
    if column == "interval_minutes":
        minutes = int(_number(value, positive=True))
        if minutes != _number(value, positive=True) or 1440 % minutes:
            raise ValueError(
                zh_en(
                    "须为能整除一天的整分钟数（1、5、15、30、60 …）",
                    "must be whole minutes that divide a day (1, 5, 15, 30, 60 …)",
                )
            )
        return minutes
    if column == "counted":
        if text.lower() not in _TRUE | _FALSE:
            raise ValueError(zh_en("须为“是”或“否”（true/false）", "must be true or false (是/否)"))
        return text.lower() in _TRUE
    if column == "calibrated_until":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(zh_en("须为日期（如 2026-12-31）", "must be a date YYYY-MM-DD")) from None
    if column == "process_stage":
        stage = _STAGE_BY_ZH.get(text, text.lower())
        if stage not in PROCESS_STAGES:
            raise ValueError(
                zh_en(
                    f"只能是购入贮存、加工转换、输送分配、终端使用之一（或 {', '.join(PROCESS_STAGES)}）",
                    f"must be one of {', '.join(PROCESS_STAGES)} (or 购入贮存/加工转换/输送分配/终端使用)",
                )
            )
        return stage
    if column in ("statistic_type", "input_type"):
        allowed = STATISTIC_TYPES if column == "statistic_type" else INPUT_TYPES
        if text.lower() not in allowed:
            raise ValueError(zh_en(f"只能是以下之一：{'、'.join(allowed)}", f"must be one of {', '.join(allowed)}"))
        return text.lower()
    if column == "measures":
        measures = _MEASURES_BY_ZH.get(text, text.lower())
        if measures not in METER_MEASURES:
            raise ValueError(
                zh_en("须为能耗（energy）或产量（production）", "must be energy (能耗) or production (产量)")
            )
        return measures
    if column == "formula":
        parse_formula(text)  # the members are checked once the whole file is read
        return text
    if len(text) > 64:
        raise ValueError(zh_en("最多 64 个字符", "at most 64 characters"))
    return text


def check_unit(unit: str, carrier_id: str, reference: ReferenceSet) -> str:
    carrier = reference.carrier(carrier_id)
    try:
        ok = same_dimension(unit, carrier.default_unit) or (carrier.kind == "heat" and same_dimension(unit, "t"))
    except DualcarbonError as exc:
        raise ValueError(zh_en(exc.zh or exc.message, exc.message)) from None
    if not ok:
        raise ValueError(
            zh_en(
                f"「{unit}」不是{carrier.name_zh}的计量单位（例如 {carrier.default_unit}）",
                f"'{unit}' does not measure {carrier.name_zh} ({carrier.id}); e.g. {carrier.default_unit}",
            )
        )
    return unit


def check_meter_fields(carrier: str, unit: str, reference: ReferenceSet) -> tuple[str, str]:
    """The carrier id and unit of a meter defined outside a file (API); InvalidInput naming the field."""
    try:
        carrier_id = parse_cell("carrier", carrier, reference)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="carrier", zh=zh_part(str(exc))) from None
    try:
        return carrier_id, check_unit(unit.strip(), carrier_id, reference)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="unit", zh=zh_part(str(exc))) from None


def production_problems(row: int, values: dict[str, Any], unit: str) -> list[tuple[int, str, str]]:
    """Fill the stored fields of a production (产量) meter from its row; the problems of the row."""
    problems = []
    if values.pop("carrier", None):
        problems.append(
            (
                row,
                "carrier",
                zh_en("产量表没有能源品种，请留空", "a production meter has no energy carrier: leave it blank"),
            )
        )
    if not values.get("product"):
        problems.append(
            (
                row,
                "product",
                zh_en(
                    "产量表须填写所计量的产品",
                    "required for a production meter (the product whose output it measures)",
                ),
            )
        )
    if values.get("kind") not in ("cumulative", "interval"):
        problems.append(
            (row, "kind", zh_en("产量表只能是 cumulative 或 interval", "a production meter is cumulative or interval"))
        )
    if len(unit) > 32:
        problems.append((row, "unit", zh_en("最多 32 个字符", "at most 32 characters")))
    values["carrier"], values["unit"] = "", unit
    return problems
