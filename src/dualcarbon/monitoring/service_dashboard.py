"""Aggregates behind the monitoring dashboards (监测看板): one enterprise here, one region in :mod:`.service_region`.

Everything is summed on the server from the stored rollups and costs (never from readings, never all rows to
the browser). Totals count the meters that count (``counted``, not virtual, not instant — the same rule as
:mod:`.service_tree`); tce is 当量值.

* :func:`enterprise_dashboard` — the last 24 h by hour (refreshed first, so the live view follows the
  readings), daily tce over a year (calendar heatmap), daily tCO₂ over 90 days, the CO₂ intensity per value
  added (工业增加值, from the enterprise's latest report that states it — or a note saying it is missing), the
  energy flow (Sankey, 30 days, tce) from purchase through the meter tree and process stages to end use, and the
  cost of the last 30 days with peak/valley shares and the saving of shifting peak load (:mod:`.service_cost`).
* :func:`region_dashboard` — in :mod:`.service_region` (re-exported here).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.models import PROCESS_STAGE_ZH, Meter
from dualcarbon.monitoring.schemas_dashboard import (
    CostSummary,
    EnterpriseDashboard,
    FlowLink,
    FlowNode,
    Intensity,
    SeriesPoint,
)
from dualcarbon.monitoring.service_cost import cost_reason_zh, load_shift_saving_yuan, meter_tariff, refresh_costs
from dualcarbon.monitoring.service_region import MAX_EXPORT_ROWS, MAX_PAGE_SIZE, SORTS, region_dashboard
from dualcarbon.monitoring.service_rollups import check_days
from dualcarbon.monitoring.service_tariff import Tariff
from dualcarbon.monitoring.service_tree import counted_meters_query
from dualcarbon.monitoring.store_cost import read_rows
from dualcarbon.monitoring.store_rollups import rollup_store_for
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.registry.service_regions import region_names
from dualcarbon.reports.models import Economics, PeriodReport, PeriodReportVersion

#: The Sankey node of what a parent's sub-meters do not account for.
LOSS_NODE = "损耗及未计量"


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _rows(
    session: Session, enterprise: Enterprise, meters: list[Meter], interval: str, start: datetime, end: datetime
) -> pa.Table:
    return rollup_store_for(session).read(enterprise.credit_code, [m.id for m in meters], interval, start, end)


def _series(table: Any, column: str) -> list[SeriesPoint]:
    sums: dict[datetime, float] = defaultdict(float)
    seen: set[datetime] = set()
    for start, value in zip(table.column("start").to_pylist(), table.column(column).to_pylist(), strict=True):
        if value is not None:
            sums[start] += value
            seen.add(start)
    return [SeriesPoint(start=s, value=sums[s]) for s in sorted(seen)]


def enterprise_dashboard(
    session: Session,
    principal: Principal,
    credit_code: str,
    reference: ReferenceSet,
    *,
    now: datetime,
    shift_pct: float = 10.0,
) -> EnterpriseDashboard:
    """The enterprise dashboard's figures at ``now`` (naive Asia/Shanghai time); see the module docstring."""
    check_days(now.date(), now.date(), from_field="at", to_field="at")  # 9999-12-31 overflowed: 500
    enterprise = require_enterprise(session, principal, credit_code)
    refresh_costs(session, enterprise, reference)  # the rollup refresh and the cost step
    meters = list(session.scalars(counted_meters_query([enterprise.id])))
    today = now.date()
    hour_now = now.replace(minute=0, second=0, microsecond=0)
    live = _rows(session, enterprise, meters, "hour", hour_now - timedelta(hours=23), hour_now + timedelta(hours=1))
    year = _rows(session, enterprise, meters, "day", _day(today - timedelta(days=364)), _day(today) + timedelta(days=1))
    co2_from = _day(today - timedelta(days=89))
    # typed: an enterprise without meters has an empty table, and an empty list has no type to filter by
    recent = year.filter(pa.array([s >= co2_from for s in year.column("start").to_pylist()], pa.bool_()))
    flows, flow_nodes = _flows(session, enterprise, reference, today)
    return EnterpriseDashboard(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        as_of=now,
        meters=len(meters),
        live_tce=_series(live, "tce"),
        live_tco2=_series(live, "tco2"),
        latest_hour=max((p.start for p in _series(live, "energy")), default=None),
        calendar_tce=_series(year, "tce"),
        co2_daily=_series(recent, "tco2"),
        intensity=_intensity(session, enterprise, meters),
        flows=flows,
        cost=_cost(session, enterprise, meters, reference, today, shift_pct),
        flow_nodes=flow_nodes,
    )


