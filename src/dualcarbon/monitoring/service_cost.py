"""Energy cost (能源费用) with time-of-use tariffs, persisted beside the rollups; peak/valley shares; load shift.

The cost step (:func:`refresh_costs`) runs after the rollup refresh (it calls the refresh hook
:func:`dualcarbon.monitoring.service_refresh.refresh_enterprise` first), so a cost is never computed per
request:

1. for every real meter of the enterprise whose carrier has a tariff in the enterprise's region
   (:mod:`.service_tariff`), compare each stored **day** rollup with the cost day row: its ``sig`` is a hash of
   the rollup row (energy, completeness, flags, the rollup's own sig) and of the tariff of that year. Days whose
   hash differs (new readings, a corrected meter, an imported tariff) are re-costed — nothing else;
2. cost every **hour** of those days from the stored hour rollups: ``cost = energy × unit factor × price`` of the
   band the local hour falls in (in DuckDB), and the energy per band; the days are the sums of their hours, the
   months the sums of their days (re-summed for every month a re-costed day lies in);
3. a day or month is costed only when all its hours with energy have a price; otherwise ``cost_yuan`` is null
   and ``reason`` says why (no tariff for the year, blank price, unit mismatch).

A known limit: a correction that moves energy between hours of one day but leaves the day's energy,
completeness and flags unchanged is not re-costed until the day changes again (the day row is the change
detector; reading every hour row on each refresh would cost more than the rollup read itself).

Reads: :func:`period_costs` (per meter and period, for the rollup answers), :func:`cost_summary` (an
enterprise's cost, band shares and the saving of shifting peak load to the valley, for the dashboards).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_tariff import TABLE as TARIFF_TABLE
from dualcarbon.monitoring.service_tariff import Tariff, TariffProblem, region_has_rows, tariff_for
from dualcarbon.monitoring.store_cost import day_sigs, pending_rows, read_rows, replace_rows
from dualcarbon.monitoring.store_rollups import rollup_store_for
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import defer_write, lock_key

_FAR_PAST, _FAR_FUTURE = datetime(1900, 1, 1), datetime(2200, 1, 1)
_BAND_COLUMNS = {"sharp": "energy_sharp", "peak": "energy_peak", "flat": "energy_flat", "valley": "energy_valley"}

HOUR_COST_SQL = """
SELECT h.meter_id, h.start, h.energy,
  CASE WHEN h.energy IS NULL THEN NULL ELSE h.energy * g.price END AS cost_yuan,
  CASE WHEN g.band = 'sharp' THEN h.energy END AS energy_sharp,
  CASE WHEN g.band = 'peak' THEN h.energy END AS energy_peak,
  CASE WHEN g.band = 'flat' THEN h.energy END AS energy_flat,
  CASE WHEN g.band = 'valley' THEN h.energy END AS energy_valley,
  CASE WHEN g.band IN ('sharp', 'peak') THEN h.energy * g.price END AS cost_peak_yuan,
  CASE WHEN h.energy IS NOT NULL AND g.price IS NULL THEN coalesce(y.reason, 'no price for this hour') END AS reason
FROM hours h
SEMI JOIN todo t ON t.meter_id = h.meter_id AND t.day = CAST(h.start AS DATE)
LEFT JOIN grid g ON g.meter_id = h.meter_id AND g.year = year(h.start) AND g.month = month(h.start)
  AND g.hour = hour(h.start)
