"""The enterprise registry: register, edit, read and list enterprises (with their sites and units).

Owns the rules of registry data: the 统一社会信用代码 is checked (GB 32100) and never changes; the region
must exist and lie in the actor's write scope; industry codes follow GB/T 4754 (section letter + 2–4
digits); yes/no cells accept 是/否, Y/N, 1/0, 规上/规下. Regulators (within their
region subtree) and admins create enterprises and edit every field; enterprise users and agencies edit only
their own enterprise's self-declared fields (address, contact, land area) and add sites and units.

Every change is audit-logged (entity ``enterprise`` with the credit code as id; ``site`` and
``production_unit`` with their ids) with the changed fields before and after; a no-op edit writes nothing.
Cleaning single field values lives in ``service_fields``, sites and production units in
``service_sites``, bulk import and Excel files in ``service_import``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.registry.models import Enterprise, ProductionUnit, Region, Site, in_region_subtree
from dualcarbon.registry.schemas import EnterpriseDetail, EnterpriseItem, SiteOut, UnitOut
from dualcarbon.registry.service_access import enterprise_filter, region_in_scope, require_enterprise
from dualcarbon.registry.service_fields import (
    ENTERPRISE_FIELDS,
    SELF_DECLARED_FIELDS,
    clean_enterprise_values,
)
from dualcarbon.registry.service_sheet import FIELD_ZH
from dualcarbon.store.audit import append_audit


@dataclass(frozen=True)
class EnterpriseSpec:
    """A new enterprise as a caller gives it (values are cleaned by the service)."""

    credit_code: str
    name: str
    region_code: str
    industry_code: str
    above_scale: bool = False  # 规模以上工业企业
    land_area_mu: float | None = None  # 用地面积, 亩
    key_energy_user: bool = False  # 重点用能单位
    address: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class EnterpriseQuery:
    """List filters; all optional. ``region_code`` means the region's whole subtree."""

    region_code: str | None = None
    q: str | None = None  # part of the name, or the start of the credit code
    key_energy_user: bool | None = None
    above_scale: bool | None = None
    field: str | None = None  # has a production unit in this key field (重点领域)
    industry_code: str | None = None  # GB/T 4754 prefix, e.g. "C30"


def enterprise_snapshot(enterprise: Enterprise, fields: Iterable[str] = ENTERPRISE_FIELDS) -> dict[str, Any]:
    return {name: getattr(enterprise, name) for name in fields}


# ---- scope helpers ------------------------------------------------------------------------------
def require_writable_region(session: Session, actor: Principal, region_code: str) -> Region:
    """The region if it exists and the actor may register enterprises there; InvalidInput/PermissionDenied."""
    region = session.get(Region, region_code)
    if region is None:
        raise InvalidInput(
            f"unknown region code {region_code} (see /api/v1/regions)",
            field="region_code",
            zh=f"行政区划代码 {region_code} 不在地区目录中",
        )
    if not region_in_scope(session, actor, region_code, roles=("regulator",)):
        raise PermissionDenied(
            f"region {region_code} {region.name} is outside your scope",
            field="region_code",
            zh=f"{region.name}不在您的管辖范围内，不能在此登记企业",
        )
    return region


def registry_write_filter(actor: Principal) -> ColumnElement[bool]:
    """SQL condition on ``Enterprise``: registry fields the actor may change (admin; regulator's subtree).

    Narrower than ``enterprise_filter(write=True)``, which also lets an enterprise user or agency write
    its own enterprise's *data* (reports, sites, units) — not the regulator's registry fields.
    """
    if actor.is_admin:
        return true()
    roots = actor.region_roots("regulator")
    return or_(*[in_region_subtree(Enterprise.region_code.expression, root) for root in roots]) if roots else false()


def _is_registry_writer(session: Session, actor: Principal, enterprise: Enterprise) -> bool:
    if actor.is_admin:
        return True
    query = select(Enterprise.id).where(Enterprise.id == enterprise.id, registry_write_filter(actor))
    return session.scalar(query) is not None


