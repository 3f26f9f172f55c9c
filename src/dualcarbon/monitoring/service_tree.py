"""Rollups through the meter tree: per production unit, site, enterprise or region (GB/T 2260 subtree), per carrier.

Only meters that count in the total are summed (``counted`` true, not ``virtual``, not ``instant``, measuring
energy): sub-meters marked ``counted=false`` and virtual meters never add to a total (no double counting), and
production (产量) meters never add to energy, tce or CO₂. The per-meter rollups
come from the stored rollups (:func:`.service_rollups.rollups_of`).

Per (carrier, unit) and period: ``energy`` = sum of the meters' known energies (null when none is known);
``tce``, ``tce_equal``, ``tco2`` = sums of the known values; ``completeness`` = mean of the meters'
completeness; ``flags`` = union of the meters' flags, plus ``partial`` when some meters have energy and others
not. The ``total`` row of a period sums tce, tce_equal and tco2 over every carrier the same way (energy
quantities of different carriers are not added).

``cost_yuan`` (能源费用) = the sum of the meters' stored time-of-use costs (:mod:`.service_cost`, refreshed
first); it is known only when every meter with energy in the period has a cost — otherwise null, and
``cost_reason`` names the first reason (no tariff for the carrier in the region and year, a blank price, a unit
that cannot be priced, ``no data``). The total row's cost adds the carriers' costs under the same rule.
A carrier measured in several units gives one group per unit.

Scope: ``enterprise`` (id = credit code) and ``site`` / ``unit`` (id = the registry's numeric id): the caller
must be able to read the enterprise (else 404); ``region`` (id = GB/T 2260 code): the caller's regulator or
reviewer scope must cover it, and only the enterprises the caller may read are summed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError, InvalidInput, NotFound, zh_en
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_cost import meter_tariff, refresh_costs
from dualcarbon.monitoring.service_rollups import LOCAL_ZONE, local_range, rollups_of
from dualcarbon.monitoring.store_cost import read_rows
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, ProductionUnit, Site, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise, require_region

SCOPES: tuple[str, ...] = ("enterprise", "site", "unit", "region")

GROUP_SQL = """
WITH g AS (
  SELECT r.*, c.carrier, c.unit FROM costed r JOIN meter_carriers c USING (meter_id)
)
SELECT carrier, unit, start, count(DISTINCT meter_id) AS meters,
  sum(energy) AS energy, sum(tce) AS tce, sum(tce_equal) AS tce_equal, sum(tco2) AS tco2,
  avg(completeness) AS completeness,
  list_sort(list_distinct(flatten(list(flags)))) AS flags,
  count(energy) > 0 AND count(energy) < count(*) AS partial, {cost}
FROM g GROUP BY carrier, unit, start ORDER BY carrier, unit, start
"""
TOTAL_SQL = """
SELECT start, sum(tce) AS tce, sum(tce_equal) AS tce_equal, sum(tco2) AS tco2, avg(completeness) AS completeness,
  list_sort(list_distinct(flatten(list(flags)))) AS flags,
  count(energy) > 0 AND count(energy) < count(*) AS partial, {cost}
FROM costed GROUP BY start ORDER BY start
"""
#: A meter's period with energy gets its stored cost, or the reason it has none (the year's tariff problem first:
#: it also hides rows costed with a tariff since removed, as the per-meter answers do).
COSTED_SQL = """
CREATE TEMP VIEW costed AS
SELECT r.*, CASE WHEN t.reason IS NULL THEN k.cost_yuan END AS cost,
  CASE WHEN r.energy IS NOT NULL AND (t.reason IS NOT NULL OR k.cost_yuan IS NULL)
    THEN coalesce(t.reason, k.reason, 'not costed yet') END AS cost_problem
