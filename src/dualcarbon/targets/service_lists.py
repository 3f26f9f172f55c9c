"""Lists derived from the data (GET /api/v1/lists/{kind}), for a region:

* ``high_consumption`` — 高耗企业排查清单 (Longgang 3（一）1): manufacturers (GB/T 4754 section C) to which a
  ``high_consumption_screening`` rule of the pack applies (规上; 规下 on ≥ 3 亩 — the thresholds are the
  pack's). :func:`keep_screening` stores a year's list as drawn up; that year then reads the kept list.
* ``construction_check`` — 在建/拟建 projects: design unit consumption against 标杆 and 准入值 of the
  benchmark row (:mod:`.service_construction`); a blank reference value is said to be blank, never assumed.
* ``two_high`` — 两高 projects at or above the pack's annual-energy threshold (Putian: ≥ 5 万 tce).
* ``efficiency_leaders`` — 能效领跑者: per product of the catalog in force, the lowest unit consumption in an
  advanced tier.
* ``exemption`` — 豁免企业清单 (Shanghai, for production-restriction plans): enterprises whose energy-saving target
  is met, and green or zero-carbon factories (绿色工厂 / 零碳工厂) from the designations register (assets), each with
  its reasons.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import GreenDesignation
from dualcarbon.assets.schemas import DESIGNATION_KIND_ZH, DESIGNATION_LEVEL_ZH, LEVEL_ORDER
from dualcarbon.catalog.models import CatalogEntry
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.core.localtime import to_local
from dualcarbon.core.vocab import ADVANCED_TIERS
from dualcarbon.domain.obligations import FactValue, evaluate_rules
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_region
from dualcarbon.store.audit import append_audit
from dualcarbon.targets.models import PolicyTarget, ScreeningEntry
from dualcarbon.targets.schemas import DerivedList, ListItem
from dualcarbon.targets.service_capacity import catalog_in_force
from dualcarbon.targets.service_construction import check_project, projects_in
from dualcarbon.targets.service_progress import progress

READ_ROLES = ("regulator", "reviewer")
KINDS = ("high_consumption", "construction_check", "two_high", "efficiency_leaders", "exemption")
TITLE_ZH = {
    "high_consumption": "高耗企业排查清单",
    "construction_check": "在建/拟建项目能效对标",
    "two_high": "“两高”项目清单（年综合能耗达到指导门槛）",
    "efficiency_leaders": "能效领跑者（分产品）",
    "exemption": "豁免企业清单（节能目标完成、绿色工厂、零碳工厂）",
}
DEFAULT_PACK = {"high_consumption": "longgang-2022", "two_high": "putian-2024"}
TWO_HIGH_PARAMETER = "putian.two-high.project_energy_min"
MANUFACTURING_SECTION = "C"  # GB/T 4754 门类 C 制造业
SAVING_KINDS = ("annual_energy_saving_rate", "energy_saved", "energy_intensity_decline")
#: designation kinds that put an enterprise on the exemption list (绿色工厂; 零碳工厂 once the register has it)
#: designations that put an enterprise on Shanghai's exemption list (豁免企业清单: 绿色工厂 or 零碳工厂)
EXEMPTING_DESIGNATIONS = ("green_factory", "zero_carbon_factory")


def _screen(session: Session, actor: Principal, region: str, pack_name: str) -> tuple[str, list[ListItem]]:
    pack = resolve_pack(pack_name)
    rules = [rule for rule in pack.obligations if rule.obligation == "high_consumption_screening"]
    if not rules:
        raise InvalidInput(
            f"pack {pack.id} has no high-consumption screening rule", field="pack", zh="该政策包没有高耗企业排查规则"
        )
    enterprises = session.scalars(
        select(Enterprise)
        .where(in_region_subtree(Enterprise.region_code.expression, region), enterprise_filter(actor))
        .order_by(Enterprise.region_code, Enterprise.credit_code)
    )
    items: list[ListItem] = []
    for enterprise in enterprises:
        if not enterprise.industry_code.startswith(MANUFACTURING_SECTION):
            continue
        facts: dict[str, FactValue] = {"above_designated_size": bool(enterprise.above_scale)}
        if enterprise.land_area_mu is not None:
            facts["land_area_mu"] = float(enterprise.land_area_mu)
        found = [f for f in evaluate_rules(pack, facts) if f.obligation == "high_consumption_screening"]
        applies = [f for f in found if f.status == "applies"]
        undetermined = [f for f in found if f.status == "undetermined"]
        if not applies and not undetermined:
            continue
        reasons = [f"{f.title_zh}（{f.source.clause}）" for f in applies] or [
            f"{f.title_zh}：缺少 {', '.join(f.missing_facts)}，待核实" for f in undetermined
        ]
        items.append(
            ListItem(
                credit_code=enterprise.credit_code,
                name=enterprise.name,
                region_code=enterprise.region_code,
                values={
                    "above_scale": enterprise.above_scale,
                    "land_area_mu": enterprise.land_area_mu,
                    "industry_code": enterprise.industry_code,
                    "status": "applies" if applies else "undetermined",
                    "rule_ids": ",".join(f.rule_id for f in applies or undetermined),
                },
                reasons=reasons,
            )
        )
    return pack.id, items


def keep_screening(
    session: Session, actor: Principal, region_code: str, year: int, pack: str | None = None
) -> DerivedList:
    """Store the region's screening list of ``year`` as drawn up now; a year is kept once (409 after)."""
    require_region(session, actor, region_code)
    pack_id, items = _screen(session, actor, region_code, pack or DEFAULT_PACK["high_consumption"])
    kept = session.scalar(
        select(ScreeningEntry.id).where(
            ScreeningEntry.year == year,
            ScreeningEntry.pack_id == pack_id,
            in_region_subtree(ScreeningEntry.region_code.expression, region_code),
        )
    )
    if kept is not None:
        raise Conflict(f"the {year} screening list of {region_code} is kept already", zh=f"{year} 年排查清单已存档")
    codes = {item.credit_code for item in items}
    ids = dict(
        session.execute(select(Enterprise.credit_code, Enterprise.id).where(Enterprise.credit_code.in_(codes))).all()
    )
    for item in items:
        assert item.credit_code is not None
        session.add(
            ScreeningEntry(
                year=year,
                pack_id=pack_id,
                region_code=item.region_code or region_code,
                enterprise_id=ids[item.credit_code],
                rule_ids=str(item.values["rule_ids"]).split(","),
                facts={k: item.values[k] for k in ("above_scale", "land_area_mu", "industry_code", "status")},
                listed_by=actor.username,
            )
        )
    session.flush()
    append_audit(
        session,
        actor.username,
        "screening.keep",
        "screening_list",
        f"{region_code}/{year}/{pack_id}",
        None,
        {"region_code": region_code, "year": year, "pack": pack_id, "credit_codes": sorted(c for c in codes if c)},
    )
    return _kept(session, actor, region_code, year, pack_id) or DerivedList(
        kind="high_consumption",
        title_zh=TITLE_ZH["high_consumption"],
        year=year,
        region_code=region_code,
        source=pack_id,
        items=[],
        total=0,
        kept=True,
    )


