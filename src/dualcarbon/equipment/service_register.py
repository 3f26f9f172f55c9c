"""The equipment register (设备台账): add or change one line, import a sheet, list, delete.

* Access: an enterprise (and its agency) writes its own register, a regulator those in its region subtree,
  a reviewer reads; out of scope → 404 (``registry.service_access``).
* Every change is audited (``equipment.create`` / ``equipment.update`` / ``equipment.delete``) with the line
  before and after. An update carries the ``lock_version`` the caller saw: two simultaneous updates — one
  wins, the other gets 409 (``store.versioning.claim_row``).
* Import (``import_register``): .xlsx or .csv with Chinese or English headers (docs/equipment.md); every row is
  validated and any problem leaves nothing written; rows match on (enterprise, asset code), so importing the
  same file twice changes nothing the second time and writes no audit row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, DualcarbonError, InvalidInput
from dualcarbon.equipment import grading
from dualcarbon.equipment.io.records import FileInvalid, Problem, read_records
from dualcarbon.equipment.models import EQUIPMENT_TYPE_ZH, EquipmentItem
from dualcarbon.equipment.schemas import EquipmentIn, EquipmentOut, ImportReceipt
from dualcarbon.equipment.service_rows import delete_audited, load_owned
from dualcarbon.registry.models import Enterprise, ProductionUnit, Site
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.store.versioning import claim_row

#: Import columns: field → accepted Chinese headers (the field name itself is always accepted).
COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码",),
    "asset_code": ("设备编号",),
    "equipment_type": ("设备类型",),
    "model": ("型号", "规格型号"),
    "rated_power_kw": ("额定功率(kW)", "额定功率"),
    "efficiency_pct": ("额定效率(%)", "效率(%)", "额定效率"),
    "poles": ("极数",),
    "speed_rpm": ("转速(r/min)", "转速"),
    "year_made": ("出厂年份",),
    "declared_grade": ("能效等级", "铭牌能效等级"),
    "quantity": ("台数", "数量"),
    "operating_hours": ("年运行小时(h)", "年运行小时"),
    "load_factor": ("负载率",),
    "measured_input_kw": ("实测输入功率(kW)", "实测输入功率"),
    "metered_kwh": ("年计量电量(kWh)", "年计量电量"),
    "site": ("厂区",),
    "unit": ("生产单元",),
    "notes": ("备注",),
}
REQUIRED = ("credit_code", "asset_code", "equipment_type")
STORED = (
    "equipment_type",
    "model",
    "rated_power_kw",
    "efficiency_pct",
    "poles",
    "speed_rpm",
    "year_made",
    "declared_grade",
    "quantity",
    "operating_hours",
    "load_factor",
    "notes",
    "site_id",
    "unit_id",
)
_TYPE_BY_LABEL = {label: code for code, label in EQUIPMENT_TYPE_ZH.items()}


def snapshot(item: EquipmentItem) -> dict[str, Any]:
    return {"asset_code": item.asset_code, **{name: getattr(item, name) for name in STORED}}


def _names(session: Session, item: EquipmentItem) -> tuple[str | None, str | None]:
    site = session.get(Site, item.site_id) if item.site_id else None
    unit = session.get(ProductionUnit, item.unit_id) if item.unit_id else None
    return (site.name if site else None, unit.name if unit else None)


def item_out(session: Session, item: EquipmentItem, enterprise: Enterprise) -> EquipmentOut:
    site, unit = _names(session, item)
    return EquipmentOut(
        id=item.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        asset_code=item.asset_code,
        equipment_type=item.equipment_type,
        equipment_type_zh=EQUIPMENT_TYPE_ZH.get(item.equipment_type, item.equipment_type),
        model=item.model,
        rated_power_kw=item.rated_power_kw,
        efficiency_pct=item.efficiency_pct,
        poles=item.poles,
        speed_rpm=item.speed_rpm,
        year_made=item.year_made,
        declared_grade=item.declared_grade,
        quantity=item.quantity,
        operating_hours=item.operating_hours,
        load_factor=item.load_factor,
        site=site,
        unit=unit,
        notes=item.notes,
        lock_version=item.lock_version,
    )


def _place(session: Session, enterprise: Enterprise, spec: EquipmentIn) -> tuple[int | None, int | None]:
    """Site and production unit ids by name within the enterprise (both optional)."""
    site_id = unit_id = None
    if spec.site:
        site_id = session.scalar(select(Site.id).where(Site.enterprise_id == enterprise.id, Site.name == spec.site))
        if site_id is None:
            raise InvalidInput(f"企业没有厂区“{spec.site}” / no site '{spec.site}'", field="site")
    if spec.unit:
        unit_id = session.scalar(
            select(ProductionUnit.id).where(
                ProductionUnit.enterprise_id == enterprise.id, ProductionUnit.name == spec.unit
            )
        )
        if unit_id is None:
            raise InvalidInput(f"企业没有生产单元“{spec.unit}” / no production unit '{spec.unit}'", field="unit")
    return site_id, unit_id


def measured_load_factor(spec: EquipmentIn) -> tuple[float | None, str | None]:
    """负载率 from the line's measurements when it gives none (``grading``): (value, note for the line's notes).
    Measurements without what the formula needs, or giving a load factor above the register's bound, are
    refused naming the field."""
    if spec.load_factor is not None or (spec.measured_input_kw is None and spec.metered_kwh is None):
        return None, None
    field = "measured_input_kw" if spec.measured_input_kw is not None else "metered_kwh"
    if spec.rated_power_kw is None or spec.efficiency_pct is None:
        raise InvalidInput(
            "负载率由实测值计算需要额定功率和额定效率 / a load factor from measurements needs the rated power "
            "and the rated efficiency",
            field="rated_power_kw" if spec.rated_power_kw is None else "efficiency_pct",
        )
    if spec.measured_input_kw is not None:
        value = grading.load_factor_from_input(spec.rated_power_kw, spec.efficiency_pct, spec.measured_input_kw)
        how = f"实测输入功率 {spec.measured_input_kw:g} kW"
    else:
        assert spec.metered_kwh is not None
        if not spec.operating_hours:
            raise InvalidInput(
                "由年计量电量计算负载率需要年运行小时 / a load factor from metered energy needs the operating hours",
                field="operating_hours",
            )
        value = grading.load_factor_from_energy(
            spec.rated_power_kw, spec.efficiency_pct, spec.metered_kwh, spec.operating_hours, spec.quantity
        )
        how = f"年计量电量 {spec.metered_kwh:g} kWh ÷ ({spec.operating_hours:g} h × {spec.quantity} 台)"
    if value > grading.LOAD_FACTOR_MAX:
        raise InvalidInput(
            f"由实测值算得负载率 {value:.3f}，超过 {grading.LOAD_FACTOR_MAX:g}，请核对 / the measurements give a "
            f"load factor of {value:.3f}, above {grading.LOAD_FACTOR_MAX:g}: check them",
            field=field,
        )
    value = round(value, 4)
    return value, (
        f"负载率 {value:g} = {how} × 额定效率 {spec.efficiency_pct:g} % ÷ 额定功率 {spec.rated_power_kw:g} kW"
    )


def _wanted(session: Session, enterprise: Enterprise, spec: EquipmentIn) -> dict[str, Any]:
    site_id, unit_id = _place(session, enterprise, spec)
    values = spec.model_dump(exclude={"credit_code", "asset_code", "site", "unit", "measured_input_kw", "metered_kwh"})
    derived, note = measured_load_factor(spec)
    if derived is not None:
        values["load_factor"] = derived
        values["notes"] = f"{values['notes']}\n{note}" if values.get("notes") else note
    return {**values, "site_id": site_id, "unit_id": unit_id}


def _apply(
    session: Session, actor: Principal, enterprise: Enterprise, spec: EquipmentIn, wanted: dict[str, Any]
) -> tuple[EquipmentItem, str]:
    """Create or update the line (enterprise, asset code); returns it and created/updated/unchanged."""
    item = session.scalar(
        select(EquipmentItem).where(
            EquipmentItem.enterprise_id == enterprise.id, EquipmentItem.asset_code == spec.asset_code
        )
    )
    if item is None:
        item = EquipmentItem(enterprise_id=enterprise.id, asset_code=spec.asset_code, **wanted)
        session.add(item)
        session.flush()
        append_audit(session, actor.username, "equipment.create", "equipment_item", item.id, None, snapshot(item))
        return item, "created"
    changed = {name: value for name, value in wanted.items() if getattr(item, name) != value}
    if not changed:
        return item, "unchanged"
    before = snapshot(item)
    claim_row(session, item, what=f"equipment {spec.asset_code}")
    for name, value in changed.items():
        setattr(item, name, value)
    session.flush()
    append_audit(session, actor.username, "equipment.update", "equipment_item", item.id, before, snapshot(item))
    return item, "updated"


def save_item(
    session: Session, actor: Principal, spec: EquipmentIn, *, lock_version: int | None = None
) -> EquipmentOut:
    """Add a line, or change the line with the same asset code (``lock_version``: the version seen, else 409)."""
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    existing = session.scalar(
        select(EquipmentItem).where(
            EquipmentItem.enterprise_id == enterprise.id, EquipmentItem.asset_code == spec.asset_code
        )
    )
    if existing is not None and lock_version is not None and existing.lock_version != lock_version:
        raise Conflict(
            f"equipment {spec.asset_code} was changed by someone else meanwhile; reload it and try again",
            field="lock_version",
        )
    item, _ = _apply(session, actor, enterprise, spec, _wanted(session, enterprise, spec))
    return item_out(session, item, enterprise)


def load_item(
    session: Session, principal: Principal, item_id: int, *, write: bool = False
) -> tuple[EquipmentItem, Enterprise]:
    return load_owned(session, principal, EquipmentItem, item_id, "equipment", write=write)


def delete_item(session: Session, actor: Principal, item_id: int) -> None:
    item, _ = load_item(session, actor, item_id, write=True)
    delete_audited(session, actor, item, snapshot(item), action="equipment.delete", what=f"equipment {item.asset_code}")


def list_items(
    session: Session, principal: Principal, credit_code: str | None = None, equipment_type: str | None = None
) -> list[EquipmentOut]:
    query = (
        select(EquipmentItem, Enterprise)
        .join(Enterprise, Enterprise.id == EquipmentItem.enterprise_id)
        .where(enterprise_filter(principal))
        .order_by(Enterprise.credit_code, EquipmentItem.asset_code)
    )
    if credit_code:
        enterprise = require_enterprise(session, principal, credit_code)
        query = query.where(EquipmentItem.enterprise_id == enterprise.id)
    if equipment_type:
        query = query.where(EquipmentItem.equipment_type == equipment_type)
    return [item_out(session, item, enterprise) for item, enterprise in session.execute(query)]


def _spec(number: int, record: dict[str, str], problems: list[Problem]) -> EquipmentIn | None:
    data: dict[str, Any] = {name: value for name, value in record.items() if value != ""}
    if "credit_code" in data:
        data["credit_code"] = data["credit_code"].upper()
    if "equipment_type" in data:
        data["equipment_type"] = _TYPE_BY_LABEL.get(data["equipment_type"], data["equipment_type"])
    try:
        return EquipmentIn.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else "row"
            problems.append((number, column, error["msg"]))
        return None


def import_register(session: Session, actor: Principal, path: Path) -> ImportReceipt:
    """Import the register lines of ``path`` (all or nothing, idempotent); raises ``FileInvalid``."""
    records = read_records(path, COLUMNS, REQUIRED)
    problems: list[Problem] = []
    planned: list[tuple[Enterprise, EquipmentIn, dict[str, Any]]] = []
    seen: dict[tuple[str, str], int] = {}
    enterprises: dict[str, Enterprise | None] = {}
    for number, record in records:
        spec = _spec(number, record, problems)
        if spec is None:
            continue
        key = (spec.credit_code, spec.asset_code)
        if key in seen:
            problems.append((number, "asset_code", f"与第 {seen[key]} 行重复 / same as row {seen[key]}"))
            continue
        seen[key] = number
        if spec.credit_code not in enterprises:
            try:
                enterprises[spec.credit_code] = require_enterprise(session, actor, spec.credit_code, write=True)
            except DualcarbonError as exc:
                enterprises[spec.credit_code] = None
                problems.append((number, "credit_code", str(exc)))
                continue
        enterprise = enterprises[spec.credit_code]
        if enterprise is None:
            problems.append((number, "credit_code", f"enterprise {spec.credit_code} not found or not yours to change"))
            continue
        try:
            planned.append((enterprise, spec, _wanted(session, enterprise, spec)))
        except InvalidInput as exc:
            problems.append((number, exc.field or "row", exc.message))
    if problems:
        raise FileInvalid(problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for enterprise, spec, wanted in planned:
        _, outcome = _apply(session, actor, enterprise, spec, wanted)
        counts[outcome] += 1
    return ImportReceipt(file=path.name, rows=len(records), **counts)
