"""PV register (分布式光伏): systems, their mounting-height compliance, generation, CO₂ avoided, coverage.

* Mounting height: the governing pack's parameters ``*.pv.mount_height_max_sloped_roof`` and
  ``*.pv.mount_height_max_flat_roof`` (Longgang: 30 cm above a sloped roof, 2.6 m above a flat one, “不应超过”,
  so the limit itself complies). A pack without them leaves compliance undetermined (null), never guessed.
* 并网模式 must be one of the choices the pack's ``pv`` money rule declares for its fact ``mode``.
* Generation: :func:`dualcarbon.assets.service_common.energy_of_period` (meter, else reported months).
* CO₂ avoided = Σ month kWh × the average grid factor of the month's year (province of the enterprise, else
  national; :func:`dualcarbon.reports.service_compute.choose_grid_factor`) ÷ 1000 (kgCO₂/kWh → t).
* Coverage against the pack's targets: ``rooftop_pv_share_existing`` / ``rooftop_pv_share_new_factories`` /
  ``rooftop_pv_share`` = Σ covered ÷ Σ usable roof area × 100 of the systems of that roof category (all for the
  last), ``new_pv_capacity`` = Σ capacity of systems grid-connected within the pack's validity (all when open).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import PvAsset
from dualcarbon.assets.schemas import (
    ROOF_TYPE_ZH,
    CoverageLine,
    CoverageReport,
    EnergyOfPeriod,
    PvIn,
    PvOut,
    PvPerformance,
)
from dualcarbon.assets.service_common import check_meter, energy_of_period, load_asset, shipped_pack
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.units import convert
from dualcarbon.monitoring.service_rollups import province_name
from dualcarbon.reference.policy import Parameter, PolicyPack, Target, resolve_pack
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise, require_region
from dualcarbon.reports.service_compute import choose_grid_factor
from dualcarbon.store.audit import append_audit

HEIGHT_PARAMETER = {"sloped": ".pv.mount_height_max_sloped_roof", "flat": ".pv.mount_height_max_flat_roof"}
#: pack target kind → the roof category it measures (None: every roof)
SHARE_TARGETS = {
    "rooftop_pv_share_existing": "existing",
    "rooftop_pv_share_new_factories": "new_factory",
    "rooftop_pv_share": None,
}
CAPACITY_TARGET = "new_pv_capacity"


def height_limit(pack: PolicyPack, roof_type: str) -> Parameter | None:
    """The pack's mounting-height limit for the roof type, or None when the pack sets none."""
    suffix = HEIGHT_PARAMETER[roof_type]
    return next((p for p in pack.parameters if p.id.endswith(suffix)), None)


def _pack(pack_id: str) -> PolicyPack:
    try:
        return resolve_pack(pack_id)
    except InvalidInput as exc:
        raise exc.at("pack") if exc.field is None else exc from None


def pv_out(pv: PvAsset, enterprise: Enterprise) -> PvOut:
    limit = height_limit(shipped_pack(pv.pack_id), pv.roof_type)
    limit_m = None if limit is None else convert(float(limit.value), limit.unit, "m")
    return PvOut(
        id=pv.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        region_code=enterprise.region_code,
        name=pv.name,
        pack=pv.pack_id,
        roof_type=pv.roof_type,  # type: ignore[arg-type]
        roof_type_zh=ROOF_TYPE_ZH[pv.roof_type],
        roof_category=pv.roof_category,  # type: ignore[arg-type]
        module_height_m=pv.module_height_m,
        height_limit_m=limit_m,
        height_compliant=None if limit_m is None else pv.module_height_m <= limit_m + 1e-9,
        height_clause=None if limit is None else f"{limit.source.clause}: {limit.title_zh}",
        usable_roof_m2=pv.usable_roof_m2,
        covered_roof_m2=pv.covered_roof_m2,
        capacity_kwp=pv.capacity_kwp,
        connection_mode=pv.connection_mode,
        grid_connected_on=pv.grid_connected_on,
        connected_to_platform=pv.connected_to_platform,
        meter_id=pv.meter_id,
        lock_version=pv.lock_version,
    )


def _check_mode(pack: PolicyPack, mode: str) -> None:
    rule = next((r for r in pack.rules if r.key == "pv"), None)
    spec = None if rule is None else rule.facts.get("mode")
    if spec is not None and spec.choices and mode not in spec.choices:
        raise InvalidInput(
            f"must be one of: {', '.join(spec.choices)} (pack {pack.id})",
            field="connection_mode",
            zh=f"并网模式应为：{'、'.join(spec.choices)}",
        )


def create_pv(session: Session, actor: Principal, spec: PvIn) -> PvOut:
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    pack = _pack(spec.pack)
    _check_mode(pack, spec.connection_mode)
    check_meter(session, enterprise, spec.meter_id, "meter_id")
    if spec.usable_roof_m2 is not None and (spec.covered_roof_m2 or 0) > spec.usable_roof_m2:
        raise InvalidInput("covered roof area exceeds the usable area", field="covered_roof_m2")
    pv = PvAsset(
        enterprise_id=enterprise.id,
        pack_id=pack.id,
        created_by=actor.username,
        **spec.model_dump(exclude={"credit_code", "pack"}),
    )
    session.add(pv)
    session.flush()
    append_audit(session, actor.username, "pv.create", "pv_asset", pv.id, None, spec.model_dump(mode="json"))
    return pv_out(pv, enterprise)