def _kept(session: Session, actor: Principal, region: str, year: int, pack_id: str) -> DerivedList | None:
    rows = list(
        session.execute(
            select(ScreeningEntry, Enterprise)
            .join(Enterprise, Enterprise.id == ScreeningEntry.enterprise_id)
            .where(
                ScreeningEntry.year == year,
                ScreeningEntry.pack_id == pack_id,
                in_region_subtree(ScreeningEntry.region_code.expression, region),
                enterprise_filter(actor),
            )
            .order_by(ScreeningEntry.region_code, Enterprise.credit_code)
        )
    )
    if not rows:
        return None
    items = [
        ListItem(
            credit_code=enterprise.credit_code,
            name=enterprise.name,
            region_code=entry.region_code,
            values={**entry.facts, "rule_ids": ",".join(entry.rule_ids)},
            reasons=[f"{year} 年存档：{', '.join(entry.rule_ids)}"],
        )
        for entry, enterprise in rows
    ]
    return DerivedList(
        kind="high_consumption",
        title_zh=TITLE_ZH["high_consumption"],
        year=year,
        region_code=region,
        source=pack_id,
        items=items,
        total=len(items),
        kept=True,
        notes=[
            f"{year} 年清单按存档时的排查结果列出（{rows[0][0].listed_by} 于 {rows[0][0].listed_at:%Y-%m-%d} 存档）"
        ],
    )


