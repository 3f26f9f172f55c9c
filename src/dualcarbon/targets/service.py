"""Targets (目标) of a region, an enterprise group or an enterprise: seed from a pack, set, edit, record years.

Reading: regulators and reviewers see the targets of the regions under them; an enterprise user sees its own
enterprise's targets. Writing (seed, create, edit, record a year's achievement): a regulator whose subtree
holds the target's region. Every change is audited (``store.audit``) and claims the target's
``lock_version`` (``store.versioning.claim_row``): of two simultaneous edits one wins, the other gets 409.

Seeding copies a pack's ``targets`` (value, unit, clause) into the region; the target year is read from the
target's ``period`` ("by 2023"); a per-year target ("per year") has none. A pack without ``targets`` is an
error naming its numeric parameters (seeding it would otherwise answer an empty list). A capacity-share target is set
from a pack ``parameter`` (value, unit, clause from the pack; the target year is given).
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree
from dualcarbon.registry.service_access import require_enterprise, require_region
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row
from dualcarbon.targets.models import PolicyTarget, PolicyTargetYear
from dualcarbon.targets.schemas import (
    MEASURE_OF_KIND,
    MEASURE_ZH,
    SCOPE_ZH,
    SeedIn,
    TargetIn,
    TargetOut,
    TargetUpdate,
    YearIn,
)

READ_ROLES = ("regulator", "reviewer")
_BY_YEAR = re.compile(r"\b(?:by|到)\s*(\d{4})")


def measure_of(kind: str) -> str:
    measure = MEASURE_OF_KIND.get(kind)
    if measure is None:
        raise InvalidInput(
            f"unknown target kind '{kind}' (known: {', '.join(sorted(MEASURE_OF_KIND))})",
            field="kind",
            zh=f"未知的目标类型：{kind}",
        )
    return measure


def target_filter(actor: Principal) -> ColumnElement[bool]:
    """Targets the principal may read."""
    if actor.is_admin:
        return PolicyTarget.id.is_not(None)
    clauses: list[ColumnElement[bool]] = [
        in_region_subtree(PolicyTarget.region_code.expression, root) for root in actor.region_roots(*READ_ROLES)
    ]
    own = actor.enterprise_ids()
    if own:
        clauses.append(PolicyTarget.enterprise_id.in_(sorted(own)))
    return or_(*clauses) if clauses else false()


def target_out(session: Session, target: PolicyTarget) -> TargetOut:
    region = session.get(Region, target.region_code)
    enterprise = session.get(Enterprise, target.enterprise_id) if target.enterprise_id else None
    measure = measure_of(target.kind)
    return TargetOut(
        id=target.id,
        scope=target.scope,
        scope_zh=SCOPE_ZH[target.scope],
        region_code=target.region_code,
        region_name=region.name if region else None,
        credit_code=enterprise.credit_code if enterprise else None,
        enterprise_name=enterprise.name if enterprise else None,
        group_name=target.group_name,
        kind=target.kind,
        measure=measure,
        measure_zh=MEASURE_ZH[measure],
        title_zh=target.title_zh,
        comparison=target.comparison,
        value=target.value,
        unit=target.unit,
        base_year=target.base_year,
        target_year=target.target_year,
        product=target.product,
        pack_id=target.pack_id,
        rule_id=target.rule_id,
        clause=target.clause,
        clause_en=clause_en(target.pack_id, target.rule_id, target.clause),
        years={row.year: row.achieved for row in target.years},
        lock_version=target.lock_version,
    )


@lru_cache(maxsize=512)
def clause_en(pack_id: str | None, rule_id: str | None, clause: str | None) -> str | None:
    """The English rendering of a target's stored ``clause：text``, while the shipped pack's item still quotes
    exactly that text and gives renderings (``clause_en`` / ``text_en``); None otherwise (the original is shown)."""
    if not (pack_id and rule_id and clause):
        return None
    try:
        source = resolve_pack(pack_id).source_of(rule_id)
    except (InvalidInput, OSError, ValueError):
        return None
    if source is None or clause != f"{source.clause}：{source.text}" or not (source.clause_en and source.text_en):
        return None
    return f"{source.clause_en}: {source.text_en}"


def load_target(session: Session, actor: Principal, target_id: int, *, write: bool = False) -> PolicyTarget:
    target = session.scalar(select(PolicyTarget).where(PolicyTarget.id == target_id, target_filter(actor)))
    if target is None:
        raise NotFound(f"target {target_id} not found", zh="未找到该目标")
    if write:
        require_region(session, actor, target.region_code)
    return target


def list_targets(
    session: Session, actor: Principal, *, region_code: str | None = None, kind: str | None = None
) -> list[TargetOut]:
    query = select(PolicyTarget).where(target_filter(actor))
    if region_code:
        query = query.where(in_region_subtree(PolicyTarget.region_code.expression, region_code))
    if kind:
        query = query.where(PolicyTarget.kind == kind)
    rows = session.scalars(query.order_by(PolicyTarget.region_code, PolicyTarget.id))
    return [target_out(session, row) for row in rows]


def get_target(session: Session, actor: Principal, target_id: int) -> TargetOut:
    return target_out(session, load_target(session, actor, target_id))


def target_year_of(period: str) -> int | None:
    """The year in a pack target's ``period`` ("by 2023" → 2023); None for "per year" and the like."""
    found = _BY_YEAR.search(period)
    return int(found.group(1)) if found else None


