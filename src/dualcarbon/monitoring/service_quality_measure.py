"""The counting half of data quality (:mod:`.service_quality`): the rules' thresholds (:class:`QualityRules`) and
the one DuckDB query that counts, per meter and Asia/Shanghai day, the values received, timely and flagged, the
statistic value and the last reading (:func:`measure`). The rules themselves are described in
:mod:`.service_quality`, which turns these counts into results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.monitoring.models import Meter, ReadingConflict
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS, readings_store_for
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.base import utcnow

LOOKBACK = timedelta(days=31)
SUB_INDICES = ("completeness", "accuracy", "timeliness", "validity")
_OFFSET = timedelta(hours=LOCAL_OFFSET_HOURS)


@dataclass(frozen=True)
class QualityRules:
    """The thresholds of the quality rules, read from ``platform_rules``."""

    completeness_min_pct: float
    consistency_tolerance_pct: float
    day_tolerance_min: float
    month_tolerance_day: float
    realtime_tolerance_min: float
    stale_intervals: float
    weights: dict[str, float]
    arrival_deadline_hours: float = 24.0

    @classmethod
    def of(cls, reference: ReferenceSet) -> QualityRules:
        def rule(key: str) -> float:
            return reference.platform_rule(f"quality_{key}").value

        return cls(
            rule("completeness_min_pct"),
            rule("consistency_tolerance_pct"),
            rule("day_time_tolerance_min"),
            rule("month_time_tolerance_day"),
            rule("realtime_time_tolerance_min"),
            rule("stale_intervals"),
            {name: rule(f"weight_{name}") for name in SUB_INDICES},
            rule("arrival_deadline_hours"),
        )


QUALITY_SQL = """
WITH m AS (SELECT * FROM meters),
r AS (
  SELECT r.meter_id, r.ts + INTERVAL {offset} HOUR AS lt, r.value, c.meter_id IS NOT NULL AS conflicted
  FROM readings r LEFT JOIN conflicts c ON c.meter_id = r.meter_id AND c.ts = r.ts
), d AS (
  SELECT *, lag(value) OVER w AS pv, lag(lt) OVER w AS plt FROM r WINDOW w AS (PARTITION BY meter_id ORDER BY lt)
), v AS (
  SELECT d.meter_id, d.lt, d.value,
    CASE m.statistic_type
      WHEN 'realtime' THEN CAST(d.lt AS DATE)
      WHEN 'day' THEN CAST(d.lt + to_seconds($day_tol_s) AS DATE)
      ELSE CAST(date_trunc('month', d.lt + to_seconds($month_tol_s)) AS DATE)
    END AS day,
    CASE m.statistic_type
      WHEN 'realtime' THEN least(epoch(d.lt - date_trunc('day', d.lt)) % (m.interval_minutes * 60),
                                 m.interval_minutes * 60
                                   - epoch(d.lt - date_trunc('day', d.lt)) % (m.interval_minutes * 60)) <= $rt_tol_s
      WHEN 'day' THEN abs(epoch(d.lt - date_trunc('day', d.lt + to_seconds($day_tol_s)))) <= $day_tol_s
      ELSE abs(epoch(d.lt - date_trunc('month', d.lt + to_seconds($month_tol_s)))) <= $month_tol_s
    END AS timely,
    d.conflicted
      OR (m.kind = 'cumulative' AND d.value < d.pv)
      OR coalesce(m.max_rate < CASE
           WHEN m.kind = 'cumulative' AND d.value >= d.pv
             THEN (d.value - d.pv) * m.multiplier / (epoch(d.lt - d.plt) / 3600.0)
           WHEN m.kind = 'interval' THEN d.value * m.multiplier / (m.interval_minutes / 60.0)
         END, false) AS flagged
  FROM d JOIN m USING (meter_id)
), agg AS (
  SELECT meter_id, day, count(*) AS value_count, count(*) FILTER (WHERE timely) AS timely,
    count(*) FILTER (WHERE flagged) AS flagged, arg_min(value, abs(epoch(lt - CAST(day AS TIMESTAMP)))) AS stat_value
  FROM v GROUP BY ALL
), days AS (
  SELECT CAST(unnest(range($start, $end, INTERVAL 1 DAY)) AS DATE) AS day
), grid AS (
  SELECT m.meter_id, days.day, m.statistic_type, m.interval_minutes,
    CASE m.statistic_type WHEN 'realtime' THEN 1440 // m.interval_minutes ELSE 1 END AS expected,
    least(CAST(days.day AS TIMESTAMP) + INTERVAL 1 DAY, $now) AS cutoff
  FROM m, days WHERE (m.statistic_type <> 'month' OR dayofmonth(days.day) = 1) AND CAST(days.day AS TIMESTAMP) < $now
), last AS (
  SELECT g.meter_id, g.day, r.lt AS last_lt FROM grid g ASOF LEFT JOIN r ON g.meter_id = r.meter_id AND g.cutoff > r.lt
)
SELECT g.meter_id, g.day, g.statistic_type, g.expected,
  coalesce(a.value_count, 0) AS value_count, coalesce(a.timely, 0) AS timely, coalesce(a.flagged, 0) AS flagged,
  a.stat_value, l.last_lt,
  g.statistic_type = 'realtime'
    AND (l.last_lt IS NULL OR epoch(g.cutoff - l.last_lt) > $stale * g.interval_minutes * 60) AS stale