def enterprise_live(
    session: Session, principal: Principal, credit_code: str, reference: ReferenceSet, *, now: datetime
) -> EnterpriseDashboard:
    """Only the live part of :func:`enterprise_dashboard` (the last 24 h; other fields empty), for the timer."""
    enterprise = require_enterprise(session, principal, credit_code)
    refresh_costs(session, enterprise, reference)
    meters = list(session.scalars(counted_meters_query([enterprise.id])))
    hour_now = now.replace(minute=0, second=0, microsecond=0)
    live = _rows(session, enterprise, meters, "hour", hour_now - timedelta(hours=23), hour_now + timedelta(hours=1))
    return EnterpriseDashboard(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        as_of=now,
        meters=len(meters),
        live_tce=_series(live, "tce"),
        live_tco2=_series(live, "tco2"),
        latest_hour=max((p.start for p in _series(live, "energy")), default=None),
        calendar_tce=[],
        co2_daily=[],
        intensity=Intensity(status="not_loaded"),
        flows=[],
        cost=CostSummary(days=0),
    )


def _intensity(session: Session, enterprise: Enterprise, meters: list[Meter]) -> Intensity:
    """tCO₂ of the latest report year with a value added, from the monthly rollups, per 万元 of value added."""
    row = session.execute(
        select(PeriodReport.year, Economics.value_added_10k_yuan)
        .join(PeriodReportVersion, PeriodReportVersion.id == PeriodReport.current_version_id)
        .join(Economics, Economics.version_id == PeriodReportVersion.id)
        .where(
            PeriodReport.enterprise_id == enterprise.id,
            PeriodReport.period_kind == "year",
            Economics.value_added_10k_yuan.is_not(None),
            Economics.value_added_10k_yuan > 0,
        )
        .order_by(PeriodReport.year.desc())
        .limit(1)
    ).first()
    if row is None:
        return Intensity(
            status="no_value_added",
            note="no report of the enterprise states its value added (工业增加值): intensity not shown",
        )
    year, value_added = int(row[0]), float(row[1] or 0.0)
    months = _rows(session, enterprise, meters, "month", datetime(year, 1, 1), datetime(year + 1, 1, 1))
    tco2 = [v for v in months.column("tco2").to_pylist() if v is not None]
    complete = months.column("completeness").to_pylist()
    # Months never refreshed have no stored row: they count as 0 (expected = meters × 12 months).
    coverage = sum(complete) / (len(meters) * 12) if meters else 0.0
    if not tco2:
        return Intensity(
            status="no_co2", year=year, value_added_10k_yuan=value_added, note=f"no monitored CO₂ in {year}"
        )
    total = sum(tco2)
    note = None if coverage >= 1.0 else f"monitoring covers {coverage:.0%} of {year}: the intensity is partial"
    return Intensity(
        status="ok" if note is None else "partial",
        coverage=coverage,
        year=year,
        value_added_10k_yuan=value_added,
        tco2=total,
        tco2_per_10k_yuan=total / value_added,
        note=note,
    )