def list_pv(session: Session, actor: Principal, *, region_code: str | None = None) -> list[PvOut]:
    query = select(PvAsset, Enterprise).join(Enterprise, Enterprise.id == PvAsset.enterprise_id)
    query = query.where(enterprise_filter(actor))
    if region_code:
        query = query.where(in_region_subtree(Enterprise.region_code, region_code))  # type: ignore[arg-type]
    return [pv_out(pv, ent) for pv, ent in session.execute(query.order_by(PvAsset.id))]


def get_pv(session: Session, actor: Principal, pv_id: int) -> PvOut:
    return pv_out(*load_asset(session, actor, PvAsset, pv_id))


def generation(
    session: Session, actor: Principal, pv_id: int, period_from: str, period_to: str, reference: ReferenceSet
) -> tuple[PvAsset, Enterprise, EnergyOfPeriod]:
    pv, enterprise = load_asset(session, actor, PvAsset, pv_id)
    energy = energy_of_period(session, actor, "pv", pv.id, pv.meter_id, "generation", period_from, period_to, reference)
    return pv, enterprise, energy


def pv_performance(
    session: Session, actor: Principal, pv_id: int, period_from: str, period_to: str, reference: ReferenceSet
) -> PvPerformance:
    """Generation month by month and the CO₂ it avoided (see the module docstring)."""
    pv, enterprise, energy = generation(session, actor, pv_id, period_from, period_to, reference)
    province = province_name(session, enterprise)
    kwh_by_year: dict[int, float] = defaultdict(float)
    for line in energy.months:
        kwh_by_year[int(line.month[:4])] += line.kwh or 0.0
    factors = []
    co2 = 0.0
    for year, kwh in sorted(kwh_by_year.items()):
        factor, note = choose_grid_factor(reference, year, province)
        co2 += kwh * factor.value_tco2_per_mwh / 1000
        factors.append(
            {
                "year": year,
                "row_id": factor.row_id,
                "factor_year": factor.year,
                "region": factor.region,
                "tco2_per_mwh": factor.value_tco2_per_mwh,
                "note": note,
            }
        )
    return PvPerformance(
        asset=pv_out(pv, enterprise),
        generation=energy,
        co2_avoided_t=None if energy.total_kwh is None else co2,
        grid_factors=factors,
    )


def coverage(session: Session, actor: Principal, pack_id: str, region_code: str) -> CoverageReport:
    """The region's PV systems against the pack's roof-share and new-capacity targets."""
    require_region(session, actor, region_code, roles=("regulator", "reviewer"))
    pack = _pack(pack_id)
    query = (
        select(PvAsset)
        .join(Enterprise, Enterprise.id == PvAsset.enterprise_id)
        .where(in_region_subtree(Enterprise.region_code, region_code))  # type: ignore[arg-type]
    )
    systems = list(session.scalars(query))
    lines: list[CoverageLine] = []
    for target in pack.targets:
        if target.kind in SHARE_TARGETS:
            category = SHARE_TARGETS[target.kind]
            chosen = [s for s in systems if category is None or s.roof_category == category]
            usable = sum(s.usable_roof_m2 or 0.0 for s in chosen if s.usable_roof_m2)
            covered = sum(s.covered_roof_m2 or 0.0 for s in chosen if s.usable_roof_m2)
            achieved = covered / usable * 100 if usable > 0 else None
            basis = f"Σ covered {covered:g} m² ÷ Σ usable {usable:g} m² of {len(chosen)} system(s)"
            zh = f"已覆盖面积合计 {covered:g} m² ÷ 可利用面积合计 {usable:g} m²（{len(chosen)} 个系统）"
            lines.append(_line(target, achieved, (basis, zh), "%"))
        elif target.kind == CAPACITY_TARGET:
            since, until = pack.valid.valid_from, pack.valid.valid_to
            chosen = [
                s
                for s in systems
                if s.grid_connected_on is not None
                and (since is None or s.grid_connected_on >= since)
                and (until is None or s.grid_connected_on <= until)
            ]
            kw = sum(s.capacity_kwp for s in chosen)
            achieved = convert(kw, "kW", target.unit)
            window = f"{since or '…'} – {until or '…'}"
            basis = f"Σ capacity {kw:g} kWp of {len(chosen)} system(s) grid-connected {window}"
            zh = f"{window} 并网的 {len(chosen)} 个系统装机容量合计 {kw:g} kWp"
            lines.append(_line(target, achieved, (basis, zh), target.unit))
    return CoverageReport(pack=pack.id, region_code=region_code, assets=len(systems), lines=lines)


def _line(target: Target, achieved: float | None, basis: tuple[str, str], unit: str) -> CoverageLine:
    """One target's line; ``basis`` is the (English, Chinese) pair."""
    value = float(target.value) if unit == target.unit else convert(float(target.value), target.unit, unit)
    met = None
    if achieved is not None:
        met = {"at_least": achieved >= value, "at_most": achieved <= value}.get(target.comparison, achieved == value)
    return CoverageLine(
        target_id=target.id,
        title_zh=target.title_zh,
        kind=target.kind,
        target_value=value,
        unit=unit,
        achieved=achieved,
        met=met,
        basis=basis[0],
        basis_zh=basis[1],
        clause=target.source.clause,
    )
