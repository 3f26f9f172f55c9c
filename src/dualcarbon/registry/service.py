"""The enterprise registry: register, edit, read and list enterprises (with their sites and units).

Owns the rules of registry data: the 统一社会信用代码 is checked (GB 32100) and never changes; the region
must exist and lie in the actor's write scope; industry codes follow GB/T 4754 (section letter + 2–4
digits); yes/no cells accept 是/否, Y/N, 1/0, 规上/规下. Regulators (within their
region subtree) and admins create enterprises and edit every field; enterprise users and agencies edit only
their own enterprise's self-declared fields (address, contact, land area) and add sites and units.

Every change is audit-logged (entity ``enterprise`` with the credit code as id; ``site`` and
``production_unit`` with their ids) with the changed fields before and after; a no-op edit writes nothing.
Sites and production units live in ``registry_sites``, bulk import and Excel files in ``registry_import``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict, DualcarbonError, InvalidInput, PermissionDenied
from dualcarbon.domain.identifiers import validate_credit_code, validate_region_code
from dualcarbon.registry.models import Enterprise, ProductionUnit, Region, Site, in_region_subtree
from dualcarbon.registry.schemas import EnterpriseDetail, EnterpriseItem, SiteOut, UnitOut
from dualcarbon.registry.service_access import enterprise_filter, region_in_scope, require_enterprise
from dualcarbon.store.audit import append_audit

ENTERPRISE_FIELDS = (
    "credit_code",
    "name",
    "region_code",
    "industry_code",
    "above_scale",
    "land_area_mu",
    "key_energy_user",
    "address",
    "contact",
)
#: Fields an enterprise user or agency may change on its own enterprise; the rest are the regulator's.
SELF_DECLARED_FIELDS = frozenset({"address", "contact", "land_area_mu"})
_INDUSTRY_CODE = re.compile(r"^[A-T]\d{2,4}$")
_TRUE_WORDS = frozenset({"1", "y", "yes", "true", "t", "是", "√", "✓", "规上", "规模以上", "重点"})
_FALSE_WORDS = frozenset({"0", "n", "no", "false", "f", "否", "×", "✗", "规下", "规模以下", "非重点"})
_TEXT_LIMITS = {"name": 200, "address": 300, "contact": 200}


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


# ---- cleaning single values ---------------------------------------------------------------------
def parse_flag(value: object) -> bool:
    """A yes/no cell: booleans, 1/0, 是/否, Y/N, true/false, 规上/规下, √/×."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if value is None:
        raise InvalidInput("a yes/no value is required (是/否)")
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise InvalidInput(f"'{value}' is not yes/no (是/否, 1/0, Y/N)")


def clean_field(name: str, value: object) -> Any:
    """The stored form of one enterprise field, or InvalidInput (located at ``name``) saying why."""
    try:
        return _clean(name, value)
    except DualcarbonError as exc:
        raise exc.at(name) if exc.field != name else exc from None


def _clean(name: str, value: object) -> Any:
    if name == "credit_code":
        return validate_credit_code(text_of(value))
    if name == "region_code":
        return validate_region_code(text_of(value))
    if name == "industry_code":
        code = unicodedata.normalize("NFKC", text_of(value)).strip().upper()
        if not _INDUSTRY_CODE.match(code):
            raise InvalidInput(f"'{code}' is not a GB/T 4754 code (section letter and 2–4 digits, e.g. C3011)")
        return code
    if name in ("above_scale", "key_energy_user"):
        return parse_flag(value)
    if name == "land_area_mu":
        return _non_negative(value)
    if name in _TEXT_LIMITS:
        text = text_of(value).strip()
        if len(text) > _TEXT_LIMITS[name]:
            raise InvalidInput(f"at most {_TEXT_LIMITS[name]} characters, got {len(text)}")
        if name == "name":
            if not text:
                raise InvalidInput("the enterprise name is empty")
            return text
        return text or None
    raise InvalidInput(f"unknown field '{name}' (fields: {', '.join(ENTERPRISE_FIELDS)})")


def text_of(value: object) -> str:
    """A cell or field value as text (an Excel number cell 330302.0 → '330302')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into an Excel number cell
    return str(value)


def _non_negative(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise InvalidInput(f"must be a number ≥ 0, got {value}")
    return number


def clean_enterprise_values(values: Mapping[str, object]) -> dict[str, Any]:
    """Every given field cleaned; the first bad one raises InvalidInput naming it."""
    return {name: clean_field(name, value) for name, value in values.items()}


def enterprise_snapshot(enterprise: Enterprise, fields: Iterable[str] = ENTERPRISE_FIELDS) -> dict[str, Any]:
    return {name: getattr(enterprise, name) for name in fields}


# ---- scope helpers ------------------------------------------------------------------------------
def require_writable_region(session: Session, actor: Principal, region_code: str) -> Region:
    """The region if it exists and the actor may register enterprises there; InvalidInput/PermissionDenied."""
    region = session.get(Region, region_code)
    if region is None:
        raise InvalidInput(f"unknown region code {region_code} (see /api/v1/regions)", field="region_code")
    if not region_in_scope(session, actor, region_code, roles=("regulator",)):
        raise PermissionDenied(f"region {region_code} {region.name} is outside your scope", field="region_code")
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
            f"an enterprise with credit code {values['credit_code']} is already registered", field="credit_code"
        )
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
        )
    cleaned = clean_enterprise_values(changes)
    if "credit_code" in cleaned and cleaned.pop("credit_code") != enterprise.credit_code:
        raise InvalidInput("the credit code identifies the enterprise and cannot change", field="credit_code")
    changed = {name: value for name, value in cleaned.items() if getattr(enterprise, name) != value}
    if not changed:
        return enterprise
    if not _is_registry_writer(session, actor, enterprise):
        for name in sorted(changed):
            if name not in SELF_DECLARED_FIELDS:
                raise PermissionDenied(f"only the regulator changes '{name}'", field=name)
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
    """Registry fields, region name, version, sites and production units of one enterprise."""
    enterprise = session.scalar(
        select(Enterprise)
        .where(Enterprise.id == get_enterprise(session, actor, credit_code).id)
        .options(
            selectinload(Enterprise.sites), selectinload(Enterprise.production_units), selectinload(Enterprise.region)
        )
    )
    assert enterprise is not None
    return EnterpriseDetail(
        **enterprise_snapshot(enterprise),
        region_name=enterprise.region.name,
        version=enterprise.version,
        updated_at=enterprise.updated_at.isoformat() if enterprise.updated_at else None,
        sites=[site_item(site) for site in enterprise.sites],
        production_units=[unit_item(unit) for unit in enterprise.production_units],
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