FROM rows r
LEFT JOIN costs k ON k.meter_id = r.meter_id AND k.start = r.start
LEFT JOIN tariff_problems t ON t.meter_id = r.meter_id AND t.year = year(r.start)
"""
#: A sum of costs is known only when every member with energy has one.
COST_SUM_SQL = """CASE WHEN count(energy) > 0 AND count(cost_problem) = 0 THEN sum(cost) END AS cost_yuan,
  CASE WHEN count(energy) = 0 THEN 'no data' ELSE min(cost_problem) END AS cost_reason"""


def counted_meters_query(enterprise_ids: list[int], carrier: str | None = None) -> Any:
    """Meters summed into totals: counted, not virtual, not instant, measuring energy (never production)."""
    query = select(Meter).where(
        Meter.enterprise_id.in_(enterprise_ids),
        Meter.counted.is_(True),
        Meter.kind.in_(("cumulative", "interval")),
        Meter.measures == "energy",
    )
    if carrier:
        query = query.where(Meter.carrier == carrier)
    return query.order_by(Meter.enterprise_id, Meter.id)


def _scope(session: Session, principal: Principal, scope: str, ident: str) -> tuple[list[Enterprise], Any, str]:
    """The enterprises of the scope, an extra meter filter, and the scope's name."""
    if scope == "enterprise":
        enterprise = require_enterprise(session, principal, ident)
        return [enterprise], None, enterprise.name
    if scope in ("site", "unit"):
        try:
            number = int(ident)
        except ValueError:
            raise InvalidInput(f"a {scope} id is a number", field="id", zh="编号须为数字") from None
        row: Site | ProductionUnit | None = (
            session.get(Site, number) if scope == "site" else session.get(ProductionUnit, number)
        )
        owner = session.get(Enterprise, row.enterprise_id) if row is not None else None
        if row is None or owner is None:
            raise NotFound(f"{scope} {ident} not found", zh=_not_found_zh(scope))
        try:
            enterprise = require_enterprise(session, principal, owner.credit_code)
        except NotFound:
            raise NotFound(f"{scope} {ident} not found", zh=_not_found_zh(scope)) from None
        column = Meter.site_id if scope == "site" else Meter.production_unit_id
        return [enterprise], column == number, str(getattr(row, "name", ident))
    if scope == "region":
        region = require_region(session, principal, ident, roles=("regulator", "reviewer"))
        query = (
            select(Enterprise)
            .where(in_region_subtree(Enterprise.region_code, region.code), enterprise_filter(principal))  # type: ignore[arg-type]
            .order_by(Enterprise.id)
        )
        return list(session.scalars(query)), None, region.name
    zh = f"范围只能是 {'、'.join(SCOPES)} 之一"
    raise InvalidInput(zh_en(zh, f"must be one of {', '.join(SCOPES)}"), field="scope", zh=zh)


def tree_rollups(
    session: Session,
    principal: Principal,
    scope: str,
    ident: str,
    interval: str,
    date_from: date,
    date_to: date,
    reference: ReferenceSet,
    carrier: str | None = None,
) -> dict[str, Any]:
    """Totals of a scope per carrier and period (see the module docstring); JSON-ready."""
    start, end = local_range(interval, date_from, date_to)
    if carrier:
        try:
            carrier = reference.carrier(carrier).id
        except DualcarbonError:
            zh = f"未知的能源品种「{carrier}」"
            raise InvalidInput(zh_en(zh, f"unknown carrier '{carrier}'"), field="carrier", zh=zh) from None
    enterprises, extra, name = _scope(session, principal, scope, ident)
    parts: list[pa.Table] = []
    cost_parts: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
    carriers: dict[int, tuple[str, str]] = {}
    for enterprise in enterprises:
        query = counted_meters_query([enterprise.id], carrier)
        if extra is not None:
            query = query.where(extra)
        meters = list(session.scalars(query))
        if not meters:
            continue
        carriers |= {m.id: (m.carrier, m.unit) for m in meters}
        table, _ = rollups_of(session, enterprise, meters, interval, date_from, date_to, reference)
        parts.append(table)
        cost_parts.append(_costs(session, enterprise, meters, interval, start, end, reference))
    groups, total = _group(parts, carriers, cost_parts)
    return {
        "scope": scope,
        "id": ident,
        "name": name,
        "interval": interval,
        "from": start.date().isoformat(),
        "to": (end - timedelta(days=1)).date().isoformat(),
        "timezone": "Asia/Shanghai",
        "carrier": carrier,
        "enterprises": len([p for p in parts if p.num_rows]),
        "meters": len(carriers),
        "carriers": groups,
        "total": {"periods": total},
    }


