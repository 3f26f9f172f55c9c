"""Rollups: readings → interval energy → hour, day or month per meter, with tce, tCO₂, completeness, flags.

Rules (docs/monitoring.md has the contract):

* Periods are in Asia/Shanghai time (UTC+8, no daylight saving) and labelled by their start.
* ``cumulative`` meters: the energy of the interval that ends at a reading is (value − previous value) ×
  multiplier, labelled by the interval's start (reading time − interval). A drop is a **rollover** when
  ``counter_max`` is known (energy = value + counter_max − previous) and a **counter reset** otherwise: the
  interval's energy is unknown and is left out (flag ``counter_reset``), never negative, never zero-filled.
  When the previous reading is more than one interval back, the whole difference lands in the last interval
  (flag ``spans_gap``); nothing is interpolated.
* ``interval`` meters: the value × multiplier is the energy of the interval starting at the reading.
  ``instant`` meters give no energy (completeness counts their readings).
* An interval whose rate (energy per hour) exceeds ``max_rate`` is held out of the sum (flag ``rate_above_max``).
* ``completeness`` = counted intervals / expected intervals (period length ÷ meter interval), at most 1.
* tce, tce_equal, tco2 = energy × the per-unit factors of the period's year (:mod:`.service_factors`).

Public functions (stable names; other subjects and the quality / Spark work call them):

* :func:`meter_rollups` — one meter's :class:`RollupResult` (the CLI / API contract), from the stored rollups.
* :func:`rollups_of` — Arrow rows (meter_id, start, energy, tce, tce_equal, tco2, completeness, flags) of some
  meters of one enterprise, from the stored rollups after refreshing what is dirty (virtual meters from their
  members); :func:`enterprise_rollups` — the same for every meter of an enterprise the caller may read.
* :func:`compute_rollups` — the same rows computed now from the readings (no store involved): the reference
  the stored rollups are checked against, and the SQL (:mod:`.rollup_sql`) the refresh writes with.
* :func:`local_range`, :func:`province_name`, :func:`reference_versions` — helpers.
* Storing and refreshing: :func:`dualcarbon.monitoring.service_refresh.refresh_rollups` (``dualcarbon rollups
  refresh``; run by the ingest path after every batch); the stores: :mod:`.store_rollups`.
* Above single meters: :mod:`.service_tree` (unit / site / enterprise / region totals), :mod:`.service_virtual`,
  :mod:`.service_balance`, :mod:`.service_prefill`.

A stored period reads back exactly as computed (the same SQL over the same readings), with one range effect
that both share: the previous reading of a cumulative meter is looked for at most :data:`LOOKBACK` before the
computed range — the refresh computes whole months, a request may start mid-month; they can differ only when a
meter was silent for more than 31 days.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.rollup_sql import (
    AGG_SQL,
    FLAGS_LIST,
    GRID_PERIODS,
    JOIN_SUMS,
    LEVELS_SQL,
    READING_DAY_BITS,
    SLOTS_SQL,
    hour_sums,
    meter_params,
    slot_filter,
)

# The flag bits, re-exported (service_spark reads them from here).
from dualcarbon.monitoring.rollup_sql import FLAG_ABOVE_RATE as FLAG_ABOVE_RATE
from dualcarbon.monitoring.rollup_sql import FLAG_RESET as FLAG_RESET
from dualcarbon.monitoring.rollup_sql import FLAG_ROLLOVER as FLAG_ROLLOVER
from dualcarbon.monitoring.rollup_sql import FLAG_SPANS_GAP as FLAG_SPANS_GAP
from dualcarbon.monitoring.schemas import FactorsUsed, RollupPeriod, RollupResult
from dualcarbon.monitoring.service_factors import factors_for
from dualcarbon.monitoring.service_meters import find_meter, get_meter
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS, duck, readings_store_for
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.registry.service_access import require_enterprise

Interval = Literal["hour", "day", "month"]
INTERVALS: tuple[str, ...] = ("hour", "day", "month")
INTERVAL_ZH: dict[str, str] = {"hour": "小时", "day": "日", "month": "月"}
LOCAL_ZONE = timezone(timedelta(hours=LOCAL_OFFSET_HOURS), "Asia/Shanghai")
#: Reference tables whose versions the rollup figures depend on (named in answers, hashed into ``sig``).
ROLLUP_TABLES: tuple[str, ...] = (
    "conversion_coefficients_gbt2589",
    "grid_emission_factors",
    "power_supply_coal_rate",
    "emission_factors",
    "carriers",
)
#: The flag of a period whose stored energy (or a figure derived from it) is not a finite number.
FLAG_NOT_FINITE = "not_finite"
#: How far before the range the previous reading of a cumulative meter is looked for.
LOOKBACK = timedelta(days=31)
#: The days a read may ask for: the years the readings store takes (:data:`.service_ingest.TS_MIN_UTC` …
#: ``TS_END_UTC``, 1900–2199). Outside them there is nothing to read, and near year 1 or 9999 the period bounds
#: (a month end, the look-back) cannot even be represented as dates — a request for 9999-12-31 answered 500.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
#: The longest range (days) of one read per interval (a bound on the answer, not a rule): hours of more than three
#: years (26,304 rows a meter, about 6 MB of JSON) or days of more than ten years (as the balance) are an export,
#: not one request — read them a year at a time. Months may span the whole readable range (3,600 rows).
MAX_DAYS: dict[str, int] = {"hour": 1096, "day": 3660, "month": (LAST_DAY - FIRST_DAY).days + 1}


def check_days(date_from: date, date_to: date, *, from_field: str = "from", to_field: str = "to") -> None:
    """InvalidInput (422, zh + en, naming the field) when a day is outside :data:`FIRST_DAY` … :data:`LAST_DAY`
    or ``date_to`` is before ``date_from``."""
    for field, day in ((from_field, date_from), (to_field, date_to)):
        if not FIRST_DAY <= day <= LAST_DAY:
            zh = f"日期 {day} 超出可查询的范围（{FIRST_DAY} 至 {LAST_DAY}）"
            en = f"{day} is outside the days that can be read ({FIRST_DAY} to {LAST_DAY})"
            raise InvalidInput(zh_en(zh, en), field=field, zh=zh)
    if date_to < date_from:
        zh = "结束日期不能早于开始日期"
        raise InvalidInput(zh_en(zh, f"must not be before '{from_field}'"), field=to_field, zh=zh)


def local_range(interval: str, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in naive Asia/Shanghai time for an inclusive date range (months widened to whole months)."""
    if interval not in INTERVALS:
        zh = f"时间粒度只能是 {'、'.join(INTERVALS)} 之一"
        raise InvalidInput(zh_en(zh, f"must be one of {', '.join(INTERVALS)}"), field="interval", zh=zh)
    check_days(date_from, date_to)
    start = datetime(date_from.year, date_from.month, date_from.day)
    end = datetime(date_to.year, date_to.month, date_to.day) + timedelta(days=1)
    if interval == "month":
        start = start.replace(day=1)
        if end.day != 1:
            end = datetime(end.year + (end.month == 12), end.month % 12 + 1, 1)
    return start, end


