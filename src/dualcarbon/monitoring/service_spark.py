"""The rollup and quality job on PySpark over the Parquet lake (optional extra ``scale``; issue #8 §6).

Same rules as the single-machine rollups (:mod:`dualcarbon.monitoring.service_rollups`, docs/monitoring.md),
written as Spark SQL so that the nightly job of a whole country runs on a cluster:

* readings come from the lake ``<data dir>/monitoring/readings/enterprise=<cc>/month=<YYYY-MM>/*.parquet``
  (only the month partitions the range needs are listed); meters and their per-unit factors come from a small
  register exported from the database by :func:`export_register` (``meters.parquet``, ``factors.parquet``);
* interval energy: cumulative counters by difference × multiplier (rollover by ``counter_max``, reset flagged
  and left out, a reading more than one interval after the previous one flagged ``spans_gap``), interval meters
  value × multiplier, instant meters none; an interval above ``max_rate`` per hour is held out;
* hour, day and month energy, tce (当量值), tce_equal (等价值), tCO₂, completeness (counted / expected intervals)
  and flags for every period of the range, labelled by its start in Asia/Shanghai time;
* the quality completeness check per real-time data item and day, as :mod:`.service_quality` counts it:
  received = values labelled with the day (Shanghai date), at most expected = 1440 / interval minutes;
  passed when received × 100 ≥ threshold % × expected (the threshold is the caller's; the command reads the
  platform rule PR-004). Day and month statistic items are left to the single-machine quality service.

Like the single-machine path, the previous reading of a cumulative counter is looked for up to
``LOOKBACK`` before the range; hour and day use the range as given, month the range widened to whole months,
each with its own look-back window, so both paths see the same readings.

Times are handled as integer microseconds (UTC instants + 8 h = Shanghai wall-clock) so that no Spark or JVM
time-zone setting can shift a period. pyspark is imported only inside :func:`run_spark_rollups`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_factors import factors_for
from dualcarbon.monitoring.service_rollups import (
    FLAG_ABOVE_RATE,
    FLAG_RESET,
    FLAG_ROLLOVER,
    FLAG_SPANS_GAP,
    LOOKBACK,
    local_range,
    province_name,
)
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MICROS_PER_MINUTE = 60_000_000
OFFSET_MICROS = LOCAL_OFFSET_HOURS * 60 * MICROS_PER_MINUTE
OUTPUTS: tuple[str, ...] = ("intervals", "hour", "day", "month", "quality")

# Real-time items' values per Shanghai day against the expected count (as service_quality counts them).
QUALITY_SQL = """
WITH v AS (
  SELECT meter_id, CAST(timestamp_micros(unix_micros(CAST(ts AS TIMESTAMP)) + {offset}) AS DATE) AS day
  FROM readings_of_days
), agg AS (
  SELECT meter_id, day, count(*) AS value_count FROM v GROUP BY meter_id, day
), grid AS (
  SELECT m.meter_id, m.credit_code, m.meter_code, d.day, CAST(1440 DIV m.interval_minutes AS INT) AS expected
  FROM meters_spark m CROSS JOIN days_spark d WHERE m.statistic_type = 'realtime'
)
SELECT g.meter_id, g.credit_code, g.meter_code, g.day, g.expected,
  CAST(least(coalesce(a.value_count, 0), g.expected) AS INT) AS received,
  least(coalesce(a.value_count, 0), g.expected) / g.expected AS completeness,
  least(coalesce(a.value_count, 0), g.expected) * 100 >= {pct}D * g.expected AS passed
FROM grid g LEFT JOIN agg a ON a.meter_id = g.meter_id AND a.day = g.day
"""
INSTALL_HINT = (
    "the Spark path needs the optional extra 'scale' (pyspark) and a Java runtime: "
    "`uv sync --extra scale` and e.g. `apt-get install default-jre-headless`"
)

# One row per reading of the window → one row per interval (its start `slot`, in local microseconds).
INTERVALS_SQL = """
WITH r AS (
  SELECT meter_id, unix_micros(CAST(ts AS TIMESTAMP)) + {offset} AS lt, value FROM readings_in_window
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
    CASE WHEN m.cumulative THEN CAST(d.lt - d.plt AS DOUBLE) / 3600000000D
         ELSE CAST(m.interval_minutes AS DOUBLE) / 60D END AS hours,
    CASE WHEN m.cumulative AND d.value < d.pv
         THEN CASE WHEN m.counter_max IS NULL THEN {reset} ELSE {rollover} END ELSE 0 END
    | CASE WHEN m.cumulative AND d.lt - d.plt > m.step THEN {gap} ELSE 0 END AS bits
  FROM d JOIN meters_spark m ON d.meter_id = m.meter_id
)
SELECT meter_id, slot, instant, bits, energy,
  coalesce(max_rate IS NOT NULL AND energy / hours > max_rate, false) AS above_rate
