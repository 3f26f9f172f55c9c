"""The meter register: import from CSV/xlsx (validated, all or nothing, idempotent), list, look up.

Import columns (header names exactly as written, any order): required ``credit_code, meter_code,
carrier, unit, kind, multiplier``; optional ``parent_meter_code, counted, counter_max, max_rate,
data_item_code, calibrated_until`` and, beyond the issue's list, ``interval_minutes, process_stage,
statistic_type, input_type, formula, measures, product``. Any other column is an error. ``formula`` goes with
kind ``virtual`` (a meter computed from other meters, checked by :mod:`.service_virtual`). ``measures`` is
``energy`` (default; 能耗 accepted) or ``production`` (产量): a production meter names its ``product``, leaves
``carrier`` blank (a product is not an energy carrier) and may use any unit of its product (t, 件, m2 …).

* A meter is matched on (enterprise, meter_code). A new one is created; an existing one is updated only in
  the fields that differ; a file imported twice changes nothing the second time and writes no audit row.
* Every problem is reported as (row, column, reason) with the spreadsheet row number; if there is any,
  nothing is written.
* The caller must be allowed to change the enterprise's data (``registry.service_access``); an enterprise
  outside scope reads as unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError, InvalidInput, NotFound
from dualcarbon.core.units import same_dimension
from dualcarbon.monitoring.models import (
    INPUT_TYPES,
    METER_KINDS,
    METER_MEASURES,
    PROCESS_STAGE_ZH,
    PROCESS_STAGES,
    STATISTIC_TYPES,
    Meter,
)
from dualcarbon.monitoring.schemas import MeterImportReceipt, MeterOut
from dualcarbon.monitoring.service_virtual import formula_problems, parse_formula
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.registry.service_sheet import read_rows
from dualcarbon.store.audit import append_audit

REQUIRED = ("credit_code", "meter_code", "carrier", "unit", "kind", "multiplier")
OPTIONAL = ("parent_meter_code", "counted", "counter_max", "max_rate", "data_item_code", "calibrated_until")
EXTENSIONS = ("interval_minutes", "process_stage", "statistic_type", "input_type", "formula", "measures", "product")
FIELDS = (
    "carrier", "unit", "kind", "multiplier", "interval_minutes", "counter_max", "max_rate", "counted",
    "data_item_code", "process_stage", "statistic_type", "input_type", "calibrated_until", "measures", "product",
)  # fmt: skip
#: Stored fields: the listed ones and the virtual meter's formula.
STORED = (*FIELDS, "formula")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
_STAGE_BY_ZH = {zh: key for key, zh in PROCESS_STAGE_ZH.items()}
_MEASURES_BY_ZH = {"能耗": "energy", "产量": "production"}


class MeterFileInvalid(InvalidInput):
    """The meter file has problems; ``problems`` lists (row, column, reason); nothing was written."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        lines = "; ".join(f"row {r}, {c}: {why}" for r, c, why in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s), nothing imported: {lines}{more}", field="file")
        self.problems = problems


@dataclass
class _Planned:
    row: int
    enterprise: Enterprise
    code: str
    values: dict[str, Any]
    parent_code: str | None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: object, *, positive: bool) -> float:
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(number) or (positive and number <= 0):
        raise ValueError("must be a number above 0")
    return number