LEFT JOIN years y ON y.meter_id = h.meter_id AND y.year = year(h.start)
"""


@dataclass
class CostStats:
    """What a cost refresh did: meters with a tariff, days re-costed, rows written."""

    meters: int = 0
    days: int = 0
    rows: int = 0


def meter_tariff(reference: ReferenceSet, enterprise: Enterprise, meter: Meter, year: int) -> Tariff | str:
    """The tariff of ``meter`` in ``year``, or the reason there is none (a sentence, for ``cost_reason``)."""
    try:
        tariff = tariff_for(reference, enterprise.region_code, meter.carrier, year)
        tariff.price_per(meter.unit)
    except TariffProblem as exc:
        return str(exc)
    except DualcarbonError as exc:  # the meter's unit cannot be priced in the tariff's unit
        return f"{meter.unit}: {exc}"
    return tariff


#: What an administrator does when a price is missing or unusable (shown after a Chinese reason).
TARIFF_FIX_ZH = (
    "请管理员用 dualcarbon reference import 导入带出处的分时电价/能源价格表 electricity_tariffs_tou"
    "（格式见 docs/reference-import.md）"
)


def cost_reason_zh(reason: str, carrier_zh: str, region: str, year: int) -> str:
    """The Chinese sentence for a :func:`meter_tariff` reason: carrier, region and year, and how to fix it."""
    where = f"{carrier_zh}（{region}，{year} 年）"
    if reason.startswith("no tariff for"):
        why = "没有价格数据"
    elif "no price" in reason:
        why = "价格表中的价格为空"
    elif reason.startswith(TARIFF_TABLE):
        why = "价格表不完整或有误"
    else:  # "<unit>: …" — the meter's unit cannot be priced in the tariff's unit
        why = "计量单位与价格表的单位不一致"
    return f"{where}{why}，无法计算能源费用。{TARIFF_FIX_ZH}。"


def _has_any_tariff(reference: ReferenceSet, enterprise: Enterprise, meter: Meter, years: list[int]) -> bool:
    """True when some year has a tariff for the meter's carrier in its region (usable or not: an unusable one
    still gives cost rows, with the reason)."""
    for year in years:
        found = meter_tariff(reference, enterprise, meter, year)
        if isinstance(found, Tariff) or not found.startswith("no tariff for"):
            return True
    return False


def _grid(
    reference: ReferenceSet, enterprise: Enterprise, meters: list[Meter], years: list[int]
) -> tuple[pa.Table, pa.Table, dict[tuple[int, int], str]]:
    """Price per meter unit for each (meter, year, month, hour), the reason per (meter, year) without one, and
    the tariff signature per (meter, year)."""
    cols: dict[str, list[Any]] = defaultdict(list)
    reasons: dict[str, list[Any]] = defaultdict(list)
    sigs: dict[tuple[int, int], str] = {}
    for meter in meters:
        for year in years:
            tariff = meter_tariff(reference, enterprise, meter, year)
            if isinstance(tariff, str):
                reasons["meter_id"].append(meter.id)
                reasons["year"].append(year)
                reasons["reason"].append(tariff[:200])
                sigs[(meter.id, year)] = hashlib.sha256(tariff.encode()).hexdigest()[:16]
                continue
            factor = tariff.price_per(meter.unit)
            sigs[(meter.id, year)] = tariff.signature + repr(factor)
            for month in range(1, 13):
                for hour, (band, price, _) in enumerate(tariff.grid[month - 1]):
                    for key, value in (("meter_id", meter.id), ("year", year), ("month", month), ("hour", hour)):
                        cols[key].append(value)
                    cols["band"].append(band)
                    cols["price"].append(price * factor)
    grid = pa.table(
        {
            "meter_id": pa.array(cols["meter_id"], pa.int32()),
            "year": pa.array(cols["year"], pa.int64()),
            "month": pa.array(cols["month"], pa.int64()),
            "hour": pa.array(cols["hour"], pa.int64()),
            "band": pa.array(cols["band"], pa.string()),
            "price": pa.array(cols["price"], pa.float64()),
        }
    )
    why = pa.table(
        {
            "meter_id": pa.array(reasons["meter_id"], pa.int32()),
            "year": pa.array(reasons["year"], pa.int64()),
            "reason": pa.array(reasons["reason"], pa.string()),
        }
    )
    return grid, why, sigs


def _day_sig(row: dict[str, Any], tariff_sig: str) -> str:
    text = repr((row["energy"], row["completeness"], row["flags"], row["sig"], tariff_sig))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class CostPlan:
    """What a cost refresh computed for one enterprise, before anything is written: the re-costed hour and day
    rows, the month rows summed from the stored days and the new ones (what a read sees before the write), and per
    re-costed day the stored ``sig`` it replaces (None: no row) — the write checks that one again."""

    enterprise_id: int
    stats: CostStats
    expected: dict[tuple[int, datetime], str | None]
    hours: list[dict[str, Any]]
    days: list[dict[str, Any]]
    months: list[dict[str, Any]]

    def merge(self, later: CostPlan) -> CostPlan:
        """This plan followed by ``later`` (same enterprise, same session): the later rows win, the expected sigs
        are the first ones seen (the stored ones)."""
        expected = dict(later.expected) | self.expected
        changed = set(later.expected)

        def keep(rows: list[dict[str, Any]], newer: list[dict[str, Any]], month: bool) -> list[dict[str, Any]]:
            if month:
                seen = {(r["meter_id"], r["start"]) for r in newer}
                return [r for r in rows if (r["meter_id"], r["start"]) not in seen] + newer
            old = [r for r in rows if (r["meter_id"], _day_of(r["start"])) not in changed]
            return old + newer

        stats = CostStats(later.stats.meters, len(expected), 0)
        return CostPlan(
            self.enterprise_id,
            stats,
            expected,
            keep(self.hours, later.hours, False),
            keep(self.days, later.days, False),
            keep(self.months, later.months, True),
        )


def _day_of(start: datetime) -> datetime:
    return datetime(start.year, start.month, start.day)


def refresh_costs(session: Session, enterprise: Enterprise, reference: ReferenceSet) -> CostStats:
    """Refresh the rollups of ``enterprise``, then its stored costs (module docstring). The caller has checked
    scope (or acts as the platform); the caller's transaction commits.

    The costs are computed first, with nothing written (:func:`plan_costs`), then written at once
    (:func:`write_costs`) — in ``session``, or, in the compute step of
    :func:`~dualcarbon.store.db.compute_then_write`, in its short write step (the computation then reads the new
    rows from the session, :func:`.store_cost.pending_rows`), so a computation that reaches this refresh lazily
    never takes the write lock for it."""
    plan = plan_costs(session, enterprise, reference)
    if not plan.expected:
        return plan.stats
    pending = pending_rows(session)
    key = f"monitoring_cost:{enterprise.id}"
    earlier = session.info.get(key)
    merged = earlier.merge(plan) if isinstance(earlier, CostPlan) else plan

    def write(write_session: Session) -> None:
        write_costs(write_session, merged)

    if defer_write(session, key, write):
        session.info[key] = merged
        for interval, rows in (("hour", plan.hours), ("day", plan.days), ("month", plan.months)):
            for row in rows:
                pending[(row["meter_id"], interval, row["start"])] = row
        return plan.stats
    plan.stats.rows = write_costs(session, plan).rows
    return plan.stats


def plan_costs(session: Session, enterprise: Enterprise, reference: ReferenceSet) -> CostPlan:
    """Refresh the rollups of ``enterprise`` (their own store and lock), then compute which days to re-cost and their
    rows — reading only: no cost row is written (:func:`write_costs` does)."""
    from dualcarbon.monitoring import service_refresh

    service_refresh.refresh_enterprise(session, enterprise, reference)
    stats = CostStats()
    plan = CostPlan(enterprise.id, stats, {}, [], [], [])
    meters = list(
        session.scalars(
            select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.kind != "virtual").order_by(Meter.id)
        )
    )
    meters = [m for m in meters if region_has_rows(reference, enterprise.region_code, m.carrier)]
    if not meters:
        return plan  # no tariff row can apply: nothing to read
    store = rollup_store_for(session)
    days = store.read(enterprise.credit_code, [m.id for m in meters], "day", _FAR_PAST, _FAR_FUTURE).to_pylist()
    years = sorted({row["start"].year for row in days})
    priced = [m for m in meters if years and _has_any_tariff(reference, enterprise, m, years)]
    stats.meters = len(priced)
    if not priced:
        return plan
    grid, why, tariff_sigs = _grid(reference, enterprise, priced, years)
    stored = day_sigs(session, [m.id for m in priced])
    pending = pending_rows(session)
    ids = {m.id for m in priced}
    todo: dict[tuple[int, date], str] = {}
    for row in days:
        if row["meter_id"] not in ids:
            continue
        sig = _day_sig(row, tariff_sigs[(row["meter_id"], row["start"].year)])
        key = (row["meter_id"], row["start"])
        waiting = pending.get((row["meter_id"], "day", row["start"]))
        if (waiting["sig"] if waiting is not None else stored.get(key)) != sig:
            todo[(row["meter_id"], row["start"].date())] = sig
            plan.expected[key] = stored.get(key)
    stats.days = len(todo)
    if not todo:
        return plan
    first = min(d for _, d in todo)
    last = max(d for _, d in todo)
    hours = store.read(
        enterprise.credit_code,
        sorted({m for m, _ in todo}),
        "hour",
        datetime(first.year, first.month, first.day),
        datetime(last.year, last.month, last.day) + timedelta(days=1),
    )
    keys = pa.table(
        {
            "meter_id": pa.array([m for m, _ in todo], pa.int32()),
            "day": pa.array([d for _, d in todo], pa.date32()),
        }
    )
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for name, table in (("hours", hours), ("todo", keys), ("grid", grid), ("years", why)):
            con.register(name, table)
        con.execute(f"CREATE TEMP TABLE hc AS {HOUR_COST_SQL}")
        plan.hours = con.sql("SELECT * FROM hc ORDER BY meter_id, start").to_arrow_table().to_pylist()
        plan.days = con.sql(_SUM_SQL.format(unit="day", source="hc")).to_arrow_table().to_pylist()
    finally:
        con.close()
    for row in plan.hours:
        row["sig"] = None
    for row in plan.days:
        row["sig"] = todo[(row["meter_id"], row["start"].date())]
    plan.months = _month_sums(session, plan.days)
    return plan


def write_costs(session: Session, plan: CostPlan) -> CostStats:
    """Write a :func:`plan_costs` plan in one go: only the days whose stored ``sig`` is still the one the plan saw
    (another refresh that wrote a day meanwhile wins; a day it left stale is re-costed by the next refresh), their
    hours, and the months of those days summed again from the stored days. Serialised with any other cost write of
    the enterprise (PostgreSQL: an advisory lock; SQLite: the write lock), so two refreshes at once stay whole."""
    stats = CostStats(plan.stats.meters)
    if not plan.expected:
        return stats
    lock_key(session, "monitoring_cost", str(plan.enterprise_id))
    now = day_sigs(session, sorted({m for m, _ in plan.expected}))
    kept = {key for key, sig in plan.expected.items() if now.get(key) == sig}
    if not kept:
        return stats
    stats.days = len(kept)
    stats.rows += replace_rows(session, "hour", [r for r in plan.hours if (r["meter_id"], _day_of(r["start"])) in kept])
    stats.rows += replace_rows(session, "day", [r for r in plan.days if (r["meter_id"], r["start"]) in kept])
    months: dict[int, set[datetime]] = defaultdict(set)
    for meter_id, day in kept:
        months[meter_id].add(datetime(day.year, day.month, 1))
    summed = []
    for meter_id, starts in months.items():
        first, last = min(starts), max(starts)
        end = datetime(last.year + (last.month == 12), last.month % 12 + 1, 1)
        rows = read_rows(session, [meter_id], "day", first, end)
        summed += sum_periods([r for r in rows if r["start"].replace(day=1) in starts], "month")
    stats.rows += replace_rows(session, "month", summed)
    session.flush()
    return stats


def _month_sums(session: Session, new_days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The month rows of the months ``new_days`` lie in, from the stored day rows with ``new_days`` in their place."""
    by_meter: dict[int, dict[datetime, dict[str, Any]]] = defaultdict(dict)
    for row in new_days:
        by_meter[row["meter_id"]][row["start"]] = row
    out: list[dict[str, Any]] = []
    for meter_id, new in by_meter.items():
        starts = {datetime(s.year, s.month, 1) for s in new}
        first, last = min(starts), max(starts)
        end = datetime(last.year + (last.month == 12), last.month % 12 + 1, 1)
        rows = {r["start"]: r for r in read_rows(session, [meter_id], "day", first, end)} | new
        out += sum_periods([r for s, r in rows.items() if datetime(s.year, s.month, 1) in starts], "month")
    return out


