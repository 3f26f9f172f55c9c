"""The region monitoring dashboard's figures (区域能耗监测看板, issue #10 §3): totals per district (the region's
direct children) and sector (GB/T 4754 大类, named from ``reference/data/industry_divisions_gbt4754.csv``), and one
page of enterprises with their totals and data status (no data / quality failed / ok, from
:mod:`.service_quality` results: the alerts subject sits above monitoring and its levels are on its own pages).

Per-enterprise totals of the counted meters (``counted``, not virtual, not instant) over the days, tce 当量值:

* PostgreSQL: one SQL aggregate over ``monitoring_rollup`` and ``monitoring_cost``;
* Parquet store: one DuckDB aggregate over the region day table (:mod:`.store_region`: a few files per month for the
  whole province) and one SQL aggregate of the costs. A store whose table is not built yet (``READY`` missing: no
  refresh since the upgrade, no ``dualcarbon store build-region-days``) is read from the enterprise day files —
  the same numbers, one file per enterprise and month (slow at the scale of a province).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.monitoring.models import Meter, MeterQualityDay
from dualcarbon.monitoring.schemas_dashboard import EnterpriseRow, RegionDashboard, TotalRow
from dualcarbon.monitoring.service_rollups import check_days
from dualcarbon.monitoring.service_tree import counted_meters_query
from dualcarbon.monitoring.store_cost import MonitoringCost, to_utc
from dualcarbon.monitoring.store_readings import duck
from dualcarbon.monitoring.store_region import RegionDays
from dualcarbon.monitoring.store_rollups import rollup_store_for
from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_region

MAX_PAGE_SIZE = 200
MAX_EXPORT_ROWS = 100_000  # the page's Excel export: every row of the region in one call (one aggregation)
SORTS: tuple[str, ...] = ("tce", "tco2", "cost_yuan", "name")
Totals = dict[int, tuple[float | None, float | None, float | None]]


@cache
def sector_names() -> dict[str, str]:
    """GB/T 4754 大类 code (e.g. ``C32``) → name, from the shipped table (manufacturing divisions only)."""
    path = resources.files("dualcarbon.reference") / "data" / "industry_divisions_gbt4754.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"]: row["name_zh"] for row in csv.DictReader(handle)}


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _check(date_from: date, date_to: date, page: int, size: int, sort: str, export: bool) -> None:
    check_days(date_from, date_to)  # the readable days (a day past 9999-12-31 overflowed: 500), to ≥ from
    largest = MAX_EXPORT_ROWS if export else MAX_PAGE_SIZE
    if not 1 <= size <= largest:
        raise InvalidInput(f"must be between 1 and {largest}", field="size")
    if page < 1:
        raise InvalidInput("must be 1 or more", field="page")
    if sort not in SORTS:
        zh = f"排序只能是 {'、'.join(SORTS)} 之一"
        raise InvalidInput(zh_en(zh, f"must be one of {', '.join(SORTS)}"), field="sort", zh=zh)


def region_dashboard(
    session: Session,
    principal: Principal,
    region_code: str,
    date_from: date,
    date_to: date,
    *,
    page: int = 1,
    size: int = 20,
    sort: str = "tce",
    export: bool = False,
) -> RegionDashboard:
    """The region dashboard for the days [date_from, date_to]; see the module docstring. ``export``: a page of up
    to :data:`MAX_EXPORT_ROWS` rows (the web page's Excel export) instead of :data:`MAX_PAGE_SIZE`."""
    _check(date_from, date_to, page, size, sort, export)
    region = require_region(session, principal, region_code, roles=("regulator", "reviewer"))
    scope = (in_region_subtree(Enterprise.region_code, region.code), enterprise_filter(principal))  # type: ignore[arg-type]
    enterprises = session.execute(
        select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Enterprise.region_code, Enterprise.industry_code)
        .where(*scope)
        .order_by(Enterprise.id)
    ).all()
    start, end = _day(date_from), _day(date_to) + timedelta(days=1)
    # The region's enterprise ids as a subquery: thousands of ids are cheaper to select again than to bind.
    ids = select(Enterprise.id).where(*scope)
    # Costs are shown per enterprise only (no district or sector total): unless the page is sorted by cost or is
    # the export, only the returned rows' are summed (SQLite; on PostgreSQL they are in the one aggregate anyway).
    later = sort != "cost_yuan" and not export and session.get_bind().dialect.name != "postgresql"
    totals = enterprise_totals(session, [e.id for e in enterprises], start, end, scope=ids, costs=not later)
    failed = _quality_failed(session, ids, date_from, date_to) if enterprises else set()
    children = {r.code: r for r in session.scalars(select(Region).where(Region.parent_code == region.code))}
    paths = dict(
        session.execute(
            select(Region.code, Region.path).where(Region.code.in_({e.region_code for e in enterprises}))
        ).all()
    )
    names = sector_names()
    # Totals in plain lists (key → [name, named, enterprises, tce, tco2]); models only for what is returned.
    buckets: tuple[dict[str, list[Any]], dict[str, list[Any]]] = ({}, {})
    rows: list[tuple[Any, ...]] = []
    district_of: dict[str, tuple[str, str]] = {}
    for e in enterprises:
        tce, tco2, cost = totals.get(e.id, (None, None, None))
        if e.region_code not in district_of:
            code = next((c for c in (paths.get(e.region_code) or "").split("/") if c in children), e.region_code)
            district_of[e.region_code] = (code, children[code].name if code in children else code)
        district, name = district_of[e.region_code]
        division = e.industry_code[:3]
        for key, label, bucket in ((district, name, buckets[0]), (division, names.get(division), buckets[1])):
            total = bucket.get(key) or bucket.setdefault(key, [label or key, label is not None, 0, 0.0, 0.0])
            total[2] += 1
            total[3] += tce or 0.0
            total[4] += tco2 or 0.0
        status = "no_data" if tce is None else ("quality_failed" if e.id in failed else "ok")
        rows.append((e.credit_code, e.name, name, e.industry_code, names.get(division), tce, tco2, cost, status, e.id))
    if sort == "name":
        rows.sort(key=lambda r: r[1])
    else:
        column = {"tce": 5, "tco2": 6, "cost_yuan": 7}[sort]
        rows.sort(key=lambda r: (r[column] is None, -(r[column] or 0.0), r[1]))
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r[8]] += 1
    district_rows, sector_rows = (
        sorted(
            (TotalRow(key=k, name=v[0], named=v[1], enterprises=v[2], tce=v[3], tco2=v[4]) for k, v in b.items()),
            key=lambda t: -t.tce,
        )
        for b in buckets
    )
    first = (page - 1) * size
    shown = rows[first : first + size]
    if later and shown:
        cost_of = enterprise_costs(session, [r[9] for r in shown], start, end)
        shown = [(*r[:7], cost_of.get(r[9]), *r[8:]) for r in shown]
    return RegionDashboard(
        code=region.code,
        name=region.name,
        date_from=date_from,
        date_to=date_to,
        enterprises=len(rows),
        by_district=district_rows,
        by_sector=sector_rows,
        unnamed_sectors=sorted(t.key for t in sector_rows if not t.named),
        status_counts=dict(counts),
        page=page,
        size=size,
        rows=[EnterpriseRow(**dict(zip(_ROW_FIELDS, r[:9], strict=True))) for r in shown],
    )