def _parse(column: str, value: object, reference: ReferenceSet) -> Any:
    """The stored value of one cell; raises ValueError with the reason."""
    text = "" if value is None else str(value).strip()
    if column == "carrier":
        try:
            return reference.carrier(text).id
        except DualcarbonError:
            raise ValueError(f"unknown carrier '{text}' (see `dualcarbon reference list carriers`)") from None
    if column == "kind":
        if text.lower() not in METER_KINDS:
            raise ValueError(f"must be one of {', '.join(METER_KINDS)}")
        return text.lower()
    if column in ("multiplier", "counter_max", "max_rate"):
        return _number(value, positive=True)
    if column == "interval_minutes":
        minutes = int(_number(value, positive=True))
        if minutes != _number(value, positive=True) or 1440 % minutes:
            raise ValueError("must be whole minutes that divide a day (1, 5, 15, 30, 60 …)")
        return minutes
    if column == "counted":
        if text.lower() not in _TRUE | _FALSE:
            raise ValueError("must be true or false (是/否)")
        return text.lower() in _TRUE
    if column == "calibrated_until":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("must be a date YYYY-MM-DD") from None
    if column == "process_stage":
        stage = _STAGE_BY_ZH.get(text, text.lower())
        if stage not in PROCESS_STAGES:
            raise ValueError(f"must be one of {', '.join(PROCESS_STAGES)} (or 购入贮存/加工转换/输送分配/终端使用)")
        return stage
    if column in ("statistic_type", "input_type"):
        allowed = STATISTIC_TYPES if column == "statistic_type" else INPUT_TYPES
        if text.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return text.lower()
    if column == "measures":
        measures = _MEASURES_BY_ZH.get(text, text.lower())
        if measures not in METER_MEASURES:
            raise ValueError("must be energy (能耗) or production (产量)")
        return measures
    if column == "formula":
        parse_formula(text)  # the members are checked once the whole file is read
        return text
    if len(text) > 64:
        raise ValueError("at most 64 characters")
    return text


def _check_unit(unit: str, carrier_id: str, reference: ReferenceSet) -> str:
    carrier = reference.carrier(carrier_id)
    try:
        ok = same_dimension(unit, carrier.default_unit) or (carrier.kind == "heat" and same_dimension(unit, "t"))
    except DualcarbonError as exc:
        raise ValueError(str(exc)) from None
    if not ok:
        raise ValueError(f"'{unit}' does not measure {carrier.name_zh} ({carrier.id}); e.g. {carrier.default_unit}")
    return unit


def check_meter_fields(carrier: str, unit: str, reference: ReferenceSet) -> tuple[str, str]:
    """The carrier id and unit of a meter defined outside a file (API); InvalidInput naming the field."""
    try:
        carrier_id = _parse("carrier", carrier, reference)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="carrier") from None
    try:
        return carrier_id, _check_unit(unit.strip(), carrier_id, reference)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="unit") from None


def _production_problems(row: int, values: dict[str, Any], unit: str) -> list[tuple[int, str, str]]:
    """Fill the stored fields of a production (产量) meter from its row; the problems of the row."""
    problems = []
    if values.pop("carrier", None):
        problems.append((row, "carrier", "a production meter has no energy carrier: leave it blank"))
    if not values.get("product"):
        problems.append((row, "product", "required for a production meter (the product whose output it measures)"))
    if values.get("kind") not in ("cumulative", "interval"):
        problems.append((row, "kind", "a production meter is cumulative or interval"))
    if len(unit) > 32:
        problems.append((row, "unit", "at most 32 characters"))
    values["carrier"], values["unit"] = "", unit
    return problems


def _header(values: list[Any]) -> dict[str, int]:
    return {str(v).strip().lower(): i for i, v in enumerate(values) if not _blank(v)}