_SUMMED = ("energy", "energy_sharp", "energy_peak", "energy_flat", "energy_valley")


def sum_periods(rows: list[dict[str, Any]], unit: str) -> list[dict[str, Any]]:
    """Sum cost rows into ``unit`` ("month") periods, as ``_SUM_SQL`` does: a sum of no value is null; the costs are
    null when a member with energy had no price (its ``reason``, the smallest, is the period's)."""
    if unit != "month":
        raise ValueError(f"unsupported period: {unit}")
    groups: dict[tuple[int, datetime], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["meter_id"], datetime(row["start"].year, row["start"].month, 1))].append(row)
    out = []
    for (meter_id, start), members in sorted(groups.items()):
        reasons = [r["reason"] for r in members if r["reason"] is not None]
        item: dict[str, Any] = {"meter_id": meter_id, "start": start}
        for column in (*_SUMMED, "cost_yuan", "cost_peak_yuan"):
            values = [r[column] for r in members if r[column] is not None]
            item[column] = sum(values) if values else None
        if reasons:
            item["cost_yuan"] = item["cost_peak_yuan"] = None
        item["reason"] = min(reasons) if reasons else None
        item["sig"] = None
        out.append(item)
    return out


#: Sum periods of ``{source}`` into ``{unit}``: a sum is null when a member with energy had no price.
_SUM_SQL = """
SELECT meter_id, date_trunc('{unit}', start) AS start, sum(energy) AS energy,
  CASE WHEN count(reason) = 0 THEN sum(cost_yuan) END AS cost_yuan,
  sum(energy_sharp) AS energy_sharp, sum(energy_peak) AS energy_peak, sum(energy_flat) AS energy_flat,
  sum(energy_valley) AS energy_valley,
  CASE WHEN count(reason) = 0 THEN sum(cost_peak_yuan) END AS cost_peak_yuan,
  CAST(min(reason) AS VARCHAR) AS reason
FROM {source} GROUP BY ALL ORDER BY meter_id, start
"""