# ---- enterprises --------------------------------------------------------------------------------
def create_enterprise(session: Session, actor: Principal, spec: EnterpriseSpec) -> Enterprise:
    """Register a new enterprise (admin, or a regulator for a region in its subtree)."""
    require_role(actor, "regulator")
    values = clean_enterprise_values(asdict(spec))
    require_writable_region(session, actor, values["region_code"])
    if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == values["credit_code"])) is not None:
        raise Conflict(
            f"an enterprise with credit code {values['credit_code']} is already registered",
            field="credit_code",
            zh=f"统一社会信用代码为 {values['credit_code']} 的企业已经登记",
        )
    return add_enterprise(session, actor, values)


def add_enterprise(session: Session, actor: Principal, values: Mapping[str, Any]) -> Enterprise:
    """Store an enterprise from already-cleaned values, with its audit row (registration and the import)."""
    enterprise = Enterprise(**values)
    session.add(enterprise)
    session.flush()
    append_audit(
        session,
        actor.username,
        "enterprise.create",
        "enterprise",
        enterprise.credit_code,
        None,
        enterprise_snapshot(enterprise),
    )
    return enterprise


def update_enterprise(
    session: Session,
    actor: Principal,
    credit_code: str,
    changes: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> Enterprise:
    """Apply the changed fields; returns the enterprise. No change → no write and no audit row.

    ``expected_version`` (optional) must equal the stored version, else Conflict: someone else edited it.
    """
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    if expected_version is not None and expected_version != enterprise.version:
        raise Conflict(
            f"enterprise {enterprise.credit_code} was changed by someone else (version "
            f"{enterprise.version}, you edited {expected_version}); reload and retry",
            field="version",
            zh="该企业信息已被他人修改，请刷新后重新编辑",
        )
    cleaned = clean_enterprise_values(changes)
    if "credit_code" in cleaned and cleaned.pop("credit_code") != enterprise.credit_code:
        raise InvalidInput(
            "the credit code identifies the enterprise and cannot change",
            field="credit_code",
            zh="统一社会信用代码是企业的标识，不能修改",
        )
    changed = {name: value for name, value in cleaned.items() if getattr(enterprise, name) != value}
    if not changed:
        return enterprise
    if not _is_registry_writer(session, actor, enterprise):
        for name in sorted(changed):
            if name not in SELF_DECLARED_FIELDS:
                raise PermissionDenied(
                    f"only the regulator changes '{name}'",
                    field=name,
                    zh=f"只有主管部门可以修改{FIELD_ZH.get(name, name)}",
                )
    if "region_code" in changed:
        require_writable_region(session, actor, changed["region_code"])
    apply_enterprise_changes(session, actor, enterprise, changed)
    return enterprise


def apply_enterprise_changes(
    session: Session,
    actor: Principal,
    enterprise: Enterprise,
    changed: Mapping[str, Any],
    *,
    action: str = "enterprise.update",
) -> None:
    """Write already-validated changed fields and their audit row (used by edits and imports)."""
    before = enterprise_snapshot(enterprise, changed)
    for name, value in changed.items():
        setattr(enterprise, name, value)
    session.flush()
    append_audit(session, actor.username, action, "enterprise", enterprise.credit_code, before, dict(changed))


def get_enterprise(session: Session, actor: Principal, credit_code: str) -> Enterprise:
    """The enterprise if the actor may read it; NotFound otherwise (also when out of scope)."""
    return require_enterprise(session, actor, credit_code)


def enterprise_detail(session: Session, actor: Principal, credit_code: str) -> EnterpriseDetail:
    """Registry fields, region name, version, sites and production units of one enterprise.

    Three plain-column queries (the enterprise with its region name inside the actor's scope, its sites, its
    units), no ORM objects; when the first finds nothing, :func:`get_enterprise` gives the refusal (NotFound).
    """
    columns = [getattr(Enterprise, name) for name in (*ENTERPRISE_FIELDS, "id", "version", "updated_at")]
    found = (
        session.execute(
            select(*columns, Region.name.label("region_name"))
            .join(Region, Region.code == Enterprise.region_code)
            .where(Enterprise.credit_code == credit_code.strip().upper(), enterprise_filter(actor))
        )
        .mappings()
        .first()
    )
    if found is None:
        get_enterprise(session, actor, credit_code)  # raises NotFound, worded in one place (service_access)
        raise NotFound(f"enterprise {credit_code} not found")  # not reached: the same scope filter
    values = dict(found)
    enterprise_id, updated_at = values.pop("id"), values.pop("updated_at")
    sites = session.execute(
        select(Site.id, Site.name, Site.address).where(Site.enterprise_id == enterprise_id).order_by(Site.id)
    ).mappings()
    units = session.execute(
        select(*(getattr(ProductionUnit, name) for name in UnitOut.model_fields))
        .where(ProductionUnit.enterprise_id == enterprise_id)
        .order_by(ProductionUnit.id)
    ).mappings()
    return EnterpriseDetail(
        **values,
        updated_at=updated_at.isoformat() if updated_at else None,
        sites=[SiteOut.model_validate(dict(site)) for site in sites],
        production_units=[UnitOut.model_validate(dict(unit)) for unit in units],
    )


def site_item(site: Site) -> SiteOut:
    return SiteOut(id=site.id, name=site.name, address=site.address)


def unit_item(unit: ProductionUnit) -> UnitOut:
    return UnitOut(
        id=unit.id,
        site_id=unit.site_id,
        name=unit.name,
        field=unit.field,
        product=unit.product,
        benchmark_row_id=unit.benchmark_row_id,
        capacity=unit.capacity,
        capacity_unit=unit.capacity_unit,
    )


def _list_conditions(actor: Principal, query: EnterpriseQuery) -> list[ColumnElement[bool]]:
    conditions = [enterprise_filter(actor)]
    if query.region_code:
        conditions.append(in_region_subtree(Enterprise.region_code.expression, query.region_code.strip()))
    if query.q and query.q.strip():
        term = query.q.strip()
        conditions.append(
            or_(
                Enterprise.name.icontains(term, autoescape=True),
                Enterprise.credit_code.startswith(term.upper(), autoescape=True),
            )
        )
    if query.key_energy_user is not None:
        conditions.append(Enterprise.key_energy_user == query.key_energy_user)
    if query.above_scale is not None:
        conditions.append(Enterprise.above_scale == query.above_scale)
    if query.industry_code:
        conditions.append(Enterprise.industry_code.startswith(query.industry_code.strip().upper(), autoescape=True))
    if query.field:
        conditions.append(
            exists().where(ProductionUnit.enterprise_id == Enterprise.id, ProductionUnit.field == query.field.strip())
        )
    return conditions


def list_enterprises(
    session: Session, actor: Principal, query: EnterpriseQuery | None = None, *, limit: int | None = 50, offset: int = 0
) -> tuple[list[EnterpriseItem], int]:
    """One page of the enterprises the actor may read, and the total: one count and one page query.

    Ordered by region code, then name, then id (stable across pages). ``limit=None`` returns all rows.
    """
    condition = and_(*_list_conditions(actor, query or EnterpriseQuery()))
    total = session.scalar(select(func.count(Enterprise.id)).where(condition)) or 0
    # Plain columns, not ORM objects: a list page needs no identity map (measurably cheaper per row).
    columns = [getattr(Enterprise, name) for name in ENTERPRISE_FIELDS]
    page = (
        select(*columns, Region.name.label("region_name"))
        .join(Region, Region.code == Enterprise.region_code)
        .where(condition)
        .order_by(Enterprise.region_code, Enterprise.name, Enterprise.id)
        .offset(offset)
    )
    if limit is not None:
        page = page.limit(limit)
    return [EnterpriseItem.model_validate(dict(row)) for row in session.execute(page).mappings()], total