def import_meters(session: Session, principal: Principal, path: Path, reference: ReferenceSet) -> MeterImportReceipt:
    """Import the meter register of ``path`` (all or nothing); raises :class:`MeterFileInvalid`."""
    rows = iter(read_rows(path))
    try:
        header_row, header_values = next(rows)
    except StopIteration:
        raise MeterFileInvalid([(1, "file", "empty file")]) from None
    header = _header(header_values)
    problems: list[tuple[int, str, str]] = []
    for name in REQUIRED:
        if name not in header:
            problems.append((header_row, name, "required column missing"))
    for name in header:
        if name not in REQUIRED + OPTIONAL + EXTENSIONS:
            problems.append((header_row, name, "unknown column"))
    if problems:
        raise MeterFileInvalid(problems)

    enterprises: dict[str, Enterprise | None] = {}
    planned: dict[tuple[int, str], _Planned] = {}
    count = 0
    for number, values in rows:
        cells = {name: values[i] if i < len(values) else None for name, i in header.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        count += 1
        row_problems: list[tuple[int, str, str]] = []
        production = str(cells.get("measures") or "").strip().lower() in ("production", "产量")
        for name in REQUIRED:
            if _blank(cells[name]) and not (production and name == "carrier"):
                row_problems.append((number, name, "required"))
        if row_problems:
            problems.extend(row_problems)
            continue
        credit_code = str(cells["credit_code"]).strip().upper()
        if credit_code not in enterprises:
            try:
                enterprises[credit_code] = require_enterprise(session, principal, credit_code, write=True)
            except DualcarbonError as exc:
                enterprises[credit_code] = None
                problems.append((number, "credit_code", str(exc)))
                continue
        enterprise = enterprises[credit_code]
        if enterprise is None:
            problems.append((number, "credit_code", f"enterprise {credit_code} not found or not yours to change"))
            continue
        values_out: dict[str, Any] = {"interval_minutes": 15, "counted": True}
        values_out |= {"statistic_type": "realtime", "input_type": "automatic", "measures": "energy"}
        for name in ("carrier", "kind", "multiplier", *OPTIONAL[1:], *EXTENSIONS):
            if name not in cells or _blank(cells[name]):
                continue
            try:
                values_out[name] = _parse(name, cells[name], reference)
            except ValueError as exc:
                problems.append((number, name, str(exc)))
        code = str(cells["meter_code"]).strip()
        if len(code) > 64:
            problems.append((number, "meter_code", "at most 64 characters"))
            continue
        if values_out["measures"] == "production":
            problems.extend(_production_problems(number, values_out, str(cells["unit"]).strip()))
        elif not _blank(cells.get("product")):
            problems.append((number, "product", "only a production meter (measures = production) names a product"))
        elif "carrier" in values_out:
            try:
                values_out["unit"] = _check_unit(str(cells["unit"]).strip(), values_out["carrier"], reference)
            except ValueError as exc:
                problems.append((number, "unit", str(exc)))
        key = (enterprise.id, code)
        if key in planned:
            problems.append((number, "meter_code", f"'{code}' already on row {planned[key].row} for this enterprise"))
            continue
        parent = None if _blank(cells.get("parent_meter_code")) else str(cells["parent_meter_code"]).strip()
        if parent == code:
            problems.append((number, "parent_meter_code", "a meter cannot be its own parent"))
        planned[key] = _Planned(number, enterprise, code, values_out, parent)

    existing = _existing(session, {p.enterprise.id for p in planned.values()})
    problems.extend(_parent_problems(planned, existing))
    problems.extend(_formula_problems(planned, existing))
    if problems:
        raise MeterFileInvalid(sorted(problems))
    created = updated = unchanged = 0
    meters: dict[tuple[int, str], Meter] = dict(existing)
    for key, plan in planned.items():
        meter = meters.get(key)
        if meter is None:
            meter = Meter(enterprise_id=plan.enterprise.id, code=plan.code, **{f: plan.values.get(f) for f in STORED})
            session.add(meter)
            meters[key] = meter
            created += 1
    session.flush()
    for key, plan in planned.items():
        meter = meters[key]
        wanted = {f: plan.values.get(f) for f in STORED}
        wanted["parent_id"] = meters[(plan.enterprise.id, plan.parent_code)].id if plan.parent_code else None
        if key not in existing:
            meter.parent_id = wanted["parent_id"]
            append_audit(session, principal.username, "meter.create", "meter", meter.id, None, _snapshot(meter))
            continue
        before = _snapshot(meter)
        changed = {f: v for f, v in wanted.items() if getattr(meter, f) != v}
        if not changed:
            unchanged += 1
            continue
        for name, value in changed.items():
            setattr(meter, name, value)
        updated += 1
        append_audit(session, principal.username, "meter.update", "meter", meter.id, before, _snapshot(meter))
    session.flush()
    return MeterImportReceipt(file=path.name, rows=count, created=created, updated=updated, unchanged=unchanged)


def _existing(session: Session, enterprise_ids: set[int]) -> dict[tuple[int, str], Meter]:
    if not enterprise_ids:
        return {}
    meters = session.scalars(select(Meter).where(Meter.enterprise_id.in_(sorted(enterprise_ids))))
    return {(m.enterprise_id, m.code): m for m in meters}


def _parent_problems(
    planned: dict[tuple[int, str], _Planned], existing: dict[tuple[int, str], Meter]
) -> list[tuple[int, str, str]]:
    """Parents must exist (in the file or the register, same enterprise) and the tree must have no cycle."""
    problems: list[tuple[int, str, str]] = []
    by_id = {m.id: m for m in existing.values()}
    parent_of: dict[tuple[int, str], str | None] = {}
    for key, meter in existing.items():
        parent = by_id.get(meter.parent_id) if meter.parent_id else None
        parent_of[key] = parent.code if parent else None
    for key, plan in planned.items():
        parent_of[key] = plan.parent_code
    for key, plan in planned.items():
        if plan.parent_code and (key[0], plan.parent_code) not in parent_of:
            problems.append((plan.row, "parent_meter_code", f"no meter '{plan.parent_code}' in this enterprise"))
            continue
        seen = {key[1]}
        current = plan.parent_code
        while current:
            if current in seen:
                problems.append(
                    (plan.row, "parent_meter_code", f"the meter tree would have a cycle through '{current}'")
                )
                break
            seen.add(current)
            current = parent_of.get((key[0], current))
    return problems


def _formula_problems(
    planned: dict[tuple[int, str], _Planned], existing: dict[tuple[int, str], Meter]
) -> list[tuple[int, str, str]]:
    """Virtual meters' formulas, per enterprise, over the register as it will be after the import."""
    by_enterprise: dict[int, dict[str, tuple[int, str, str, str, str | None]]] = {}
    for (enterprise_id, code), m in existing.items():
        by_enterprise.setdefault(enterprise_id, {})[code] = (0, m.kind, m.carrier, m.unit, m.formula)
    for (enterprise_id, code), plan in planned.items():
        v = plan.values
        row = (plan.row, str(v.get("kind", "")), str(v.get("carrier", "")), str(v.get("unit", "")), v.get("formula"))
        by_enterprise.setdefault(enterprise_id, {})[code] = row
    problems: list[tuple[int, str, str]] = []
    for rows in by_enterprise.values():
        if any(r[4] or r[1] == "virtual" for r in rows.values()):
            problems.extend(formula_problems(rows))
    return problems


def _snapshot(meter: Meter) -> dict[str, Any]:
    return {"enterprise_id": meter.enterprise_id, "code": meter.code, "parent_id": meter.parent_id} | {
        f: getattr(meter, f) for f in STORED
    }


# ---- reading the register ------------------------------------------------------------------------------
def _out(meter: Meter, credit_code: str, parent_code: str | None) -> MeterOut:
    return MeterOut(
        id=meter.id,
        credit_code=credit_code,
        code=meter.code,
        parent_code=parent_code,
        site_id=meter.site_id,
        production_unit_id=meter.production_unit_id,
        **{f: getattr(meter, f) for f in FIELDS},
    )


def list_meters(session: Session, principal: Principal, credit_code: str | None = None) -> list[MeterOut]:
    """Meters the caller may read, by enterprise and code; one enterprise when ``credit_code`` is given."""
    parent = aliased(Meter)
    query = (
        select(Meter, Enterprise.credit_code, parent.code)
        .join(Enterprise, Enterprise.id == Meter.enterprise_id)
        .outerjoin(parent, parent.id == Meter.parent_id)
        .where(enterprise_filter(principal))
        .order_by(Enterprise.credit_code, Meter.code)
    )
    if credit_code:
        query = query.where(Enterprise.id == require_enterprise(session, principal, credit_code).id)
    return [_out(meter, code, parent_code) for meter, code, parent_code in session.execute(query)]


def get_meter(session: Session, principal: Principal, meter_id: int) -> tuple[Meter, Enterprise]:
    """The meter and its enterprise when the caller may read it; NotFound otherwise (out of scope included)."""
    row = session.execute(
        select(Meter, Enterprise)
        .join(Enterprise, Enterprise.id == Meter.enterprise_id)
        .where(Meter.id == meter_id, enterprise_filter(principal))
    ).first()
    if row is None:
        raise NotFound(f"meter {meter_id} not found")
    return row[0], row[1]


def find_meter(session: Session, principal: Principal, credit_code: str, code: str) -> tuple[Meter, Enterprise]:
    """The meter ``code`` of enterprise ``credit_code`` when the caller may read it; NotFound otherwise."""
    enterprise = require_enterprise(session, principal, credit_code)
    meter = session.scalar(select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code == code.strip()))
    if meter is None:
        raise NotFound(f"meter '{code}' of enterprise {enterprise.credit_code} not found")
    return meter, enterprise
