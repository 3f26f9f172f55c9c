"""Regional waste-heat matching (区域余热匹配): sources (余热源) and sinks (用热需求) of enterprises, ranked pairs.

* A point belongs to an enterprise; the enterprise (its agency) or a regulator over it records, changes or
  removes it — audited (``waste_heat.create`` / ``.update`` / ``.delete``), updates guarded by ``lock_version``.
* Matching (:func:`match`) looks at the points the caller may read, inside ``region`` when given (a region of
  the caller's regulator/reviewer scope): an enterprise sees pairs among its own points, a regulator those of
  its region. A source serves a sink when T_source ≥ T_sink + ΔT_min; pairs further apart than the maximum
  distance are dropped. Score = w_T·temperature fit + w_Q·quantity overlap + w_S·schedule overlap +
  w_D·(1 − d/d_max); a missing component (units differ, a location missing) counts 0 and says so.
  ΔT_min, d_max and the weights are rows of the ``equipment_rules`` reference table.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.equipment import grading
from dualcarbon.equipment.models import WasteHeatPoint
from dualcarbon.equipment.schemas import WasteHeatIn, WasteHeatMatch, WasteHeatMatches, WasteHeatOut
from dualcarbon.equipment.service_benchmark import required_rule
from dualcarbon.equipment.service_rows import delete_audited, load_owned
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise, require_region
from dualcarbon.store.audit import append_audit
from dualcarbon.store.versioning import claim_row

WEIGHT_KEYS = {
    "temperature": "waste_heat_weight_temperature",
    "quantity": "waste_heat_weight_quantity",
    "schedule": "waste_heat_weight_schedule",
    "distance": "waste_heat_weight_distance",
}
FIELDS = (
    "temperature_c",
    "medium",
    "quantity",
    "quantity_unit",
    "start_hour",
    "end_hour",
    "hours_per_year",
    "lon",
    "lat",
)


def point_out(point: WasteHeatPoint, enterprise: Enterprise) -> WasteHeatOut:
    return WasteHeatOut(
        id=point.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        region_code=enterprise.region_code,
        kind=point.kind,
        name=point.name,
        **{name: getattr(point, name) for name in FIELDS},
    )


def _snapshot(point: WasteHeatPoint) -> dict[str, object]:
    return {"kind": point.kind, "name": point.name, **{name: getattr(point, name) for name in FIELDS}}


def _check_window(spec: WasteHeatIn) -> None:
    if spec.start_hour >= spec.end_hour:
        raise InvalidInput("每日时段开始须早于结束 / start_hour must be before end_hour", field="end_hour")
    if (spec.lon is None) != (spec.lat is None):
        raise InvalidInput("经度与纬度须同时填写 / give both lon and lat, or neither", field="lat")


def save_point(
    session: Session, actor: Principal, spec: WasteHeatIn, *, lock_version: int | None = None
) -> WasteHeatOut:
    """Record a source or sink, or change the one with the same (enterprise, kind, name)."""
    _check_window(spec)
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    point = session.scalar(
        select(WasteHeatPoint).where(
            WasteHeatPoint.enterprise_id == enterprise.id,
            WasteHeatPoint.kind == spec.kind,
            WasteHeatPoint.name == spec.name,
        )
    )
    values = {name: getattr(spec, name) for name in FIELDS}
    if point is None:
        point = WasteHeatPoint(enterprise_id=enterprise.id, kind=spec.kind, name=spec.name, **values)
        session.add(point)
        session.flush()
        append_audit(session, actor.username, "waste_heat.create", "waste_heat_point", point.id, None, _snapshot(point))
        return point_out(point, enterprise)
    if lock_version is not None and point.lock_version != lock_version:
        raise Conflict(f"waste-heat point {point.id} was changed by someone else meanwhile", field="lock_version")
    changed = {k: v for k, v in values.items() if getattr(point, k) != v}
    if changed:
        before = _snapshot(point)
        claim_row(session, point, what=f"waste-heat point {point.id}")
        for name, value in changed.items():
            setattr(point, name, value)
        session.flush()
        append_audit(
            session, actor.username, "waste_heat.update", "waste_heat_point", point.id, before, _snapshot(point)
        )
    return point_out(point, enterprise)


def delete_point(session: Session, actor: Principal, point_id: int) -> None:
    point, _ = load_owned(session, actor, WasteHeatPoint, point_id, "waste-heat point", write=True)
    delete_audited(
        session, actor, point, _snapshot(point), action="waste_heat.delete", what=f"waste-heat point {point_id}"
    )


def list_points(
    session: Session, principal: Principal, region: str | None = None, kind: str | None = None
) -> list[WasteHeatOut]:
    query = (
        select(WasteHeatPoint, Enterprise)
        .join(Enterprise, Enterprise.id == WasteHeatPoint.enterprise_id)
        .where(enterprise_filter(principal))
        .order_by(WasteHeatPoint.kind.desc(), Enterprise.credit_code, WasteHeatPoint.name)
    )
    if region:
        require_region(session, principal, region, roles=("regulator", "reviewer"))
        query = query.where(in_region_subtree(Enterprise.region_code, region))  # type: ignore[arg-type]
    if kind:
        query = query.where(WasteHeatPoint.kind == kind)
    return [point_out(point, enterprise) for point, enterprise in session.execute(query)]


def pair(
    source: WasteHeatOut, sink: WasteHeatOut, dt_min: float, max_km: float, weights: dict[str, float]
) -> WasteHeatMatch | None:
    """The match of one source with one sink, or None when the temperature or the distance rules it out."""
    fit = grading.temperature_fit(source.temperature_c, sink.temperature_c, dt_min)
    if fit is None:
        return None
    notes: list[str] = []
    distance = None
    if None not in (source.lon, source.lat, sink.lon, sink.lat):
        distance = grading.haversine_km(source.lon, source.lat, sink.lon, sink.lat)  # type: ignore[arg-type]
        if distance > max_km:
            return None
    else:
        notes.append("位置缺失，距离按 0 分计 / a location is missing: distance scores 0")
    distance_score = None if distance is None else 1.0 - distance / max_km
    quantity = None
    if source.quantity_unit == sink.quantity_unit:
        quantity = grading.quantity_overlap(source.quantity, sink.quantity)
    else:
        notes.append("数量单位不同，无法比较，按 0 分计 / quantity units differ: quantity scores 0")
    schedule = grading.schedule_overlap((source.start_hour, source.end_hour), (sink.start_hour, sink.end_hour))
    score = (
        weights["temperature"] * fit
        + weights["quantity"] * (quantity or 0.0)
        + weights["schedule"] * schedule
        + weights["distance"] * (distance_score or 0.0)
    )
    return WasteHeatMatch(
        source=source,
        sink=sink,
        temperature_margin_c=source.temperature_c - (sink.temperature_c + dt_min),
        temperature_fit=fit,
        quantity_overlap=quantity,
        schedule_overlap=schedule,
        distance_km=distance,
        distance_score=distance_score,
        score=score,
        notes=notes,
    )


def match(
    session: Session, principal: Principal, reference: ReferenceSet, region: str | None = None
) -> WasteHeatMatches:
    """Candidate source–sink pairs among the points the caller may read (in ``region``), best score first."""
    dt_min, dt_row = required_rule(reference, "waste_heat_dt_min_c")
    max_km, km_row = required_rule(reference, "waste_heat_max_distance_km")
    if max_km <= 0 or dt_min < 0:
        raise InvalidInput(
            f"equipment_rules {km_row}/{dt_row}: the maximum distance must be > 0 and ΔT_min ≥ 0", field="reference"
        )
    weights: dict[str, float] = {}
    rows = [dt_row, km_row]
    for name, key in WEIGHT_KEYS.items():
        weights[name], row_id = required_rule(reference, key)
        rows.append(row_id)
    points = list_points(session, principal, region)
    sources = [p for p in points if p.kind == "source"]
    sinks = [p for p in points if p.kind == "sink"]
    matches = [m for s in sources for k in sinks if (m := pair(s, k, dt_min, max_km, weights)) is not None]
    matches.sort(key=lambda m: (-m.score, m.source.id, m.sink.id))
    return WasteHeatMatches(
        region_code=region, dt_min_c=dt_min, max_distance_km=max_km, weights=weights, rule_rows=rows, matches=matches
    )