_ROW_FIELDS = ("credit_code", "name", "district", "sector", "sector_name", "tce", "tco2", "cost_yuan", "status")

_PG_TOTALS = """
SELECT m.enterprise_id, sum(r.tce), sum(r.tco2), sum(c.cost_yuan)
FROM monitoring_rollup r
JOIN meter m ON m.id = r.meter_id AND m.counted AND m.kind IN ('cumulative', 'interval')
LEFT JOIN monitoring_cost c ON c.meter_id = r.meter_id AND c.interval = 'day' AND c.start = r.start
WHERE r.interval = 'day' AND r.start >= :start AND r.start < :end AND m.enterprise_id = ANY(:ids)
GROUP BY m.enterprise_id
"""

_REGION_TOTALS = (
    "SELECT m.enterprise_id, sum(d.tce), sum(d.tco2) FROM {days} d "
    "JOIN counted_meters m USING (meter_id) GROUP BY m.enterprise_id"
)


def enterprise_totals(
    session: Session,
    ids: list[int],
    start: datetime,
    end: datetime,
    *,
    scope: Select[Any] | None = None,
    costs: bool = True,
) -> Totals:
    """enterprise id → (tce, tCO₂, cost) of its counted meters over [start, end) (local days); a sum is None
    when no row has a value. Aggregated in SQL, never a query per enterprise (see the module docstring).
    ``scope``: a query of the same ids, used instead of binding them one by one (SQLite); ``costs=False``: the
    costs are left None (SQLite; :func:`enterprise_costs` sums them for a page)."""
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        result = session.execute(text(_PG_TOTALS), {"start": to_utc(start), "end": to_utc(end), "ids": ids})
        return {row[0]: (row[1], row[2], row[3]) for row in result}
    store = rollup_store_for(session)
    assert isinstance(store, ParquetRollupStore)
    within: Any = ids if scope is None else scope
    owners = session.execute(counted_meters_query(within).with_only_columns(Meter.id, Meter.enterprise_id)).all()
    meters = pa.table(
        {"meter_id": [m for m, _ in owners], "enterprise_id": [e for _, e in owners]},
        schema=pa.schema([("meter_id", pa.int32()), ("enterprise_id", pa.int64())]),
    )
    region = RegionDays(store.root)
    if region.ready():
        found = region.query(_REGION_TOTALS, start, end, {"counted_meters": meters})
        energy = {int(e): (tce, tco2) for e, tce, tco2 in found}
    else:
        energy = _day_file_totals(store, session, ids, meters, start, end)
    cost_of = _costs(session, within, start, end) if costs else {}
    return {
        e: (*energy.get(e, (None, None)), cost_of.get(e)) for e in {m for _, m in owners} if e in energy or e in cost_of
    }