FROM grid g LEFT JOIN agg a USING (meter_id, day) LEFT JOIN last l USING (meter_id, day)
ORDER BY g.meter_id, g.day
"""


def local_now() -> datetime:
    """Now as a naive Asia/Shanghai time (UTC+8, no daylight saving)."""
    return (utcnow().astimezone(UTC) + _OFFSET).replace(tzinfo=None)


def _meter_table(meters: list[Meter]) -> pa.Table:
    return pa.table(
        {
            "meter_id": pa.array([m.id for m in meters], pa.int32()),
            "kind": pa.array([m.kind for m in meters], pa.string()),
            "statistic_type": pa.array([m.statistic_type for m in meters], pa.string()),
            "interval_minutes": pa.array([m.interval_minutes for m in meters], pa.int32()),
            "multiplier": pa.array([m.multiplier for m in meters], pa.float64()),
            "max_rate": pa.array([m.max_rate for m in meters], pa.float64()),
        }
    )


def _conflict_table(session: Session, meter_ids: list[int], start_utc: datetime, end_utc: datetime) -> pa.Table:
    rows = session.execute(
        select(ReadingConflict.meter_id, ReadingConflict.ts)
        .where(ReadingConflict.meter_id.in_(meter_ids), ReadingConflict.ts >= start_utc, ReadingConflict.ts < end_utc)
        .distinct()
    ).all()
    return pa.table(
        {
            "meter_id": pa.array([r[0] for r in rows], pa.int32()),
            "ts": pa.array([r[1].astimezone(UTC).replace(tzinfo=None) for r in rows], pa.timestamp("us")),
        }
    )


def measure(
    session: Session, enterprise: Enterprise, meters: list[Meter], first: date, last: date, rules: QualityRules
) -> list[dict[str, Any]]:
    """One row per (meter, day) of [first, last] with the counts of the quality rules (one DuckDB query)."""
    start = datetime(first.year, first.month, first.day)
    end = datetime(last.year, last.month, last.day) + timedelta(days=1)
    start_utc = (start - _OFFSET - LOOKBACK).replace(tzinfo=UTC)
    end_utc = (end - _OFFSET + timedelta(days=rules.month_tolerance_day + 1)).replace(tzinfo=UTC)
    ids = [m.id for m in meters]
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("meters", _meter_table(meters))
        con.register("conflicts", _conflict_table(session, ids, start_utc, end_utc))
        readings_store_for(session).register(con, "readings", enterprise.credit_code, ids, start_utc, end_utc)
        params = {
            "start": start,
            "end": end,
            "now": local_now(),
            "day_tol_s": round(rules.day_tolerance_min * 60),
            "month_tol_s": round(rules.month_tolerance_day * 86400),
            "rt_tol_s": round(rules.realtime_tolerance_min * 60),
            "stale": rules.stale_intervals,
        }
        table = con.sql(QUALITY_SQL.format(offset=LOCAL_OFFSET_HOURS), params=params).to_arrow_table()
    finally:
        con.close()
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows
