"""Incremental refresh of the stored rollups: only the (meter, day) periods new readings touch, and their months.

``refresh_rollups(session, reference, credit_code=None)`` — called by ``dualcarbon rollups refresh``, by every
rollup read (so an answer never lags the readings) and by the ingest path after every batch — does, per
enterprise, under the rollup store's lock (:mod:`.store_rollups`):

1. take the dirty set: (meter, Asia/Shanghai day) of readings not rolled up yet; add the days whose stored
   rows were computed from another meter definition or reference version (``sig`` differs);
2. turn it into the days whose periods the new readings change: the slots of the readings between the first and
   last new one of a dirty (meter, day) — for a cumulative meter the interval that *ends* at a reading, which may
   lie in the day before, so the days of the first's and the last's slot — and, for a cumulative meter, the slot
   of the first stored reading after the last new one (its difference is now taken from a new reading);
3. recompute with the same SQL as :func:`.service_rollups.compute_rollups`, one pass per run of consecutive
   months: the hour and day periods of the touched days, the month periods of their months — nothing else;
4. replace those rows in the store and forget the dirty set, in the same transaction (PostgreSQL) or after the
   files are renamed into place (Parquet).

A first refresh on the Parquet store (nothing rolled up yet, every reading new) does steps 1–3 in one pass
(:func:`_first_refresh`): the pass's slots give the touched days, no separate scan. The rows are written from
DuckDB without an Arrow round trip (``RollupStore.replace_query``).

The answer counts the periods recomputed per interval (the incremental tests and the benchmark count them).

``compact_readings(session, principal, …)`` (``dualcarbon store compact-readings``; the live simulator) merges the
small readings files of a month partition (Parquet store only) under the rollups' lock: only files the rollups
have seen are merged and the merged file is recorded as seen, so compaction recomputes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, PermissionDenied
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.rollup_sql import (
    AGG_HOUR_SQL,
    AGG_SQL,
    JOIN_SUMS,
    KEYED_HOURS,
    KEYED_HOURS_SEMI,
    KEYED_KEYS,
    KEYED_PERIODS,
    KEYED_SIG,
    KEYED_START,
    READING_DAYS_SQL,
    SLOTS_END,
    SLOTS_FIRST,
    hour_params,
    meter_params,
)
from dualcarbon.monitoring.service_rollups import (
    ROLLUP_TABLES,
    _connect_slots,
    _factors,
    _meters_table,
    _sql_params,
    _years,
    province_name,
)
from dualcarbon.monitoring.store_readings import (
    COMPACT_MIN_FILES,
    LOCAL_OFFSET_HOURS,
    ParquetReadingsStore,
    duck,
    readings_store_for,
)
from dualcarbon.monitoring.store_rollups import DAYS_SCHEMA, RollupStore, rollup_store_for
from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.audit import append_audit

TOUCHED_SQL = """
WITH m AS (SELECT meter_id, kind = 'cumulative' AS cumulative, to_minutes(interval_minutes) AS step FROM meters),
d AS (
  SELECT d.meter_id, m.cumulative, m.step,
    d.first_ts + INTERVAL {offset} HOUR AS f, d.last_ts + INTERVAL {offset} HOUR AS l
  FROM dirty d JOIN m USING (meter_id)
), r AS (
  SELECT meter_id, ts + INTERVAL {offset} HOUR AS lt FROM readings
), nx AS (
  SELECT d.meter_id, d.step, r.lt AS nlt FROM (SELECT * FROM d WHERE cumulative) d
  ASOF JOIN r ON d.meter_id = r.meter_id AND r.lt > d.l
)
SELECT DISTINCT meter_id, day FROM (
  SELECT meter_id, CAST(CASE WHEN cumulative THEN f - step ELSE f END AS DATE) AS day FROM d
  UNION ALL SELECT meter_id, CAST(CASE WHEN cumulative THEN l - step ELSE l END AS DATE) FROM d
  UNION ALL SELECT meter_id, CAST(nlt - step AS DATE) FROM nx
)
"""


@dataclass
class RefreshStats:
    """What a refresh did: enterprises refreshed, dirty (meter, day) pairs taken, periods recomputed."""

    enterprises: int = 0
    dirty: int = 0
    periods: dict[str, int] = field(default_factory=lambda: {"hour": 0, "day": 0, "month": 0})


def meter_signature(meter: Meter, province: str | None, reference: ReferenceSet) -> str:
    """Hash of everything a meter's rollup numbers depend on besides its readings."""
    versions = reference.versions()
    parts = [
        meter.kind,
        repr(float(meter.multiplier)),
        str(meter.interval_minutes),
        repr(meter.counter_max),
        repr(meter.max_rate),
        meter.carrier,
        meter.unit,
        province or "",
        *(f"{t}={versions.get(t, '')}" for t in ROLLUP_TABLES),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def refresh_rollups(session: Session, reference: ReferenceSet, *, credit_code: str | None = None) -> RefreshStats:
    """Bring the stored rollups up to date (one enterprise, or all); see the module docstring."""
    query = select(Enterprise).order_by(Enterprise.id)
    if credit_code is not None:
        query = query.where(Enterprise.credit_code == credit_code.strip().upper())
    stats = RefreshStats()
    for enterprise in session.scalars(query):
        refresh_enterprise(session, enterprise, reference, stats)
    return stats


def enterprises_with_meters(session: Session, *, credit_code: str | None = None) -> list[Enterprise]:
    """The enterprises that have at least one meter (one, or all), in id order."""
    query = select(Enterprise).where(select(Meter.id).where(Meter.enterprise_id == Enterprise.id).exists())
    if credit_code is not None:
        query = query.where(Enterprise.credit_code == credit_code.strip().upper())
    return list(session.scalars(query.order_by(Enterprise.id)))


def _real_meters(session: Session, enterprise: Enterprise) -> list[Meter]:
    query = select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.kind != "virtual").order_by(Meter.id)
    return list(session.scalars(query))