def period_costs(
    session: Session, meter: Meter, interval: str, start: datetime, end: datetime
) -> dict[datetime, dict[str, Any]]:
    """Stored cost rows of one meter for periods in [start, end), by local period start."""
    return {row["start"]: row for row in read_rows(session, [meter.id], interval, start, end)}


def load_shift_saving_yuan(
    rows: list[dict[str, Any]], tariffs: dict[tuple[int, int], tuple[Tariff, float]], shift_pct: float
) -> float | None:
    """The saving of moving ``shift_pct`` % of the energy of 尖峰 and 峰 hours to 谷 hours of the same month, at
    that month's lowest 谷 price: Σ over month rows of shift × (cost_peak − (E_sharp + E_peak) × f × p_valley),
    f converting the meter's unit to the tariff's. ``rows`` are month rows (meter_id, start, energy_sharp,
    energy_peak, cost_peak_yuan); ``tariffs`` (tariff, f) by (meter_id, year). None when no row was costed."""
    if not 0 <= shift_pct <= 100:
        raise InvalidInput("must be between 0 and 100", field="shift_pct")
    total, any_row = 0.0, False
    for row in rows:
        found = tariffs.get((row["meter_id"], row["start"].year))
        if found is None or row["cost_peak_yuan"] is None:
            continue
        tariff, factor = found
        valley = tariff.valley_price(row["start"].month)
        if valley is None:
            continue
        peak_energy = (row["energy_sharp"] or 0.0) + (row["energy_peak"] or 0.0)
        total += shift_pct / 100.0 * (row["cost_peak_yuan"] - peak_energy * factor * valley)
        any_row = True
    return total if any_row else None