def derived_list(
    session: Session,
    actor: Principal,
    kind: str,
    region_code: str,
    *,
    year: int | None = None,
    pack: str | None = None,
    reference: ReferenceSet | None = None,
) -> DerivedList:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind", zh="未知的清单类型")
    require_region(session, actor, region_code, roles=READ_ROLES)
    title = TITLE_ZH[kind]
    if kind == "high_consumption":
        pack_id = resolve_pack(pack or DEFAULT_PACK[kind]).id
        if year is not None and (kept := _kept(session, actor, region_code, year, pack_id)) is not None:
            return kept
        _, items = _screen(session, actor, region_code, pack_id)
        notes = ["按当前企业登记信息排查（尚未存档）"]
        return DerivedList(
            kind=kind,
            title_zh=title,
            year=year,
            region_code=region_code,
            source=pack_id,
            items=items,
            total=len(items),
            notes=notes,
        )
    if kind in ("construction_check", "two_high"):
        ref = reference or load_reference()
        minimum = None
        source = "reference: efficiency_benchmarks"
        if kind == "two_high":
            policy = resolve_pack(pack or DEFAULT_PACK[kind])
            entry = policy.parameter_entry(TWO_HIGH_PARAMETER)
            minimum = float(entry.value)  # tce/a, "及以上": the threshold itself is listed
            source = f"{policy.id} {entry.id}（{entry.source.clause}）"
        items = []
        for project in projects_in(session, region_code):
            if minimum is not None and (project.annual_energy_tce is None or project.annual_energy_tce < minimum):
                continue
            values, reasons = check_project(project, ref)
            enterprise = session.get(Enterprise, project.enterprise_id) if project.enterprise_id else None
            items.append(
                ListItem(
                    credit_code=enterprise.credit_code if enterprise else None,
                    name=project.name,
                    region_code=project.region_code,
                    values=values,
                    reasons=reasons,
                )
            )
        notes = [] if minimum is None else [f"门槛：年综合能耗 ≥ {minimum:g} tce（含本数）"]
        return DerivedList(
            kind=kind,
            title_zh=title,
            region_code=region_code,
            source=source,
            items=items,
            total=len(items),
            notes=notes,
        )
    if kind == "efficiency_leaders":
        return _leaders(session, region_code)
    return _exemption(session, actor, region_code, year)


def _leaders(session: Session, region_code: str) -> DerivedList:
    catalog = catalog_in_force(session, region_code)
    if catalog is None:
        return DerivedList(
            kind="efficiency_leaders",
            title_zh=TITLE_ZH["efficiency_leaders"],
            region_code=region_code,
            source="",
            items=[],
            total=0,
            notes=["该地区尚无已发布的能效清单目录"],
        )
    rows = session.execute(
        select(CatalogEntry, Enterprise)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .where(CatalogEntry.catalog_id == catalog.id, CatalogEntry.tier.in_(ADVANCED_TIERS))
        .order_by(CatalogEntry.product, CatalogEntry.value, Enterprise.credit_code)
    )
    best: dict[tuple[str, str], tuple[CatalogEntry, Enterprise]] = {}
    for entry, enterprise in rows:
        best.setdefault((entry.product, entry.unit), (entry, enterprise))
    items = [
        ListItem(
            credit_code=enterprise.credit_code,
            name=enterprise.name,
            region_code=enterprise.region_code,
            values={"product": entry.product, "value": entry.value, "unit": entry.unit, "tier": entry.tier},
            reasons=[f"{entry.product} 单位产品能耗最低（{entry.value:g} {entry.unit}）"],
        )
        for entry, enterprise in best.values()
    ]
    source = f"catalog {catalog.id} ({catalog.half}, sha256 {catalog.snapshot_hash or '-'})"
    return DerivedList(
        kind="efficiency_leaders",
        title_zh=TITLE_ZH["efficiency_leaders"],
        region_code=region_code,
        source=source,
        items=items,
        total=len(items),
    )