def _flows(
    session: Session, enterprise: Enterprise, reference: ReferenceSet, today: date
) -> tuple[list[FlowLink], list[FlowNode]]:
    """Sankey links over the last 30 days in tce: purchase (per carrier) → root meters → sub-meters, and each
    meter's stage (购入贮存 / 加工转换 / 输送分配 / 终端使用) in its node name; what a parent's children do not
    account for goes to a "loss / unmetered" node (never negative)."""
    every = list(session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.kind != "virtual")))
    if not every:
        return [], []
    start, end = _day(today - timedelta(days=29)), _day(today) + timedelta(days=1)
    table = _rows(session, enterprise, every, "day", start, end)
    tce: dict[int, float] = defaultdict(float)
    for meter_id, value in zip(table.column("meter_id").to_pylist(), table.column("tce").to_pylist(), strict=True):
        if value is not None:
            tce[meter_id] += value
    carriers = {c.id: c.name_zh for c in reference.carriers()}

    nodes: dict[str, FlowNode] = {}

    def node(m: Meter) -> str:
        stage = PROCESS_STAGE_ZH.get(m.process_stage or "", "")
        name = f"{m.code}（{stage}）" if stage else m.code
        nodes.setdefault(name, FlowNode(name=name, kind="meter", meter=m.code, stage=m.process_stage or None))
        return name

    def purchase(m: Meter) -> str:
        name = f"购入：{carriers.get(m.carrier, m.carrier)}"
        nodes.setdefault(name, FlowNode(name=name, kind="purchase", carrier=m.carrier))
        return name

    def loss() -> str:
        return nodes.setdefault(LOSS_NODE, FlowNode(name=LOSS_NODE, kind="loss")).name

    links: list[FlowLink] = []
    children: dict[int, list[Meter]] = defaultdict(list)
    for m in every:
        if m.parent_id is not None:
            children[m.parent_id].append(m)
    for m in every:
        if m.parent_id is None and tce.get(m.id, 0.0) > 0:
            links.append(FlowLink(source=purchase(m), target=node(m), tce=tce[m.id]))
        kids = [k for k in children.get(m.id, []) if tce.get(k.id, 0.0) > 0]
        for kid in kids:
            links.append(FlowLink(source=node(m), target=node(kid), tce=tce[kid.id]))
        rest = tce.get(m.id, 0.0) - sum(tce[k.id] for k in kids)
        if kids and rest > 0:
            links.append(FlowLink(source=node(m), target=loss(), tce=rest))
    used = {link.source for link in links} | {link.target for link in links}
    return links, [n for name, n in nodes.items() if name in used]


def _cost(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    reference: ReferenceSet,
    today: date,
    shift_pct: float,
) -> CostSummary:
    start, end = _day(today - timedelta(days=29)), _day(today) + timedelta(days=1)
    days = read_rows(session, [m.id for m in meters], "day", start, end)
    tariffs: dict[tuple[int, int], tuple[Tariff, float]] = {}
    reasons: list[str] = []
    reasons_zh: list[str] = []
    carriers = {c.id: c.name_zh for c in reference.carriers()}
    region = region_names(session, [enterprise.region_code]).get(enterprise.region_code, "")
    region_label = f"{region}{enterprise.region_code}" if region else enterprise.region_code
    for m in meters:
        for year in sorted({start.year, today.year}):
            found = meter_tariff(reference, enterprise, m, year)
            if isinstance(found, Tariff):
                tariffs[(m.id, year)] = (found, found.price_per(m.unit))
            else:
                reasons.append(f"{m.code}: {found}")
                reasons_zh.append(cost_reason_zh(found, carriers.get(m.carrier, m.carrier), region_label, year))
    reason_zh = "；".join(list(dict.fromkeys(reasons_zh))[:3]) or None
    costed = [r for r in days if r["cost_yuan"] is not None]
    if not costed:
        return CostSummary(
            days=30,
            reason="; ".join(sorted(set(reasons))[:3]) or "no costed energy in 30 days",
            reason_zh=reason_zh or "近 30 天没有已计价的用能数据（无计量数据或尚未计价）。",
        )
    bands = {b: sum(r[f"energy_{b}"] or 0.0 for r in costed) for b in ("sharp", "peak", "flat", "valley")}
    tou_total = sum(bands.values())
    # The saving is computed from day rows the same way as from month rows (per row: its month's 谷 price).
    saving = load_shift_saving_yuan(costed, tariffs, shift_pct)
    return CostSummary(
        days=30,
        cost_yuan=sum(r["cost_yuan"] for r in costed),
        band_shares={b: v / tou_total for b, v in bands.items()} if tou_total > 0 else {},
        shift_pct=shift_pct,
        shift_saving_yuan=saving,
        demo=any(t.demo for t, _ in tariffs.values()),
        reason="; ".join(sorted(set(reasons))[:3]) or None,
        reason_zh=reason_zh,
    )


# The region dashboard moved to service_region (module size); these names stay importable from here.
__all__ = [
    "MAX_EXPORT_ROWS",
    "MAX_PAGE_SIZE",
    "SORTS",
    "InvalidInput",
    "enterprise_dashboard",
    "enterprise_live",
    "region_dashboard",
]