def refresh_enterprise(
    session: Session, enterprise: Enterprise, reference: ReferenceSet, stats: RefreshStats | None = None
) -> RefreshStats:
    """Refresh one enterprise's stored rollups (the caller has checked scope, or acts as the platform)."""
    stats = stats or RefreshStats()
    meters = _real_meters(session, enterprise)
    stats.enterprises += 1
    if not meters:
        return stats
    province = province_name(session, enterprise)
    sigs = {m.id: meter_signature(m, province, reference) for m in meters}
    store = rollup_store_for(session)
    code = enterprise.credit_code
    stale = _stale_days(session, enterprise, sigs)
    if not stale.num_rows and not store.has_pending(code, list(sigs)):
        return stats  # nothing to do: no lock taken (rollup reads do not queue behind one another)
    with store.locked():
        # Nothing rolled up yet: a first refresh, in one pass.
        if isinstance(store, ParquetRollupStore) and not store.seen(code) and (new_files := store.new_files(code)):
            _first_refresh(session, enterprise, meters, stale, reference, sigs, stats)
            store.done(code, new_files)
            return stats
        dirty, token = store.pending(code, list(sigs))
        stats.dirty += dirty.num_rows
        touched = _touched(session, enterprise, meters, dirty) if dirty.num_rows else _empty(DAYS_SCHEMA)
        days: dict[int, set[date]] = {}
        for table in (touched, stale):
            for meter_id, day in zip(
                table.column("meter_id").to_pylist(), table.column("day").to_pylist(), strict=True
            ):
                days.setdefault(meter_id, set()).add(day)
        if days:
            _recompute(session, enterprise, [m for m in meters if m.id in days], days, reference, sigs, stats)
        store.done(code, token)
    return stats


def _first_refresh(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    stale: pa.Table,
    reference: ReferenceSet,
    sigs: dict[int, str],
    stats: RefreshStats,
) -> None:
    """A first refresh (Parquet, nothing rolled up yet; every reading is new): one pass over all readings gives
    the hour, day and month sums, and the touched days of step 2 are the days of its slots (a reading's slot lies
    in the reading's day or the day before, and step 2 takes the days of the first and last slot of each dirty
    day) — no separate scan for the dirty set. When those days (and the stale ones) form one run of months, this
    pass is that run's pass and is written at once; otherwise the runs are recomputed one by one as usual."""
    province = province_name(session, enterprise)
    factors, _ = _factors([], [], reference, province)
    # The range of every slot a stored reading can have: no slot filter, and the bits say the reading days.
    con = _connect_slots(session, enterprise, meters, SLOTS_FIRST, SLOTS_END, factors, sigs, reading_days=True)
    try:
        ((counted,),) = con.execute(READING_DAYS_SQL).fetchall()
        stats.dirty += int(counted)
        con.register("stale_in", stale)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE day_keys AS SELECT DISTINCT meter_id, day FROM ("
            "SELECT meter_id, CAST(start AS DATE) AS day FROM agg_day UNION ALL SELECT meter_id, day FROM stale_in)"
        )
        months = con.execute("SELECT DISTINCT year(day), month(day) FROM day_keys").fetchall()
        runs = _month_runs([(int(y), int(m)) for y, m in months])
        if len(runs) == 1:
            start, end = runs[0]
            in_run = {int(i) for (i,) in con.execute("SELECT DISTINCT meter_id FROM day_keys").fetchall()}
            run_meters = [m for m in meters if m.id in in_run]
            factors, _ = _factors(run_meters, _years(start, end), reference, province)
            con.register("factors", factors)
            hours = _hour_params(run_meters, _years(start, end), factors)
            _write_periods(con, rollup_store_for(session), enterprise.credit_code, stats, hours, every_day=True)
            return
        days: dict[int, set[date]] = {}
        for meter_id, day in con.execute("SELECT meter_id, day FROM day_keys").fetchall():
            days.setdefault(int(meter_id), set()).add(day)
    finally:
        con.close()
    if days:
        _recompute(session, enterprise, [m for m in meters if m.id in days], days, reference, sigs, stats)


