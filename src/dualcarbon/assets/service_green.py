"""Green-manufacturing designations (绿色工厂、绿色供应链、绿色（设计）产品、绿色园区) and counts against targets.

A designation is listed by level (国家级/省级/市级) in a year, with its dynamic re-assessment date (动态复核);
a factory, supply chain or product belongs to an enterprise, a park to a region. Counting against a pack's
targets (``green_factories``, ``green_supply_chains``, ``green_parks`` and the ``*_new`` variants): the
designation kind is named by the target kind, and the lowest level counted is read from the target's own title
as the document words it (“省级以上” → provincial and national, “市级以上” → city and above); a title naming no
level counts every level, and the answer says so.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dualcarbon.assets.models import GreenDesignation
from dualcarbon.assets.schemas import (
    DESIGNATION_KIND_ZH,
    DESIGNATION_KINDS,
    DESIGNATION_LEVEL_ZH,
    LEVEL_ORDER,
    DesignationCount,
    DesignationCounts,
    DesignationIn,
    DesignationOut,
)
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.core.localtime import to_local
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import region_in_scope, require_enterprise, require_region
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow

#: pack target kind → designation kind counted
TARGET_KINDS = {
    "green_factories": "green_factory",
    "green_factories_new": "green_factory",
    "green_supply_chains": "green_supply_chain",
    "green_parks": "green_park",
    "green_parks_new": "green_park",
}
#: the words of a target's title that name the lowest level it counts
LEVEL_WORDS = (("国家级", "national"), ("省级以上", "provincial"), ("市级以上", "city"))


def designation_out(row: GreenDesignation, enterprise: Enterprise | None) -> DesignationOut:
    today = to_local(utcnow()).date()
    return DesignationOut(
        id=row.id,
        region_code=row.region_code,
        credit_code=enterprise.credit_code if enterprise else None,
        enterprise_name=enterprise.name if enterprise else None,
        kind=row.kind,  # type: ignore[arg-type]
        kind_zh=DESIGNATION_KIND_ZH[row.kind],
        level=row.level,  # type: ignore[arg-type]
        level_zh=DESIGNATION_LEVEL_ZH[row.level],
        year=row.year,
        name=row.name,
        reassessment_due=row.reassessment_due,
        reassessment_overdue=row.reassessment_due is not None and row.reassessment_due < today,
    )


def create_designation(session: Session, actor: Principal, spec: DesignationIn) -> DesignationOut:
    """Record a listing: a regulator of the region (a park) or of the enterprise's region. Audited."""
    require_role(actor, "regulator")
    enterprise = None
    if spec.kind == "green_park":
        if not spec.region_code or spec.credit_code:
            raise InvalidInput("a green park is recorded for a region_code, not an enterprise", field="region_code")
        region_code = spec.region_code
    else:
        if not spec.credit_code:
            raise InvalidInput(f"a {spec.kind} belongs to an enterprise: give credit_code", field="credit_code")
        enterprise = require_enterprise(session, actor, spec.credit_code)
        region_code = enterprise.region_code
    require_region(session, actor, region_code)  # listings are recorded by the regulator
    duplicate = session.scalar(
        select(GreenDesignation.id).where(
            GreenDesignation.kind == spec.kind,
            GreenDesignation.level == spec.level,
            GreenDesignation.year == spec.year,
            GreenDesignation.name == spec.name,
            GreenDesignation.region_code == region_code,
        )
    )
    if duplicate is not None:
        raise InvalidInput(f"already recorded as designation {duplicate}", field="name", zh="该名单记录已存在")
    row = GreenDesignation(
        region_code=region_code,
        enterprise_id=enterprise.id if enterprise else None,
        kind=spec.kind,
        level=spec.level,
        year=spec.year,
        name=spec.name,
        reassessment_due=spec.reassessment_due,
        created_by=actor.username,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("the same listing was recorded meanwhile", field="name", zh="该名单记录已存在") from None
    append_audit(
        session, actor.username, "designation.create", "green_designation", row.id, None, spec.model_dump(mode="json")
    )
    return designation_out(row, enterprise)


def _visible(session: Session, actor: Principal, region_code: str | None) -> list[GreenDesignation]:
    query = select(GreenDesignation).order_by(GreenDesignation.year, GreenDesignation.id)
    if region_code:
        query = query.where(in_region_subtree(GreenDesignation.region_code, region_code))  # type: ignore[arg-type]
    rows = list(session.scalars(query))
    if actor.is_admin:
        return rows
    own = actor.enterprise_ids()
    regions: dict[str, bool] = {}
    out = []
    for row in rows:
        if row.enterprise_id is not None and row.enterprise_id in own:
            out.append(row)
            continue
        if row.region_code not in regions:
            regions[row.region_code] = (
                region_in_scope(session, actor, row.region_code, roles=("regulator", "reviewer"))
                or actor.is_unscoped_reviewer()
            )
        if regions[row.region_code]:
            out.append(row)
    return out


def list_designations(session: Session, actor: Principal, *, region_code: str | None = None) -> list[DesignationOut]:
    rows = _visible(session, actor, region_code)
    enterprises = {
        e.id: e
        for e in session.scalars(
            select(Enterprise).where(Enterprise.id.in_({r.enterprise_id for r in rows if r.enterprise_id}))
        )
    }
    return [designation_out(r, enterprises.get(r.enterprise_id or 0)) for r in rows]


def levels_counted(title_zh: str) -> tuple[list[str], str]:
    for words, lowest in LEVEL_WORDS:
        if words in title_zh:
            levels = list(LEVEL_ORDER[: LEVEL_ORDER.index(lowest) + 1])
            return levels, f"“{words}” in the target's title: counts {', '.join(levels)}"
    return list(LEVEL_ORDER), "the target's title names no level: every level counted"


def designation_counts(
    session: Session, actor: Principal, pack_id: str, region_code: str, *, since_year: int | None = None
) -> DesignationCounts:
    """Designations in the region by kind and level, and against the pack's designation targets."""
    require_region(session, actor, region_code, roles=("regulator", "reviewer"))
    pack = resolve_pack(pack_id)
    rows = [r for r in _visible(session, actor, region_code) if since_year is None or r.year >= since_year]
    table: dict[str, dict[str, int]] = {kind: defaultdict(int) for kind in DESIGNATION_KINDS}
    for row in rows:
        table[row.kind][row.level] += 1
    lines = []
    for target in pack.targets:
        kind = TARGET_KINDS.get(target.kind)
        if kind is None:
            continue
        levels, note = levels_counted(target.title_zh)
        if target.kind.endswith("_new"):
            note += f"; 新增: counted from {since_year}" if since_year else "; 新增: give since_year (the plan's start)"
        counted = sum(table[kind][level] for level in levels)
        lines.append(
            DesignationCount(
                target_id=target.id,
                title_zh=target.title_zh,
                designation_kind=kind,
                levels_counted=levels,
                target_value=float(target.value),
                counted=counted,
                met=counted >= target.value,
                clause=target.source.clause,
                note=note,
            )
        )
    return DesignationCounts(
        pack=pack.id,
        region_code=region_code,
        by_kind_level={kind: dict(levels) for kind, levels in table.items()},
        targets=lines,
    )