def enterprise_costs(session: Session, ids: list[int], start: datetime, end: datetime) -> dict[int, float | None]:
    """enterprise id → the cost (元) of its counted meters' days in [start, end), for a few enterprises."""
    return _costs(session, ids, start, end) if ids else {}


def _costs(session: Session, within: Any, start: datetime, end: datetime) -> dict[int, float | None]:
    counted = counted_meters_query(within).with_only_columns(Meter.id).order_by(None)
    return dict(
        session.execute(
            select(Meter.enterprise_id, func.sum(MonitoringCost.cost_yuan))
            .join(Meter, Meter.id == MonitoringCost.meter_id)
            .where(
                MonitoringCost.meter_id.in_(counted),
                MonitoringCost.interval == "day",
                MonitoringCost.start >= to_utc(start),
                MonitoringCost.start < to_utc(end),
            )
            .group_by(Meter.enterprise_id)
        ).all()
    )


def _day_file_totals(
    store: ParquetRollupStore, session: Session, ids: list[int], meters: pa.Table, start: datetime, end: datetime
) -> dict[int, tuple[float | None, float | None]]:
    """The fallback before the region table is built: DuckDB over the enterprise day files (one per enterprise
    and month, :mod:`.store_rollups`) of the months overlapping [start, end)."""
    with_meters = set(meters.column("enterprise_id").to_pylist())
    codes = session.execute(select(Enterprise.id, Enterprise.credit_code).where(Enterprise.id.in_(ids))).all()
    months, cursor = [], datetime(start.year, start.month, 1)
    while cursor < end:
        months.append(f"month={cursor:%Y-%m}.parquet")
        cursor = datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    files = [
        str(path)
        for enterprise_id, code in codes
        if enterprise_id in with_meters
        for name in months
        if (path := store.rollups / f"enterprise={code}" / "interval=day" / name).exists()
    ]
    if not files:
        return {}
    con = duck()
    try:
        con.register("counted_meters", meters)
        rows = con.execute(
            "SELECT m.enterprise_id, sum(r.tce), sum(r.tco2) FROM read_parquet($files) r "
            "JOIN counted_meters m ON m.meter_id = r.meter_id "
            "WHERE r.start >= $start AND r.start < $end GROUP BY m.enterprise_id",
            {"files": files, "start": start, "end": end},
        ).fetchall()
    finally:
        con.close()
    return {int(e): (tce, tco2) for e, tce, tco2 in rows}


def _quality_failed(session: Session, ids: Select[Any], date_from: date, date_to: date) -> set[int]:
    """The enterprises (of the query ``ids``) with a meter that failed the data-quality rules on a day of the range
    (as :mod:`.service_quality` stored it): their status is ``quality_failed`` unless they have no data."""
    return set(
        session.scalars(
            select(MeterQualityDay.enterprise_id)
            .where(
                MeterQualityDay.enterprise_id.in_(ids),
                MeterQualityDay.day >= date_from,
                MeterQualityDay.day <= date_to,
                MeterQualityDay.passed.is_(False),
            )
            .group_by(MeterQualityDay.enterprise_id)
        )
    )