def _keyed_periods(interval: str, keys: str) -> str:
    return KEYED_PERIODS.format(start=KEYED_START[interval], keys=keys, sig=KEYED_SIG[interval], interval=interval)


def _hour_params(meters: list[Meter], years: list[int], factors: pa.Table) -> dict[str, str]:
    """:func:`.rollup_sql.hour_params` of a pass over ``meters`` (every meter of ``agg_hour``) in ``years``."""
    rows = zip(*(factors.column(c).to_pylist() for c in factors.column_names), strict=True)
    return hour_params(meter_params(meters), [m.id for m in meters], years, list(rows))


def _write_periods(
    con: duckdb.DuckDBPyConnection,
    store: RollupStore,
    code: str,
    stats: RefreshStats,
    hours: dict[str, str],
    *,
    every_day: bool,
) -> None:
    """Store the hour, day and month periods of ``day_keys`` from the sums on ``con`` (``hours``: the literals or
    joins of the hour rows, :func:`_hour_params`; ``every_day``: every day of ``agg_hour`` is a key, so its rows
    need no semi-join with the keys)."""
    for interval in ("hour", "day", "month"):
        if interval == "hour":
            joined = KEYED_HOURS.format(
                days="" if every_day else KEYED_HOURS_SEMI, gap_periods=_keyed_periods("hour", "gap_days"), **hours
            )
        else:
            joined = JOIN_SUMS.format(interval=interval, periods=_keyed_periods(interval, KEYED_KEYS[interval]))
        if interval == "hour":  # the stored hour layout (store_rollups.HOUR_COLUMNS)
            sql = AGG_HOUR_SQL.format(joined=joined, **_sql_params())
        else:
            sql = AGG_SQL.format(joined=joined, extra=", sig", **_sql_params())
        stats.periods[interval] += store.replace_query(con, code, interval, sql)


def _stale_days(session: Session, enterprise: Enterprise, sigs: dict[int, str]) -> pa.Table:
    return rollup_store_for(session).stale_days(enterprise.credit_code, sigs)