def seed_from_pack(session: Session, actor: Principal, spec: SeedIn) -> list[TargetOut]:
    """A region target for each target of the pack not yet seeded there (idempotent), audited."""
    require_region(session, actor, spec.region_code)
    pack = resolve_pack(spec.pack)
    if not pack.targets:
        # a pack whose goals are parameters (Yunnan's capacity shares) used to answer an empty list, which read
        # like "already seeded": say so, and name the parameters a target can be set from
        numeric = [p.id for p in pack.parameters if isinstance(p.value, int | float) and not isinstance(p.value, bool)]
        raise InvalidInput(
            f"pack {pack.id} has no targets to seed"
            + (
                f"; set one from a parameter (POST /targets with pack and parameter: {', '.join(numeric)})"
                if numeric
                else ""
            ),
            field="pack",
            zh=f"政策包 {pack.id} 没有可导入的目标"
            + (f"，可按政策参数设置目标：{'、'.join(numeric)}" if numeric else ""),
        )
    have = set(
        session.scalars(
            select(PolicyTarget.rule_id).where(
                PolicyTarget.region_code == spec.region_code, PolicyTarget.scope == "region"
            )
        )
    )
    made: list[PolicyTarget] = []
    for item in pack.targets:
        if item.id in have:
            continue
        measure_of(item.kind)
        if item.comparison == "equals":
            raise InvalidInput(f"target {item.id}: 'equals' cannot be tracked", field="pack")
        target = PolicyTarget(
            scope="region",
            region_code=spec.region_code,
            kind=item.kind,
            title_zh=item.title_zh,
            comparison=item.comparison,
            value=item.value,
            unit=item.unit,
            base_year=spec.base_year,
            target_year=target_year_of(item.period),
            pack_id=pack.id,
            rule_id=item.id,
            clause=f"{item.source.clause}：{item.source.text}",
        )
        session.add(target)
        made.append(target)
    session.flush()
    out = [target_out(session, target) for target in made]
    for seeded in out:
        append_audit(
            session, actor.username, "target.seed", "policy_target", seeded.id, None, seeded.model_dump(mode="json")
        )
    return out


def check_value(kind: str, value: float, base_year: int | None, target_year: int | None) -> None:
    """A decline is a share below 100 %; a target year is not before the base year."""
    if measure_of(kind) == "compound_decline" and not 0 < value < 100:
        raise InvalidInput("a decline target is between 0 and 100 %", field="value", zh="下降率目标须在 0–100% 之间")
    if value < 0:
        raise InvalidInput("must be ≥ 0", field="value", zh="目标值不能为负")
    if base_year is not None and target_year is not None and target_year <= base_year:
        raise InvalidInput("target_year must be after base_year", field="target_year", zh="目标年份须晚于基准年份")


