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

Rollups are computed on request by one DuckDB query (over the Parquet files directly for the embedded
store); they are not persisted yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.schemas import FactorsUsed, RollupPeriod, RollupResult
from dualcarbon.monitoring.service_factors import factors_for
from dualcarbon.monitoring.service_meters import find_meter, get_meter
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS, readings_store_for
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.registry.service_access import require_enterprise

Interval = Literal["hour", "day", "month"]
INTERVALS: tuple[str, ...] = ("hour", "day", "month")
LOCAL_ZONE = timezone(timedelta(hours=LOCAL_OFFSET_HOURS), "Asia/Shanghai")
#: How far before the range the previous reading of a cumulative meter is looked for.
LOOKBACK = timedelta(days=31)

#: Flag bits gathered per interval and OR-ed per period (one aggregate instead of one count per flag).
FLAG_RESET, FLAG_ROLLOVER, FLAG_ABOVE_RATE, FLAG_SPANS_GAP = 1, 2, 4, 8

ROLLUP_SQL = """
WITH m AS (
  SELECT meter_id, kind = 'cumulative' AS cumulative, kind = 'instant' AS instant, multiplier, counter_max,
         max_rate, interval_minutes, to_minutes(interval_minutes) AS step
  FROM meters
), r AS (
  SELECT meter_id, ts + INTERVAL {offset} HOUR AS lt, value FROM readings
), d AS (
  SELECT meter_id, lt, value, lag(value) OVER w AS pv, lag(lt) OVER w AS plt
  FROM r WINDOW w AS (PARTITION BY meter_id ORDER BY lt)
), e AS (
  SELECT d.meter_id, m.instant, m.max_rate,
    CASE WHEN m.cumulative THEN d.lt - m.step ELSE d.lt END AS slot,
    CASE WHEN NOT m.cumulative THEN CASE WHEN NOT m.instant THEN d.value END
         WHEN d.value >= d.pv THEN d.value - d.pv
         WHEN m.counter_max IS NOT NULL THEN d.value + m.counter_max - d.pv
    END * m.multiplier AS energy,
    CASE WHEN m.cumulative THEN epoch(d.lt - d.plt) / 3600.0 ELSE m.interval_minutes / 60.0 END AS hours,
    CASE WHEN m.cumulative AND d.value < d.pv
         THEN CASE WHEN m.counter_max IS NULL THEN {reset} ELSE {rollover} END ELSE 0 END
    | CASE WHEN m.cumulative AND d.lt - d.plt > m.step THEN {gap} ELSE 0 END AS bits
  FROM d JOIN m USING (meter_id)
), q AS (
  SELECT meter_id, slot, instant, bits, energy,
    coalesce(max_rate IS NOT NULL AND energy / hours > max_rate, false) AS above_rate
  FROM e WHERE slot >= $start AND slot < $end
), agg AS (
  SELECT meter_id, date_trunc('{interval}', slot) AS start,
    sum(CASE WHEN NOT above_rate THEN energy END) AS energy,
    count(CASE WHEN instant OR (energy IS NOT NULL AND NOT above_rate) THEN 1 END) AS counted,
    bit_or(bits | CASE WHEN above_rate THEN {above} ELSE 0 END) AS bits
  FROM q GROUP BY ALL
), periods AS (
  SELECT m.meter_id, m.interval_minutes, p.start
  FROM m, (SELECT unnest(range($start, $end, INTERVAL 1 {interval})) AS start) p
), joined AS (
  SELECT p.meter_id, p.start, a.energy, a.counted, a.bits,
    epoch((p.start + INTERVAL 1 {interval}) - p.start) / 60.0 / p.interval_minutes AS expected,
    f.tce_per_unit, f.tce_equal_per_unit, f.tco2_per_unit
  FROM periods p
  LEFT JOIN agg a USING (meter_id, start)
  LEFT JOIN factors f ON f.meter_id = p.meter_id AND f.year = year(p.start)
)
SELECT meter_id, start, energy,
  energy * tce_per_unit AS tce,
  energy * tce_equal_per_unit AS tce_equal,
  energy * tco2_per_unit AS tco2,
  least(1.0, coalesce(counted, 0) / expected) AS completeness,
  CASE WHEN counted >= expected AND bits = 0
        AND (energy IS NULL OR (tce_per_unit IS NOT NULL AND tce_equal_per_unit IS NOT NULL
                                AND tco2_per_unit IS NOT NULL))
  THEN []::VARCHAR[] ELSE list_filter([
    CASE WHEN counted IS NULL THEN 'no_data' END,
    CASE WHEN counted IS NOT NULL AND counted < expected THEN 'incomplete' END,
    CASE WHEN bits & {reset} <> 0 THEN 'counter_reset' END,
    CASE WHEN bits & {rollover} <> 0 THEN 'rollover' END,
    CASE WHEN bits & {above} <> 0 THEN 'rate_above_max' END,
    CASE WHEN bits & {gap} <> 0 THEN 'spans_gap' END,
    CASE WHEN energy IS NOT NULL AND tce_per_unit IS NULL THEN 'tce_unavailable' END,
    CASE WHEN energy IS NOT NULL AND tce_equal_per_unit IS NULL THEN 'tce_equal_unavailable' END,
    CASE WHEN energy IS NOT NULL AND tco2_per_unit IS NULL THEN 'tco2_unavailable' END
  ], lambda x: x IS NOT NULL) END AS flags
FROM joined ORDER BY meter_id, start
"""