def check_range(interval: str, date_from: date, date_to: date) -> None:
    """:func:`local_range`'s checks plus the longest range of one read (:data:`MAX_DAYS`): for the requests of
    people and programs (API, CLI, pages), not for the bulk paths that compute years at a time."""
    local_range(interval, date_from, date_to)
    days = (date_to - date_from).days + 1
    if days > MAX_DAYS[interval]:
        longest = MAX_DAYS[interval]
        zh = f"按{INTERVAL_ZH[interval]}一次最多查询 {longest} 天（所给范围为 {days} 天）"
        en = f"at most {longest} days at a time for interval {interval} ({days} days given)"
        raise InvalidInput(zh_en(zh, en), field="to", zh=zh)


def province_name(session: Session, enterprise: Enterprise) -> str | None:
    """Name of the enterprise's province (the root of its region path), for the provincial grid factor."""
    path = session.scalar(select(Region.path).where(Region.code == enterprise.region_code))
    if not path:
        return None
    return session.scalar(select(Region.name).where(Region.code == path.split("/")[0]))


def _meters_table(meters: list[Meter], sigs: dict[int, str] | None = None) -> pa.Table:
    """The meter attributes the SQL reads; ``sigs`` (the refresh) adds each meter's signature."""
    return pa.table(
        {
            "meter_id": pa.array([m.id for m in meters], pa.int32()),
            "kind": pa.array([m.kind for m in meters], pa.string()),
            "multiplier": pa.array([m.multiplier for m in meters], pa.float64()),
            "interval_minutes": pa.array([m.interval_minutes for m in meters], pa.int32()),
            "counter_max": pa.array([m.counter_max for m in meters], pa.float64()),
            "max_rate": pa.array([m.max_rate for m in meters], pa.float64()),
            "sig": pa.array([(sigs or {}).get(m.id, "") for m in meters], pa.string()),
        }
    )


def _factors(
    meters: list[Meter], years: list[int], reference: ReferenceSet, province: str | None
) -> tuple[pa.Table, dict[tuple[int, int], FactorsUsed]]:
    used = {(m.id, y): factors_for(reference, m.carrier, m.unit, y, province) for m in meters for y in years}
    table = pa.table(
        {
            "meter_id": pa.array([k[0] for k in used], pa.int32()),
            "year": pa.array([k[1] for k in used], pa.int64()),
            "tce_per_unit": pa.array([f.tce_per_unit for f in used.values()], pa.float64()),
            "tce_equal_per_unit": pa.array([f.tce_equal_per_unit for f in used.values()], pa.float64()),
            "tco2_per_unit": pa.array([f.tco2_per_unit for f in used.values()], pa.float64()),
        }
    )
    return table, used


def _sql_params() -> dict[str, int]:
    return {
        "offset": LOCAL_OFFSET_HOURS,
        "reset": FLAG_RESET,
        "rollover": FLAG_ROLLOVER,
        "above": FLAG_ABOVE_RATE,
        "gap": FLAG_SPANS_GAP,
    }


def _years(start: datetime, end: datetime) -> list[int]:
    return list(range(start.year, (end - timedelta(seconds=1)).year + 1))


def _connect_slots(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    start: datetime,
    end: datetime,
    factors: pa.Table,
    sigs: dict[int, str] | None = None,
    *,
    reading_days: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding ``meters``, ``factors``, the slots view ``q`` of [start, end) and the period
    sums ``agg_hour``, ``agg_day``, ``agg_month`` (:data:`LEVELS_SQL`; ``reading_days``: their ``bits`` also say
    the days of the readings, :data:`.rollup_sql.READING_DAY_BITS`)."""
    offset = timedelta(hours=LOCAL_OFFSET_HOURS)
    start_utc = (start - offset - LOOKBACK).replace(tzinfo=UTC)
    end_utc = (end - offset + timedelta(days=1)).replace(tzinfo=UTC)
    con = duck()
    try:
        con.register("meters", _meters_table(meters, sigs))
        con.register("factors", factors)
        readings_store_for(session).register(
            con, "readings", enterprise.credit_code, [m.id for m in meters], start_utc, end_utc
        )
        params = meter_params(meters)
        day_bits = READING_DAY_BITS.format(**params) if reading_days else ""
        con.execute(SLOTS_SQL.format(**_sql_params(), **params, slot_filter=slot_filter(start, end), day_bits=day_bits))
        con.execute(LEVELS_SQL.format(hour_sums=hour_sums(params, FLAG_ABOVE_RATE)))
    except BaseException:
        con.close()
        raise
    return con


def _aggregate(con: duckdb.DuckDBPyConnection, interval: str, start: datetime, end: datetime) -> pa.Table:
    joined = JOIN_SUMS.format(interval=interval, periods=GRID_PERIODS.format(interval=interval))
    sql = AGG_SQL.format(joined=joined, extra="", **_sql_params())
    return con.sql(
        f"SELECT meter_id, start, energy, tce, tce_equal, tco2, completeness, {FLAGS_LIST} AS flags "
        f"FROM ({sql}) ORDER BY meter_id, start",
        params={"start": start, "end": end},
    ).to_arrow_table()


def compute_rollups(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    interval: str,
    date_from: date,
    date_to: date,
    reference: ReferenceSet,
) -> tuple[pa.Table, dict[tuple[int, int], FactorsUsed]]:
    """Rollup rows (meter_id, start, energy, tce, tce_equal, tco2, completeness, flags) of ``meters``, all of
    ``enterprise`` (scope is the caller's business), computed now from the readings, and the factors used per
    (meter, year). The stored rollups are written from this same SQL (:mod:`.service_refresh`)."""
    start, end = local_range(interval, date_from, date_to)
    factors, used = _factors(meters, _years(start, end), reference, province_name(session, enterprise))
    con = _connect_slots(session, enterprise, meters, start, end, factors)
    try:
        table = _aggregate(con, interval, start, end)
    finally:
        con.close()
    return table, used


def rollups_of(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    interval: str,
    date_from: date,
    date_to: date,
    reference: ReferenceSet,
) -> tuple[pa.Table, dict[tuple[int, int], FactorsUsed]]:
    """Like :func:`compute_rollups`, but read from the stored rollups after refreshing what is dirty; virtual
    meters are computed from their members (:mod:`.service_virtual`). Same rows, same values."""
    from dualcarbon.monitoring import service_refresh, service_virtual

    start, end = local_range(interval, date_from, date_to)
    real = [m for m in meters if m.kind != "virtual"]
    virtual = [m for m in meters if m.kind == "virtual"]
    _, used = _factors(meters, _years(start, end), reference, province_name(session, enterprise))
    parts = []
    if real:
        service_refresh.refresh_enterprise(session, enterprise, reference)
        parts.append(service_refresh.read_stored(session, enterprise, real, interval, start, end))
    for meter in virtual:
        parts.append(service_virtual.virtual_rollups(session, enterprise, meter, interval, start, end, reference))
    if not parts:
        return compute_rollups(session, enterprise, meters, interval, date_from, date_to, reference)
    return pa.concat_tables(parts).sort_by([("meter_id", "ascending"), ("start", "ascending")]), used


def meter_rollups(
    session: Session,
    principal: Principal,
    interval: str,
    date_from: date,
    date_to: date,
    reference: ReferenceSet,
    *,
    meter_id: int | None = None,
    credit_code: str | None = None,
    meter_code: str | None = None,
) -> RollupResult:
    """The rollups of one meter the caller may read (by id, or by enterprise and code), from the stored
    rollups (refreshed first)."""
    if meter_id is not None:
        meter, enterprise = get_meter(session, principal, meter_id)
    elif credit_code and meter_code:
        meter, enterprise = find_meter(session, principal, credit_code, meter_code)
    else:
        zh = "请给出表计编号，或企业统一社会信用代码和表号"
        raise InvalidInput(zh_en(zh, "give the meter id, or the enterprise and the meter code"), field="meter", zh=zh)
    check_range(interval, date_from, date_to)
    table, used = rollups_of(session, enterprise, [meter], interval, date_from, date_to, reference)
    start, end = local_range(interval, date_from, date_to)
    from dualcarbon.monitoring.service_cost import cost_lookup  # the cost step runs after the rollup refresh

    costs, tariff_rows, tariff_demo = cost_lookup(session, enterprise, meter, interval, start, end, reference)
    periods = [_period(row, meter.unit) for row in table.to_pylist()]
    for period in periods:
        period.cost_yuan, period.cost_reason = costs(period.start.replace(tzinfo=None), period.energy)
    return RollupResult(
        meter_id=meter.id,
        meter=meter.code,
        credit_code=enterprise.credit_code,
        carrier=meter.carrier,
        interval=interval,
        start=start.date(),
        to=(end - timedelta(days=1)).date(),
        periods=periods,
        factors=[f for (_, _), f in sorted(used.items())],
        reference_versions=reference_versions(reference),
        tariff_rows=tariff_rows,
        tariff_demo=tariff_demo,
    )


def _period(row: dict[str, Any], unit: str) -> RollupPeriod:
    """One period of :func:`meter_rollups`. A figure that is not a finite number (an infinite energy stored
    before ingestion bounded the values) is answered as null with the flag :data:`FLAG_NOT_FINITE`, the same
    in the API and the CLI's JSON and CSV — never ``Infinity``/``NaN``, which are not JSON."""
    figures = {k: row[k] for k in ("energy", "tce", "tce_equal", "tco2")}
    flags = list(row["flags"])
    if any(v is not None and not math.isfinite(v) for v in figures.values()):
        figures = dict.fromkeys(figures)  # all derive from the energy: none of them is a number
        flags.append(FLAG_NOT_FINITE)
    return RollupPeriod(
        start=row["start"].replace(tzinfo=LOCAL_ZONE),
        unit=unit,
        completeness=row["completeness"],
        flags=flags,
        **figures,
    )


def finite_tree(result: dict[str, Any]) -> dict[str, Any]:
    """A scope total of :func:`.service_tree.tree_rollups` (``carriers[].periods``, ``total.periods``) with every
    period whose figures are not all finite numbers (a sum over a stored infinite energy) answered as in
    :func:`_period`: its figures null, flagged :data:`FLAG_NOT_FINITE`. Changes ``result`` in place, returns it."""
    periods = [p for group in result.get("carriers", []) for p in group["periods"]]
    periods += result.get("total", {}).get("periods", [])
    for period in periods:
        keys = [k for k in ("energy", "tce", "tce_equal", "tco2", "cost_yuan") if k in period]
        if any(isinstance(period[k], float) and not math.isfinite(period[k]) for k in keys):
            period |= dict.fromkeys(keys)
            period["flags"] = [*period["flags"], FLAG_NOT_FINITE]
    return result


def reference_versions(reference: ReferenceSet) -> dict[str, str]:
    """Versions of the reference tables the rollup figures depend on."""
    return {k: v for k, v in reference.versions().items() if k in ROLLUP_TABLES}


def enterprise_rollups(
    session: Session,
    principal: Principal,
    credit_code: str,
    interval: str,
    date_from: date,
    date_to: date,
    reference: ReferenceSet,
) -> pa.Table:
    """Rollup rows of every meter of an enterprise the caller may read, as an Arrow table (bulk use)."""
    enterprise = require_enterprise(session, principal, credit_code)
    meters = list(session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id).order_by(Meter.id)))
    table, _ = rollups_of(session, enterprise, meters, interval, date_from, date_to, reference)
    return table