FROM e WHERE slot >= {start} AND slot < {end}
"""

# Intervals → periods of one kind (bucket expression), every period of the range listed, factors joined.
PERIODS_SQL = """
WITH agg AS (
  SELECT meter_id, {bucket} AS start_us,
    sum(CASE WHEN NOT above_rate THEN energy END) AS energy,
    count(CASE WHEN instant OR (energy IS NOT NULL AND NOT above_rate) THEN 1 END) AS counted,
    bit_or(bits | CASE WHEN above_rate THEN {above} ELSE 0 END) AS bits
  FROM {intervals} GROUP BY meter_id, {bucket}
), joined AS (
  SELECT m.meter_id, m.credit_code, m.meter_code, m.unit, p.start_us, p.year, a.energy, a.counted, a.bits,
    p.minutes / m.interval_minutes AS expected, f.tce_per_unit, f.tce_equal_per_unit, f.tco2_per_unit
  FROM meters_spark m CROSS JOIN {periods} p
  LEFT JOIN agg a ON a.meter_id = m.meter_id AND a.start_us = p.start_us
  LEFT JOIN factors_spark f ON f.meter_id = m.meter_id AND f.year = p.year
)
SELECT meter_id, credit_code, meter_code,
  CAST(timestamp_micros(start_us) AS TIMESTAMP_NTZ) AS start, energy, unit,
  energy * tce_per_unit AS tce, energy * tce_equal_per_unit AS tce_equal, energy * tco2_per_unit AS tco2,
  least(1D, coalesce(counted, 0) / expected) AS completeness, coalesce(counted, 0) AS counted, expected,
  filter(array(
    CASE WHEN counted IS NULL THEN 'no_data' END,
    CASE WHEN counted IS NOT NULL AND counted < expected THEN 'incomplete' END,
    CASE WHEN bits & {reset} <> 0 THEN 'counter_reset' END,
    CASE WHEN bits & {rollover} <> 0 THEN 'rollover' END,
    CASE WHEN bits & {above} <> 0 THEN 'rate_above_max' END,
    CASE WHEN bits & {gap} <> 0 THEN 'spans_gap' END,
    CASE WHEN energy IS NOT NULL AND tce_per_unit IS NULL THEN 'tce_unavailable' END,
    CASE WHEN energy IS NOT NULL AND tce_equal_per_unit IS NULL THEN 'tce_equal_unavailable' END,
    CASE WHEN energy IS NOT NULL AND tco2_per_unit IS NULL THEN 'tco2_unavailable' END
  ), x -> x IS NOT NULL) AS flags
