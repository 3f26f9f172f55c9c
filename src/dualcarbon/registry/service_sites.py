"""Sites (厂区) and production units (生产装置/工序) of registered enterprises: add and edit.

Owns the rules of a production unit: its benchmark row must exist in the reference tables (field and
product are taken from the row when not given, and a given field must match it), capacity is a number
> 0 in a unit the unit registry understands (万吨/年, t/d, MW …), and its site belongs to the same
enterprise. Enterprise users and agencies add and edit their own enterprise's sites and units;
regulators within their subtree. Every change is audit-logged with the changed fields.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError, InvalidInput, NotFound
from dualcarbon.core.units import parse_unit
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.registry.models import Enterprise, ProductionUnit, Site
from dualcarbon.registry.service import site_item, unit_item
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.registry.service_fields import clean_field, text_of
from dualcarbon.store.audit import append_audit


@dataclass(frozen=True)
class SiteSpec:
    name: str
    address: str | None = None


@dataclass(frozen=True)
class UnitSpec:
    """A production unit: ``benchmark_row_id`` (e.g. ``BM2023-061``) fills field and product when omitted."""

    name: str
    capacity: float
    capacity_unit: str
    benchmark_row_id: str | None = None
    field: str | None = None
    product: str | None = None
    site_id: int | None = None


#: The Chinese names of a production unit's fields, as messages for a Chinese reader name them.
UNIT_FIELD_ZH = {
    "name": "名称",
    "capacity": "产能",
    "capacity_unit": "产能单位",
    "benchmark_row_id": "能效标杆行",
    "field": "所属领域",
    "product": "产品",
    "site_id": "厂区",
}


# ---- sites --------------------------------------------------------------------------------------
def add_site(session: Session, actor: Principal, credit_code: str, spec: SiteSpec) -> Site:
    """Add a site (厂区) to an enterprise the actor may write."""
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    site = Site(
        enterprise_id=enterprise.id, name=clean_field("name", spec.name), address=clean_field("address", spec.address)
    )
    session.add(site)
    session.flush()
    append_audit(
        session,
        actor.username,
        "site.create",
        "site",
        site.id,
        None,
        {"enterprise": enterprise.credit_code, **site_item(site).model_dump()},
    )
    return site


def update_site(
    session: Session, actor: Principal, credit_code: str, site_id: int, changes: Mapping[str, object]
) -> Site:
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    site = _owned(session, Site, site_id, enterprise)
    cleaned = {}
    for name, value in changes.items():
        if name not in ("name", "address"):
            raise InvalidInput(
                f"unknown site field '{name}' (name, address)", field=name, zh="厂区只有名称和地址两项可改"
            )
        cleaned[name] = clean_field(name, value)
    _apply(session, actor, site, cleaned, "site", {"enterprise": enterprise.credit_code})
    return site


# ---- production units ---------------------------------------------------------------------------
def add_production_unit(
    session: Session, actor: Principal, credit_code: str, spec: UnitSpec, reference: ReferenceSet | None = None
) -> ProductionUnit:
    """Add a production unit; its benchmark row is checked against the reference tables."""
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    values = _clean_unit(session, enterprise, asdict(spec), reference or shipped_reference(), partial=False)
    unit = ProductionUnit(enterprise_id=enterprise.id, **values)
    session.add(unit)
    session.flush()
    append_audit(
        session,
        actor.username,
        "production_unit.create",
        "production_unit",
        unit.id,
        None,
        {"enterprise": enterprise.credit_code, **unit_item(unit).model_dump()},
    )
    return unit


def update_production_unit(
    session: Session,
    actor: Principal,
    credit_code: str,
    unit_id: int,
    changes: Mapping[str, object],
    reference: ReferenceSet | None = None,
) -> ProductionUnit:
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    unit = _owned(session, ProductionUnit, unit_id, enterprise)
    merged = {**unit_item(unit).model_dump(), **changes}
    merged.pop("id")
    if "benchmark_row_id" in changes and changes["benchmark_row_id"] and not {"field", "product"} & set(changes):
        merged["field"] = merged["product"] = None  # take them from the new benchmark row
    values = _clean_unit(session, enterprise, merged, reference or shipped_reference(), partial=True)
    _apply(session, actor, unit, values, "production_unit", {"enterprise": enterprise.credit_code})
    return unit


def _clean_unit(
    session: Session, enterprise: Enterprise, raw: Mapping[str, Any], reference: ReferenceSet, *, partial: bool
) -> dict[str, Any]:
    known = {"name", "capacity", "capacity_unit", "benchmark_row_id", "field", "product", "site_id"}
    for name in raw:
        if name not in known:
            raise InvalidInput(
                f"unknown production unit field '{name}'",
                field=name,
                zh="生产单元信息中没有这一项（可填：" + "、".join(UNIT_FIELD_ZH.values()) + "）",
            )
    name = text_of(raw.get("name")).strip()
    if not name or len(name) > 200:
        raise InvalidInput("the unit name must have 1–200 characters", field="name", zh="生产单元名称须为1–200个字符")
    row_id = text_of(raw.get("benchmark_row_id")).strip() or None
    field_name = text_of(raw.get("field")).strip() or None
    product = text_of(raw.get("product")).strip() or None
    if row_id is not None:
        try:
            row = reference.benchmark_row(row_id)
        except DualcarbonError as exc:
            raise InvalidInput(
                exc.message, field="benchmark_row_id", zh=exc.zh or f"参考表中没有能效标杆行 {row_id}"
            ) from None
        if field_name is not None and field_name != row.field:
            raise InvalidInput(
                f"benchmark row {row_id} is in field '{row.field}', not '{field_name}'",
                field="field",
                zh=f"能效标杆行 {row_id} 属于「{row.field}」领域，不是「{field_name}」",
            )
        field_name, product = row.field, product or row.product
    if not field_name or not product:
        raise InvalidInput(
            "give benchmark_row_id, or field and product",
            field="field" if not field_name else "product",
            zh="请选择能效标杆行，或填写所属领域和产品",
        )
    try:
        capacity = float(raw.get("capacity"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(
            f"capacity '{raw.get('capacity')}' is not a number",
            field="capacity",
            zh=f"产能「{raw.get('capacity')}」不是数字",
        ) from None
    if not math.isfinite(capacity) or capacity <= 0:
        raise InvalidInput("capacity must be a number > 0", field="capacity", zh="产能须为大于 0 的数字")
    capacity_unit = text_of(raw.get("capacity_unit")).strip()
    _check_capacity_unit(capacity_unit)
    site_id = raw.get("site_id")
    if site_id is not None:
        site = session.get(Site, site_id)
        if site is None or site.enterprise_id != enterprise.id:
            raise InvalidInput(
                f"site {site_id} is not a site of {enterprise.credit_code}", field="site_id", zh="所选厂区不属于本企业"
            )
    return {
        "name": name,
        "field": field_name,
        "product": product,
        "benchmark_row_id": row_id,
        "capacity": capacity,
        "capacity_unit": capacity_unit,
        "site_id": site_id,
    }


_PER_TIME = (
    ("/年", "/year"),
    ("/a", "/year"),
    ("/日", "/day"),
    ("/天", "/day"),
    ("/d", "/day"),
    ("/小时", "/hour"),
    ("/h", "/hour"),
)


def _check_capacity_unit(text: str) -> None:
    """A capacity unit is a unit the unit registry understands, per year/day/hour written either way."""
    if not text or len(text) > 32:
        raise InvalidInput(
            "capacity_unit must have 1–32 characters (e.g. 万吨/年, t/d, MW)",
            field="capacity_unit",
            zh="请填写产能单位（1–32个字符，如 万吨/年、t/d、MW）",
        )
    spelled = text
    for chinese, pint_name in _PER_TIME:
        if spelled.endswith(chinese):
            spelled = spelled[: -len(chinese)] + pint_name
            break
    try:
        parse_unit(spelled)
    except DualcarbonError:
        raise InvalidInput(
            f"unknown capacity unit '{text}' (e.g. 万吨/年, t/d, MW)",
            field="capacity_unit",
            zh=f"无法识别的产能单位「{text}」（如 万吨/年、t/d、MW）",
        ) from None


# ---- shared -------------------------------------------------------------------------------------
_Owned = TypeVar("_Owned", Site, ProductionUnit)


def _owned(session: Session, model: type[_Owned], row_id: int, enterprise: Enterprise) -> _Owned:
    row = session.get(model, row_id)
    if row is None or row.enterprise_id != enterprise.id:
        raise NotFound(
            f"{model.__tablename__} {row_id} not found", zh="未找到该" + ("厂区" if model is Site else "生产单元")
        )
    return row


def _apply(
    session: Session,
    actor: Principal,
    row: Site | ProductionUnit,
    values: Mapping[str, Any],
    entity: str,
    context: dict[str, Any],
) -> None:
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        return
    before = {name: getattr(row, name) for name in changed}
    for name, value in changed.items():
        setattr(row, name, value)
    session.flush()
    append_audit(
        session, actor.username, f"{entity}.update", entity, row.id, {**context, **before}, {**context, **changed}
    )