def _empty(schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches([], schema=schema)  # (Schema.empty_table imports pandas: seconds)


def _touched(session: Session, enterprise: Enterprise, meters: list[Meter], dirty: pa.Table) -> pa.Table:
    """The days whose periods the dirty readings change (module docstring, step 2; ``nx``: the slot of the first
    stored reading after the last new one of a cumulative meter, whose difference changes)."""
    start_utc = min(dirty.column("first_ts").to_pylist()).replace(tzinfo=UTC)
    end_utc = max(dirty.column("last_ts").to_pylist()).replace(tzinfo=UTC) + timedelta(days=33)
    ids = sorted(set(dirty.column("meter_id").to_pylist()))
    con = duck()
    try:
        con.register("meters", _meters_table([m for m in meters if m.id in set(ids)]))
        con.register("dirty", dirty)
        readings_store_for(session).register(con, "readings", enterprise.credit_code, ids, start_utc, end_utc)
        return con.sql(TOUCHED_SQL.format(offset=LOCAL_OFFSET_HOURS)).to_arrow_table().cast(DAYS_SCHEMA)
    finally:
        con.close()


def _month_runs(months: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    """[start, end) of each run of consecutive months."""
    runs: list[tuple[datetime, datetime]] = []
    for year, month in sorted(months):
        first = datetime(year, month, 1)
        following = datetime(year + (month == 12), month % 12 + 1, 1)
        if runs and runs[-1][1] == first:
            runs[-1] = (runs[-1][0], following)
        else:
            runs.append((first, following))
    return runs


def _recompute(
    session: Session,
    enterprise: Enterprise,
    meters: list[Meter],
    days: dict[int, set[date]],
    reference: ReferenceSet,
    sigs: dict[int, str],
    stats: RefreshStats,
) -> None:
    store = rollup_store_for(session)
    province = province_name(session, enterprise)
    months = {(d.year, d.month) for ds in days.values() for d in ds}
    for start, end in _month_runs(list(months)):
        keys = {m.id: sorted(d for d in days[m.id] if start.date() <= d < end.date()) for m in meters}
        in_run = [m for m in meters if keys[m.id]]
        if not in_run:
            continue
        day_keys = pa.table(
            {
                "meter_id": pa.array([m.id for m in in_run for _ in keys[m.id]], pa.int32()),
                "day": pa.array([d for m in in_run for d in keys[m.id]], pa.date32()),
            }
        )
        factors, _ = _factors(in_run, _years(start, end), reference, province)
        con = _connect_slots(session, enterprise, in_run, start, end, factors, sigs)
        try:
            con.register("day_keys", day_keys)
            hours = _hour_params(in_run, _years(start, end), factors)
            _write_periods(con, store, enterprise.credit_code, stats, hours, every_day=False)
        finally:
            con.close()


def read_stored(
    session: Session, enterprise: Enterprise, meters: list[Meter], interval: str, start: datetime, end: datetime
) -> pa.Table:
    """Every period of [start, end) for ``meters`` from the stored rollups; a period never stored had no data
    (its day was never touched by a reading) and reads as ``no_data`` — exactly what the SQL gives it."""
    stored = rollup_store_for(session).read(enterprise.credit_code, [m.id for m in meters], interval, start, end)
    con = duck()
    try:
        con.register("stored", stored)
        con.register("meters", _meters_table(meters))
        return con.sql(
            f"""
            SELECT p.meter_id, p.start, s.energy, s.tce, s.tce_equal, s.tco2,
              coalesce(s.completeness, 0.0) AS completeness,
              CASE WHEN s.meter_id IS NULL THEN ['no_data']
                   WHEN s.flags = '' THEN []::VARCHAR[] ELSE string_split(s.flags, '|') END AS flags
            FROM (SELECT meter_id, unnest(range($start, $end, INTERVAL 1 {interval})) AS start FROM meters) p
            LEFT JOIN stored s USING (meter_id, start)
            ORDER BY p.meter_id, p.start
            """,
            params={"start": start, "end": end},
        ).to_arrow_table()
    finally:
        con.close()


@dataclass
class CompactStats:
    """What a compaction did: enterprises looked at, month partitions merged, files before and after, rows."""

    store: str = "parquet"
    enterprises: int = 0
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0


def compact_readings(
    session: Session,
    principal: Principal,
    *,
    credit_code: str | None = None,
    month: str | None = None,
    min_files: int = COMPACT_MIN_FILES,
    reference: ReferenceSet | None = None,
) -> CompactStats:
    """Merge each month partition with more than ``min_files`` files into one sorted file (Parquet store; a no-op
    on PostgreSQL). With ``reference`` the enterprise's rollups are refreshed first, so every file is seen and
    can be merged. Platform maintenance: administrators only; one audit row per enterprise compacted."""
    if not principal.is_admin:
        raise PermissionDenied("compacting the readings store needs the administrator role")
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InvalidInput("must be a month YYYY-MM", field="month")
    if min_files < 1:
        raise InvalidInput("must be at least 1", field="min_files")
    readings, rollups = readings_store_for(session), rollup_store_for(session)
    if not isinstance(readings, ParquetReadingsStore) or not isinstance(rollups, ParquetRollupStore):
        return CompactStats(store="postgresql")  # one table partitioned by month: nothing to merge
    query = select(Enterprise).order_by(Enterprise.id)
    if credit_code is not None:
        query = query.where(Enterprise.credit_code == credit_code.strip().upper())
    enterprises = list(session.scalars(query))
    if credit_code is not None and not enterprises:
        raise NotFound(f"no enterprise {credit_code}")
    stats = CompactStats()
    for enterprise in enterprises:
        code = enterprise.credit_code
        stats.enterprises += 1
        if reference is not None:
            refresh_enterprise(session, enterprise, reference)
        with rollups.locked():  # the refresh lock first, then the readings lock (the refresh's own order)
            done = readings.compact(code, None if month is None else [month], min_files, rollups.seen(code))
            rollups.record_compaction(code, done)
        if not done:
            continue
        stats.partitions += len(done)
        stats.files_before += sum(len(c.sources) for c in done)
        stats.files_after += len(done)
        stats.rows += sum(c.rows for c in done)
        append_audit(
            session,
            principal.username,
            "readings.compact",
            "enterprise",
            code,
            after={"months": [c.month for c in done], "files": sum(len(c.sources) for c in done)},
        )
    return stats