def create_target(session: Session, actor: Principal, spec: TargetIn) -> TargetOut:
    """A target set by hand, or from a pack parameter (value, unit and clause then come from the pack)."""
    measure_of(spec.kind)
    enterprise: Enterprise | None = None
    if spec.scope == "enterprise":
        if not spec.credit_code:
            raise InvalidInput(
                "an enterprise target needs credit_code", field="credit_code", zh="企业目标须填写统一社会信用代码"
            )
        enterprise = require_enterprise(session, actor, spec.credit_code)
        region_code = enterprise.region_code
    else:
        if not spec.region_code:
            raise InvalidInput("give region_code", field="region_code", zh="请填写地区代码")
        region_code = spec.region_code
        if spec.scope == "group" and not spec.group_name:
            raise InvalidInput("a group target needs group_name", field="group_name", zh="集团目标须填写集团名称")
    require_region(session, actor, region_code)
    value, unit, title, clause, pack_id, rule_id = spec.value, spec.unit, spec.title_zh, None, None, None
    if spec.parameter:
        if not spec.pack:
            raise InvalidInput("a parameter needs its pack", field="pack", zh="引用政策参数时须指明政策包")
        pack = resolve_pack(spec.pack)
        entry = pack.parameter_entry(spec.parameter)
        if isinstance(entry.value, bool) or not isinstance(entry.value, int | float):
            raise InvalidInput(f"parameter {entry.id} is not a number", field="parameter", zh="该政策参数不是数值")
        value, unit, title = float(entry.value), entry.unit, title or entry.title_zh
        clause, pack_id, rule_id = f"{entry.source.clause}：{entry.source.text}", pack.id, entry.id
    if value is None:
        raise InvalidInput("give value (or pack + parameter)", field="value", zh="请填写目标值")
    if not unit:
        raise InvalidInput("give unit", field="unit", zh="请填写目标单位")
    check_value(spec.kind, value, spec.base_year, spec.target_year)
    target = PolicyTarget(
        scope=spec.scope,
        region_code=region_code,
        enterprise_id=enterprise.id if enterprise else None,
        group_name=spec.group_name if spec.scope == "group" else None,
        kind=spec.kind,
        title_zh=title or spec.kind,
        comparison=spec.comparison,
        value=value,
        unit=unit,
        base_year=spec.base_year,
        target_year=spec.target_year,
        product=spec.product,
        pack_id=pack_id,
        rule_id=rule_id,
        clause=clause,
    )
    session.add(target)
    session.flush()
    out = target_out(session, target)
    append_audit(
        session, actor.username, "target.create", "policy_target", target.id, None, out.model_dump(mode="json")
    )
    return out


def _claim(session: Session, target: PolicyTarget, seen: int) -> None:
    if target.lock_version != seen:
        raise Conflict(
            f"target {target.id} was changed by someone else meanwhile (version {target.lock_version}, "
            f"you saw {seen}); reload it and try again",
            zh="该目标已被他人修改，请刷新后重试",
        )
    claim_row(session, target, what=f"target {target.id}")


def update_target(session: Session, actor: Principal, target_id: int, spec: TargetUpdate) -> TargetOut:
    target = load_target(session, actor, target_id, write=True)
    before = target_out(session, target).model_dump(mode="json")
    _claim(session, target, spec.lock_version)
    value = target.value if spec.value is None else spec.value
    base = target.base_year if spec.base_year is None else spec.base_year
    until = target.target_year if spec.target_year is None else spec.target_year
    check_value(target.kind, value, base, until)
    for name in ("title_zh", "value", "base_year", "target_year"):
        given = getattr(spec, name)
        if given is not None:
            setattr(target, name, given)
    target.updated_at = utcnow()
    session.flush()
    out = target_out(session, target)
    append_audit(
        session, actor.username, "target.update", "policy_target", target.id, before, out.model_dump(mode="json")
    )
    return out


def record_year(session: Session, actor: Principal, target_id: int, spec: YearIn) -> TargetOut:
    """Record (or correct) what the target achieved in ``spec.year``."""
    target = load_target(session, actor, target_id, write=True)
    measure = measure_of(target.kind)
    if measure.startswith("catalog_"):
        raise InvalidInput(
            "this target is computed from the published catalog; nothing to record",
            field="year",
            zh="该目标由已发布的能效清单目录计算，无需填报",
        )
    if measure == "compound_decline" and not spec.achieved < 100:
        raise InvalidInput("a decline must be below 100 %", field="achieved", zh="下降率须小于 100%")
    if measure in ("sum", "annual") and spec.achieved < 0:
        raise InvalidInput("must be ≥ 0", field="achieved", zh="完成量不能为负")
    before = target_out(session, target).model_dump(mode="json")
    _claim(session, target, spec.lock_version)
    row = next((item for item in target.years if item.year == spec.year), None)
    if row is None:
        row = PolicyTargetYear(year=spec.year, achieved=spec.achieved, note=spec.note, recorded_by=actor.username)
        target.years.append(row)
    else:
        row.achieved, row.note, row.recorded_by, row.recorded_at = spec.achieved, spec.note, actor.username, utcnow()
    target.updated_at = utcnow()
    session.flush()
    out = target_out(session, target)
    append_audit(
        session, actor.username, "target.record_year", "policy_target", target.id, before, out.model_dump(mode="json")
    )
    return out