def _exemption(session: Session, actor: Principal, region_code: str, year: int | None) -> DerivedList:
    """Enterprises whose energy-saving target is met, and those listed as green factories (any level, listed
    in or before ``year``); one row per enterprise with every reason it qualifies."""
    targets = session.scalars(
        select(PolicyTarget)
        .where(
            PolicyTarget.scope == "enterprise",
            PolicyTarget.kind.in_(SAVING_KINDS),
            in_region_subtree(PolicyTarget.region_code.expression, region_code),
        )
        .order_by(PolicyTarget.id)
    )
    items: dict[str, ListItem] = {}
    for target in targets:
        result = progress(session, actor, target.id, as_of_year=year)
        if not result.met:
            continue
        out = result.target
        item = items.setdefault(
            out.credit_code or f"target:{out.id}",
            ListItem(credit_code=out.credit_code, name=out.enterprise_name or "", region_code=out.region_code),
        )
        item.values.update(
            target_met=True,
            target_id=out.id,
            kind=out.kind,
            achieved=result.achieved,
            target=out.value,
            unit=result.achieved_unit,
        )
        item.reasons.append(f"节能目标已完成：{out.title_zh}")
    for designation, enterprise in _green_factories(session, actor, region_code, year):
        item = items.setdefault(
            enterprise.credit_code,
            ListItem(credit_code=enterprise.credit_code, name=enterprise.name, region_code=enterprise.region_code),
        )
        level = DESIGNATION_LEVEL_ZH[designation.level]
        item.values.setdefault(designation.kind, f"{level} {designation.year}")
        item.values.setdefault("designation_id", designation.id)
        reason = f"{level}{DESIGNATION_KIND_ZH[designation.kind]}（{designation.year} 年认定：{designation.name}）"
        due = designation.reassessment_due
        if due is not None and due < _as_of(year):
            reason += f"；动态复核日期 {due.isoformat()} 已过，需核实复核结果"
            item.values["reassessment_overdue"] = True
        item.reasons.append(reason)
    notes = ["依据：节能目标完成（企业级节能目标）、绿色工厂或零碳工厂认定（认定登记，各级别）"]
    rows = sorted(items.values(), key=lambda i: (i.region_code or "", i.credit_code or ""))
    return DerivedList(
        kind="exemption",
        title_zh=TITLE_ZH["exemption"],
        year=year,
        region_code=region_code,
        source="policy_target; green_designation",
        items=rows,
        total=len(rows),
        notes=notes,
    )


def _as_of(year: int | None) -> date:
    today = to_local(datetime.now(UTC)).date()
    return today if year is None else min(today, date(year, 12, 31))


def _green_factories(
    session: Session, actor: Principal, region_code: str, year: int | None
) -> list[tuple[GreenDesignation, Enterprise]]:
    """Green- and zero-carbon-factory listings of the region's enterprises the actor may read, highest level
    first, then newest."""
    query = (
        select(GreenDesignation, Enterprise)
        .join(Enterprise, Enterprise.id == GreenDesignation.enterprise_id)
        .where(
            GreenDesignation.kind.in_(EXEMPTING_DESIGNATIONS),
            in_region_subtree(Enterprise.region_code.expression, region_code),
            enterprise_filter(actor),
        )
        .order_by(GreenDesignation.year.desc(), GreenDesignation.id)
    )
    if year is not None:
        query = query.where(GreenDesignation.year <= year)
    rows = [(d, e) for d, e in session.execute(query)]
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    return sorted(rows, key=lambda pair: (rank.get(pair[0].level, 99), -pair[0].year, pair[0].id))
