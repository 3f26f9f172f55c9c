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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError, InvalidInput, NotFound, zh_en, zh_part
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.schemas import MeterImportReceipt, MeterOut
from dualcarbon.monitoring.service_meter_cells import blank as _blank
from dualcarbon.monitoring.service_meter_cells import check_meter_fields as check_meter_fields  # re-exported
from dualcarbon.monitoring.service_meter_cells import check_unit as _check_unit
from dualcarbon.monitoring.service_meter_cells import parse_cell as _parse
from dualcarbon.monitoring.service_meter_cells import production_problems as _production_problems
from dualcarbon.monitoring.service_virtual import formula_problems
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


class MeterFileInvalid(InvalidInput):
    """The meter file has problems; ``problems`` lists (row, column, reason); nothing was written."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        lines = "; ".join(f"row {r}, {c}: {why}" for r, c, why in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        lines_zh = "；".join(f"第 {r} 行 {c}：{zh_part(why)}" for r, c, why in problems[:20])
        more_zh = f"（另有 {len(problems) - 20} 处）" if len(problems) > 20 else ""
        zh = f"表计文件有 {len(problems)} 处问题，未导入任何内容：{lines_zh}{more_zh}"
        super().__init__(
            f"表计文件有 {len(problems)} 处问题，未导入任何内容 / {len(problems)} problem(s), nothing imported: "
            f"{lines}{more}",
            field="file",
            zh=zh,
        )
        self.problems = problems


@dataclass
class _Planned:
    row: int
    enterprise: Enterprise
    code: str
    values: dict[str, Any]
    parent_code: str | None


def _header(values: list[Any]) -> dict[str, int]:
    return {str(v).strip().lower(): i for i, v in enumerate(values) if not _blank(v)}


def import_meters(session: Session, principal: Principal, path: Path, reference: ReferenceSet) -> MeterImportReceipt:
    """Import the meter register of ``path`` (all or nothing); raises :class:`MeterFileInvalid`."""
    rows = iter(read_rows(path))
    try:
        header_row, header_values = next(rows)
    except StopIteration:
        raise MeterFileInvalid([(1, "file", zh_en("文件是空的", "empty file"))]) from None
    header = _header(header_values)
    problems: list[tuple[int, str, str]] = []
    for name in REQUIRED:
        if name not in header:
            problems.append((header_row, name, zh_en("缺少必填的列", "required column missing")))
    for name in header:
        if name not in REQUIRED + OPTIONAL + EXTENSIONS:
            problems.append((header_row, name, zh_en("不认识的列", "unknown column")))
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
                row_problems.append((number, name, zh_en("必填", "required")))
        if row_problems:
            problems.extend(row_problems)
            continue
        credit_code = str(cells["credit_code"]).strip().upper()
        if credit_code not in enterprises:
            try:
                enterprises[credit_code] = require_enterprise(session, principal, credit_code, write=True)
            except DualcarbonError as exc:
                enterprises[credit_code] = None
                problems.append((number, "credit_code", zh_en(exc.zh or exc.message, exc.message)))
                continue
        enterprise = enterprises[credit_code]
        if enterprise is None:
            problems.append(
                (
                    number,
                    "credit_code",
                    zh_en("未找到该企业，或您无权修改", f"enterprise {credit_code} not found or not yours to change"),
                )
            )
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
            problems.append((number, "meter_code", zh_en("最多 64 个字符", "at most 64 characters")))
            continue
        if values_out["measures"] == "production":
            problems.extend(_production_problems(number, values_out, str(cells["unit"]).strip()))
        elif not _blank(cells.get("product")):
            problems.append(
                (
                    number,
                    "product",
                    zh_en(
                        "只有产量表（measures = production）才填产品",
                        "only a production meter (measures = production) names a product",
                    ),
                )
            )
        elif "carrier" in values_out:
            try:
                values_out["unit"] = _check_unit(str(cells["unit"]).strip(), values_out["carrier"], reference)
            except ValueError as exc:
                problems.append((number, "unit", str(exc)))
        key = (enterprise.id, code)
        if key in planned:
            problems.append(
                (
                    number,
                    "meter_code",
                    zh_en(
                        f"「{code}」已在第 {planned[key].row} 行登记给同一企业",
                        f"'{code}' already on row {planned[key].row} for this enterprise",
                    ),
                )
            )
            continue
        parent = None if _blank(cells.get("parent_meter_code")) else str(cells["parent_meter_code"]).strip()
        if parent == code:
            problems.append(
                (number, "parent_meter_code", zh_en("表不能是自己的上级表", "a meter cannot be its own parent"))
            )
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
            reason = zh_en(f"本企业没有表号「{plan.parent_code}」", f"no meter '{plan.parent_code}' in this enterprise")
            problems.append((plan.row, "parent_meter_code", reason))
            continue
        seen = {key[1]}
        current = plan.parent_code
        while current:
            if current in seen:
                reason = zh_en(
                    f"表计层级会经「{current}」形成循环", f"the meter tree would have a cycle through '{current}'"
                )
                problems.append((plan.row, "parent_meter_code", reason))
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
        raise NotFound(f"meter {meter_id} not found", zh="未找到该表计，或不在您的管辖范围内")
    return row[0], row[1]


def find_meter(session: Session, principal: Principal, credit_code: str, code: str) -> tuple[Meter, Enterprise]:
    """The meter ``code`` of enterprise ``credit_code`` when the caller may read it; NotFound otherwise."""
    enterprise = require_enterprise(session, principal, credit_code)
    meter = session.scalar(select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code == code.strip()))
    if meter is None:
        raise NotFound(
            f"meter '{code}' of enterprise {enterprise.credit_code} not found",
            zh=f"未找到表号「{code}」，或不在您的管辖范围内",
        )
    return meter, enterprise