def local_range(interval: str, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in naive Asia/Shanghai time for an inclusive date range (months widened to whole months)."""
    if interval not in INTERVALS:
        raise InvalidInput(f"must be one of {', '.join(INTERVALS)}", field="interval")
    if date_to < date_from:
        raise InvalidInput("must not be before 'from'", field="to")
    start = datetime(date_from.year, date_from.month, date_from.day)
    end = datetime(date_to.year, date_to.month, date_to.day) + timedelta(days=1)
    if interval == "month":
        start = start.replace(day=1)
        if end.day != 1:
            end = datetime(end.year + (end.month == 12), end.month % 12 + 1, 1)
    return start, end


def province_name(session: Session, enterprise: Enterprise) -> str | None:
    """Name of the enterprise's province (the root of its region path), for the provincial grid factor."""
    path = session.scalar(select(Region.path).where(Region.code == enterprise.region_code))
    if not path:
        return None
    return session.scalar(select(Region.name).where(Region.code == path.split("/")[0]))


def _meters_table(meters: list[Meter]) -> pa.Table:
    return pa.table(
        {
            "meter_id": pa.array([m.id for m in meters], pa.int32()),
            "kind": pa.array([m.kind for m in meters], pa.string()),
            "multiplier": pa.array([m.multiplier for m in meters], pa.float64()),
            "interval_minutes": pa.array([m.interval_minutes for m in meters], pa.int32()),
            "counter_max": pa.array([m.counter_max for m in meters], pa.float64()),
            "max_rate": pa.array([m.max_rate for m in meters], pa.float64()),
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
    ``enterprise`` (scope is the caller's business), and the factors used per (meter, year)."""
    start, end = local_range(interval, date_from, date_to)
    offset = timedelta(hours=LOCAL_OFFSET_HOURS)
    start_utc = (start - offset - LOOKBACK).replace(tzinfo=UTC)
    end_utc = (end - offset + timedelta(days=1)).replace(tzinfo=UTC)
    years = list(range(start.year, (end - timedelta(seconds=1)).year + 1))
    factors, used = _factors(meters, years, reference, province_name(session, enterprise))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("meters", _meters_table(meters))
        con.register("factors", factors)
        readings_store_for(session).register(
            con, "readings", enterprise.credit_code, [m.id for m in meters], start_utc, end_utc
        )
        sql = ROLLUP_SQL.format(
            offset=LOCAL_OFFSET_HOURS,
            interval=interval,
            reset=FLAG_RESET,
            rollover=FLAG_ROLLOVER,
            above=FLAG_ABOVE_RATE,
            gap=FLAG_SPANS_GAP,
        )
        table = con.sql(sql, params={"start": start, "end": end}).to_arrow_table()
    finally:
        con.close()
    return table, used


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
    """The rollups of one meter the caller may read (by id, or by enterprise and code)."""
    if meter_id is not None:
        meter, enterprise = get_meter(session, principal, meter_id)
    elif credit_code and meter_code:
        meter, enterprise = find_meter(session, principal, credit_code, meter_code)
    else:
        raise InvalidInput("give the meter id, or the enterprise and the meter code", field="meter")
    table, used = compute_rollups(session, enterprise, [meter], interval, date_from, date_to, reference)
    periods = [
        RollupPeriod(
            start=row["start"].replace(tzinfo=LOCAL_ZONE),
            energy=row["energy"],
            unit=meter.unit,
            tce=row["tce"],
            tce_equal=row["tce_equal"],
            tco2=row["tco2"],
            completeness=row["completeness"],
            flags=row["flags"],
        )
        for row in table.to_pylist()
    ]
    start, end = local_range(interval, date_from, date_to)
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
        reference_versions={
            k: v
            for k, v in reference.versions().items()
            if k
            in (
                "conversion_coefficients_gbt2589",
                "grid_emission_factors",
                "power_supply_coal_rate",
                "emission_factors",
                "carriers",
            )
        },
    )


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
    table, _ = compute_rollups(session, enterprise, meters, interval, date_from, date_to, reference)
    return table