FROM joined
"""

_BUCKETS = {
    "hour": "slot - pmod(slot, 3600000000)",
    "day": "slot - pmod(slot, 86400000000)",
    "month": "unix_micros(date_trunc('MONTH', timestamp_micros(slot)))",
}


@dataclass
class SparkRollupSummary:
    """What a run did: counts per output, the threshold used, and the seconds spent in Spark."""

    date_from: date
    date_to: date
    meters: int
    readings: int
    rows: dict[str, int] = field(default_factory=dict)
    quality_passed: int = 0
    quality_failed: int = 0
    completeness_min_pct: float = 0.0
    seconds: float = 0.0
    out: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "meters": self.meters,
            "readings": self.readings,
            "rows": self.rows,
            "quality": {
                "passed": self.quality_passed,
                "failed": self.quality_failed,
                "completeness_min_pct": self.completeness_min_pct,
            },
            "seconds": round(self.seconds, 3),
            "out": self.out,
        }


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch of a naive wall-clock time (Shanghai wall-clock, as the job counts)."""
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def covering_range(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in Shanghai wall-clock of the widest rollup (month, widened to whole months)."""
    return local_range("month", date_from, date_to)


def export_register(
    session: Session,
    principal: Principal,
    reference: ReferenceSet,
    date_from: date,
    date_to: date,
    out_dir: Path,
) -> int:
    """Write ``meters.parquet`` and ``factors.parquet`` (per meter and year of the range) into ``out_dir``
    for the meters of every enterprise the principal may read; returns the number of meters."""
    rows = session.execute(
        select(Meter, Enterprise)
        .join(Enterprise, Enterprise.id == Meter.enterprise_id)
        .where(enterprise_filter(principal))
        .order_by(Meter.id)
    ).all()
    start, end = covering_range(date_from, date_to)
    years = range(start.year, (end - timedelta(seconds=1)).year + 1)
    provinces: dict[int, str | None] = {}
    factor_rows: list[tuple[int, int, float | None, float | None, float | None]] = []
    for meter, enterprise in rows:
        if enterprise.id not in provinces:
            provinces[enterprise.id] = province_name(session, enterprise)
        for year in years:
            used = factors_for(reference, meter.carrier, meter.unit, year, provinces[enterprise.id])
            factor_rows.append((meter.id, year, used.tce_per_unit, used.tce_equal_per_unit, used.tco2_per_unit))
    meters = pa.table(
        {
            "meter_id": pa.array([m.id for m, _ in rows], pa.int32()),
            "credit_code": pa.array([e.credit_code for _, e in rows], pa.string()),
            "meter_code": pa.array([m.code for m, _ in rows], pa.string()),
            "carrier": pa.array([m.carrier for m, _ in rows], pa.string()),
            "unit": pa.array([m.unit for m, _ in rows], pa.string()),
            "kind": pa.array([m.kind for m, _ in rows], pa.string()),
            "statistic_type": pa.array([m.statistic_type for m, _ in rows], pa.string()),
            "multiplier": pa.array([m.multiplier for m, _ in rows], pa.float64()),
            "interval_minutes": pa.array([m.interval_minutes for m, _ in rows], pa.int32()),
            "counter_max": pa.array([m.counter_max for m, _ in rows], pa.float64()),
            "max_rate": pa.array([m.max_rate for m, _ in rows], pa.float64()),
        }
    )
    factors = pa.table(
        {
            "meter_id": pa.array([r[0] for r in factor_rows], pa.int32()),
            "year": pa.array([r[1] for r in factor_rows], pa.int32()),
            "tce_per_unit": pa.array([r[2] for r in factor_rows], pa.float64()),
            "tce_equal_per_unit": pa.array([r[3] for r in factor_rows], pa.float64()),
            "tco2_per_unit": pa.array([r[4] for r in factor_rows], pa.float64()),
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(meters, out_dir / "meters.parquet")
    pq.write_table(factors, out_dir / "factors.parquet")
    return len(rows)


def spark_session(master: str = "local[2]", shuffle_partitions: int = 4) -> SparkSession:
    """A Spark session for the job (UTC session time zone, no UI); clear error without the extra."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInput(INSTALL_HINT, field="scale") from None
    return (
        SparkSession.builder.master(master)
        .appName("dualcarbon-rollups")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .getOrCreate()
    )


def _months(start: datetime, end: datetime) -> list[str]:
    """Month partition names (Shanghai months) from ``start`` to ``end`` (exclusive)."""
    months, cursor = [], datetime(start.year, start.month, 1)
    while cursor < end:
        months.append(f"{cursor:%Y-%m}")
        cursor = datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return months


def _periods(spark: SparkSession, interval: str, start: datetime, end: datetime) -> DataFrame:
    """(start_us, year, minutes) of every period of ``interval`` in [start, end), Shanghai wall-clock."""
    rows, cursor = [], start
    while cursor < end:
        if interval == "hour":
            following = cursor + timedelta(hours=1)
        elif interval == "day":
            following = cursor + timedelta(days=1)
        else:
            following = datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        rows.append((_micros(cursor), cursor.year, (following - cursor) / timedelta(minutes=1)))
        cursor = following
    return spark.createDataFrame(rows, "start_us long, year int, minutes double")


def _intervals(spark: SparkSession, readings: DataFrame, start: datetime, end: datetime) -> DataFrame:
    """Interval rows of the range [start, end) with the single-machine look-back window."""
    from pyspark.sql import functions as fn

    window_start = _micros(start - LOOKBACK) - OFFSET_MICROS
    window_end = _micros(end + timedelta(days=1)) - OFFSET_MICROS
    micros = fn.unix_micros(fn.col("ts").cast("timestamp"))
    readings.where((micros >= window_start) & (micros < window_end)).createOrReplaceTempView("readings_in_window")
    sql = INTERVALS_SQL.format(
        offset=OFFSET_MICROS,
        start=_micros(start),
        end=_micros(end),
        reset=FLAG_RESET,
        rollover=FLAG_ROLLOVER,
        gap=FLAG_SPANS_GAP,
    )
    return spark.sql(sql).persist()


def _quality(spark: SparkSession, readings: DataFrame, start: datetime, end: datetime, pct: float, out: Path) -> None:
    """Write the completeness check of every real-time item and day of [start, end) to ``out``."""
    from pyspark.sql import functions as fn

    micros = fn.unix_micros(fn.col("ts").cast("timestamp"))
    readings.where(
        (micros >= _micros(start) - OFFSET_MICROS) & (micros < _micros(end) - OFFSET_MICROS)
    ).createOrReplaceTempView("readings_of_days")
    days = [(start + timedelta(days=i)).date() for i in range((end - start).days)]
    spark.createDataFrame([(d,) for d in days], "day date").createOrReplaceTempView("days_spark")
    spark.sql(QUALITY_SQL.format(offset=OFFSET_MICROS, pct=float(pct))).write.mode("overwrite").parquet(str(out))


def run_spark_rollups(
    data_dir: Path,
    register_dir: Path,
    date_from: date,
    date_to: date,
    out_dir: Path,
    completeness_min_pct: float,
    *,
    spark: SparkSession | None = None,
) -> SparkRollupSummary:
    """Run the job over the lake of ``data_dir`` and write ``intervals``, ``hour``, ``day``, ``month`` and
    ``quality`` Parquet datasets under ``out_dir`` (overwritten). ``register_dir`` holds the export of
    :func:`export_register`."""
    if not 0 <= completeness_min_pct <= 100:
        raise InvalidInput("must be a percentage between 0 and 100", field="completeness_min_pct")
    lake = data_dir / "monitoring" / "readings"
    if not lake.is_dir():
        raise InvalidInput(f"no Parquet readings lake at {lake} (the Spark path reads the embedded store)")
    day_start, day_end = local_range("day", date_from, date_to)
    month_start, month_end = covering_range(date_from, date_to)
    own_session = spark is None
    session = spark or spark_session()
    began = time.perf_counter()
    try:
        from pyspark.sql import functions as fn

        meters = session.read.parquet(str(register_dir / "meters.parquet")).select(
            "*",
            (fn.col("kind") == "cumulative").alias("cumulative"),
            (fn.col("kind") == "instant").alias("instant"),
            (fn.col("interval_minutes").cast("long") * MICROS_PER_MINUTE).alias("step"),
        )
        fn.broadcast(meters).createOrReplaceTempView("meters_spark")
        session.read.parquet(str(register_dir / "factors.parquet")).createOrReplaceTempView("factors_spark")
        months = _months(month_start - LOOKBACK, month_end + timedelta(days=1))
        readings = (
            session.read.option("basePath", str(lake))
            .parquet(str(lake))
            .where(fn.col("month").isin(months))
            .select("meter_id", "ts", "value")
        )
        summary = SparkRollupSummary(date_from, date_to, meters.count(), 0, completeness_min_pct=completeness_min_pct)
        by_range: dict[tuple[datetime, datetime], DataFrame] = {}
        for interval in ("hour", "day", "month"):
            start, end = (month_start, month_end) if interval == "month" else (day_start, day_end)
            if (start, end) not in by_range:
                by_range[(start, end)] = _intervals(session, readings, start, end)
            view = f"intervals_{interval}"
            by_range[(start, end)].createOrReplaceTempView(view)
            _periods(session, interval, start, end).createOrReplaceTempView(f"periods_{interval}")
            sql = PERIODS_SQL.format(
                bucket=_BUCKETS[interval],
                intervals=view,
                periods=f"periods_{interval}",
                reset=FLAG_RESET,
                rollover=FLAG_ROLLOVER,
                above=FLAG_ABOVE_RATE,
                gap=FLAG_SPANS_GAP,
            )
            session.sql(sql).write.mode("overwrite").parquet(str(out_dir / interval))
            summary.rows[interval] = session.read.parquet(str(out_dir / interval)).count()
        _quality(session, readings, day_start, day_end, completeness_min_pct, out_dir / "quality")
        counts: dict[bool, int] = dict(
            session.read.parquet(str(out_dir / "quality")).groupBy("passed").count().collect()
        )
        summary.quality_passed, summary.quality_failed = counts.get(True, 0), counts.get(False, 0)
        day_intervals = by_range[(day_start, day_end)]
        day_intervals.select(
            "meter_id",
            fn.expr("CAST(timestamp_micros(slot) AS TIMESTAMP_NTZ)").alias("start"),
            "energy",
            "above_rate",
            "bits",
        ).write.mode("overwrite").parquet(str(out_dir / "intervals"))
        summary.rows["intervals"] = session.read.parquet(str(out_dir / "intervals")).count()
        micros = fn.unix_micros(fn.col("ts").cast("timestamp"))
        window = (micros >= _micros(month_start - LOOKBACK) - OFFSET_MICROS) & (
            micros < _micros(month_end) - OFFSET_MICROS
        )
        summary.readings = readings.where(window).join(meters.select("meter_id"), "meter_id").count()
        summary.seconds = time.perf_counter() - began
        summary.out = str(out_dir)
        return summary
    finally:
        if own_session:
            session.stop()