def cost_lookup(
    session: Session,
    enterprise: Enterprise,
    meter: Meter,
    interval: str,
    start: datetime,
    end: datetime,
    reference: ReferenceSet,
) -> tuple[Callable[[datetime, float | None], tuple[float | None, str | None]], list[str], bool]:
    """The stored costs of one meter (after the cost step, :mod:`.service_cost`): a function giving a period's
    ``cost_yuan`` / ``cost_reason``, the tariff rows used and whether they are the DEMO tariff."""
    if meter.kind == "virtual":
        return (lambda _s, _e: (None, "virtual meter: no stored cost")), [], False
    refresh_costs(session, enterprise, reference)
    stored = period_costs(session, meter, interval, start, end)
    tariffs = {
        y: meter_tariff(reference, enterprise, meter, y)
        for y in range(start.year, (end - timedelta(seconds=1)).year + 1)
    }
    rows = sorted({r for t in tariffs.values() if not isinstance(t, str) for r in t.rows})
    demo = any(t.demo for t in tariffs.values() if not isinstance(t, str))

    def cost(period: datetime, energy: float | None) -> tuple[float | None, str | None]:
        tariff = tariffs.get(period.year)
        if isinstance(tariff, str):  # also hides rows costed with a tariff since removed
            return None, tariff
        row = stored.get(period)
        if row is not None:
            return row["cost_yuan"], row["reason"]
        return None, "no data" if energy is None else "not costed yet"

    return cost, rows, demo