def _period(row: dict[str, Any], unit: str | None) -> dict[str, Any]:
    flags = list(row["flags"]) + (["partial"] if row["partial"] else [])
    out = {"start": row["start"].replace(tzinfo=LOCAL_ZONE).isoformat()}
    if unit is not None:
        out |= {"energy": row["energy"], "unit": unit}
    return out | {
        "tce": row["tce"],
        "tce_equal": row["tce_equal"],
        "tco2": row["tco2"],
        "completeness": row["completeness"],
        "flags": flags,
        "cost_yuan": row["cost_yuan"],
        "cost_reason": None if row["cost_yuan"] is not None else row["cost_reason"],
    }


def _costs(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    interval: str,
    start: datetime,
    end: datetime,
    reference: ReferenceSet,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The stored cost rows of ``meters`` in [start, end) (after the cost step) and, per meter and year without a
    usable tariff, the reason (:func:`.service_cost.meter_tariff`)."""
    refresh_costs(session, enterprise, reference)
    rows = read_rows(session, [m.id for m in meters], interval, start, end)
    costs = [
        {"meter_id": r["meter_id"], "start": r["start"], "cost_yuan": r["cost_yuan"], "reason": r["reason"]}
        for r in rows
    ]
    problems = []
    for meter in meters:
        for year in range(start.year, (end - timedelta(seconds=1)).year + 1):
            found = meter_tariff(reference, enterprise, meter, year)
            if isinstance(found, str):
                problems.append({"meter_id": meter.id, "year": year, "reason": found[:200]})
    return costs, problems


def _group(
    parts: list[pa.Table],
    carriers: dict[int, tuple[str, str]],
    cost_parts: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]],
) -> tuple[list[dict[str, Any]], list[Any]]:
    if not parts:
        return [], []
    costs = pa.table(
        {
            "meter_id": pa.array([c["meter_id"] for part, _ in cost_parts for c in part], pa.int32()),
            "start": pa.array([c["start"] for part, _ in cost_parts for c in part], pa.timestamp("us")),
            "cost_yuan": pa.array([c["cost_yuan"] for part, _ in cost_parts for c in part], pa.float64()),
            "reason": pa.array([c["reason"] for part, _ in cost_parts for c in part], pa.string()),
        }
    )
    problems = pa.table(
        {
            "meter_id": pa.array([p["meter_id"] for _, part in cost_parts for p in part], pa.int32()),
            "year": pa.array([p["year"] for _, part in cost_parts for p in part], pa.int64()),
            "reason": pa.array([p["reason"] for _, part in cost_parts for p in part], pa.string()),
        }
    )
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("rows", pa.concat_tables(parts))
        con.register("costs", costs)
        con.register("tariff_problems", problems)
        con.execute(COSTED_SQL)
        con.register(
            "meter_carriers",
            pa.table(
                {
                    "meter_id": pa.array(list(carriers), pa.int32()),
                    "carrier": pa.array([c for c, _ in carriers.values()], pa.string()),
                    "unit": pa.array([u for _, u in carriers.values()], pa.string()),
                }
            ),
        )
        grouped = con.sql(GROUP_SQL.format(cost=COST_SUM_SQL)).to_arrow_table().to_pylist()
        total = [_period(r, None) for r in con.sql(TOTAL_SQL.format(cost=COST_SUM_SQL)).to_arrow_table().to_pylist()]
    finally:
        con.close()
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in grouped:
        key = (row["carrier"], row["unit"])
        group = groups.setdefault(key, {"carrier": key[0], "unit": key[1], "meters": 0, "periods": []})
        group["meters"] = max(group["meters"], row["meters"])
        group["periods"].append(_period(row, key[1]))
    return list(groups.values()), total


def _not_found_zh(scope: str) -> str:
    return f"未找到该{'厂区' if scope == 'site' else '生产单元'}，或不在您的管辖范围内"
