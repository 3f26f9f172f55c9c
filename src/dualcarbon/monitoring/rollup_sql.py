"""The DuckDB SQL of the rollups (:mod:`.service_rollups` computes with it, :mod:`.service_refresh` stores with it).

One pass over the readings: ``q`` (:data:`SLOTS_SQL`, a view) turns readings into interval slots with their energy
and flag bits; :data:`LEVELS_SQL` sums slots to hours, hours to days and days to months (``agg_hour``,
``agg_day``, ``agg_month``); :data:`AGG_SQL` lays one interval's sums onto its periods — every period of a range
(:data:`GRID_PERIODS`, on request) or the periods of some (meter, day) keys (:data:`KEYED_PERIODS`, the refresh;
for hours :data:`KEYED_HOURS`, which starts from the sums and adds only the missing hours) — with tce, tCO₂,
completeness and the flags joined by ``|`` (:data:`AGG_HOUR_SQL`, the stored hours: the factors and the flags
as bits instead, :data:`PERIOD_FLAGS`). Both paths sum the same way, so a stored period equals the computed one
to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

#: Flag bits gathered per interval and OR-ed per period (one aggregate instead of one count per flag).
FLAG_RESET, FLAG_ROLLOVER, FLAG_ABOVE_RATE, FLAG_SPANS_GAP = 1, 2, 4, 8
#: The bits above that are flags (``bits & FLAG_MASK``); the bits beyond are bookkeeping (:data:`READING_DAY_BITS`).
FLAG_MASK = FLAG_RESET | FLAG_ROLLOVER | FLAG_ABOVE_RATE | FLAG_SPANS_GAP
#: Which Asia/Shanghai day the reading behind a slot lies in, OR-ed into ``bits`` by a first refresh
#: (:data:`READING_DAY_BITS`): the slot's own day, or the day after (a cumulative meter's last slot of a day ends
#: at the next midnight: its reading is the next day's).
READ_SAME_DAY, READ_NEXT_DAY = 16, 32

#: The slots view ``q`` of [start, end) (a view: one streaming pass feeds the hour level; no 3.5 M-row copy).
#: The meter attributes are ``{cumulative}``, ``{instant}``, ``{multiplier}``, ``{counter_max}``, ``{max_rate}``,
#: ``{interval_minutes}``, ``{step_us}`` (the interval in µs): columns of ``m`` (joined by ``{join}``), or
#: literals when every meter of the pass has the same value (:func:`meter_params`), which DuckDB folds away — same
#: numbers, less work.
#: ``{slot_filter}`` keeps the slots of [start, end) (:func:`slot_filter`: nothing to filter when the range holds
#: every slot a stored reading can have); ``{day_bits}``: '' or :data:`READING_DAY_BITS`. Times move by whole
#: microseconds (``make_timestamp(epoch_us(t) ± µs)``, the same instants as ``t ± INTERVAL``): 3.5 M readings pass
#: here, and the interval arithmetic cost about a twentieth of the pass.
SLOTS_SQL = """
CREATE OR REPLACE TEMP VIEW q AS
WITH m AS (
  SELECT meter_id, kind = 'cumulative' AS cumulative, kind = 'instant' AS instant, multiplier, counter_max,
         max_rate, interval_minutes
  FROM meters
), r AS (
  SELECT meter_id, make_timestamp(epoch_us(ts) + {offset} * 3600000000) AS lt, value FROM readings
), d AS (
  SELECT meter_id, lt, value, lag(value) OVER w AS pv, lag(lt) OVER w AS plt
  FROM r WINDOW w AS (PARTITION BY meter_id ORDER BY lt)
), e AS (
  SELECT d.meter_id, {instant} AS instant, {max_rate} AS max_rate,
    CASE WHEN {cumulative} THEN make_timestamp(epoch_us(d.lt) - {step_us}) ELSE d.lt END AS slot,
    CASE WHEN NOT {cumulative} THEN CASE WHEN NOT {instant} THEN d.value END
         WHEN d.value >= d.pv THEN d.value - d.pv
         WHEN {counter_max} IS NOT NULL THEN d.value + {counter_max} - d.pv
    END * {multiplier} AS energy,
    CASE WHEN {cumulative} THEN epoch(d.lt - d.plt) / 3600.0 ELSE {interval_minutes} / 60.0 END AS hours,
    CASE WHEN {cumulative} AND d.value < d.pv
         THEN CASE WHEN {counter_max} IS NULL THEN {reset} ELSE {rollover} END ELSE 0 END
    | CASE WHEN {cumulative} AND d.plt < make_timestamp(epoch_us(d.lt) - {step_us}) THEN {gap} ELSE 0 END{day_bits}
    AS bits
  FROM d{join}
)
SELECT meter_id, slot, instant, bits, energy,
  coalesce(max_rate IS NOT NULL AND energy / hours > max_rate, false) AS above_rate
FROM e{slot_filter}
"""

#: ``{day_bits}`` of :data:`SLOTS_SQL` for a first refresh: the day of each slot's reading as a bit
#: (:data:`READ_SAME_DAY`, :data:`READ_NEXT_DAY`), so that the number of (meter, reading day) pairs comes from the
#: day rows' ``bits`` (:data:`READING_DAYS_SQL`) — no other aggregate over the slots. A reading is its slot's end
#: for a cumulative meter (``lt``, slot ``lt - step``), its slot's start otherwise.
READING_DAY_BITS = f"""
    | CASE WHEN {{cumulative}} AND date_trunc('day', d.lt) > make_timestamp(epoch_us(d.lt) - {{step_us}})
           THEN {READ_NEXT_DAY} ELSE {READ_SAME_DAY} END"""

#: Every slot a stored reading can have lies in [SLOTS_FIRST, SLOTS_END) (naive Asia/Shanghai): readings are kept
#: within [1900-01-01, 2200-01-01) UTC (``service_ingest.TS_MIN_UTC``, ``TS_END_UTC``; +8 h local) and a
#: cumulative meter's slot starts at most one interval (at most a day: ``interval_divides_day``) before its reading.
SLOTS_FIRST, SLOTS_END = datetime(1899, 12, 31), datetime(2200, 1, 2)


def slot_filter(start: datetime, end: datetime) -> str:
    """``{slot_filter}`` of :data:`SLOTS_SQL` for [start, end) (naive Asia/Shanghai): '' when the range holds
    [:data:`SLOTS_FIRST`, :data:`SLOTS_END`) — a first refresh, where filtering 3.5 M slots that all pass cost a
    twentieth of the pass."""
    if start <= SLOTS_FIRST and end >= SLOTS_END:
        return ""
    bounds = f"TIMESTAMP '{start.isoformat(sep=' ')}' AND slot < TIMESTAMP '{end.isoformat(sep=' ')}'"
    return f" WHERE slot >= {bounds}"


#: The meter attributes of :data:`SLOTS_SQL`: name → (SQL type, value of a meter).
_ATTRIBUTES: dict[str, tuple[str, Callable[[Any], object]]] = {
    "cumulative": ("BOOLEAN", lambda m: m.kind == "cumulative"),
    "instant": ("BOOLEAN", lambda m: m.kind == "instant"),
    "multiplier": ("DOUBLE", lambda m: float(m.multiplier)),
    "counter_max": ("DOUBLE", lambda m: None if m.counter_max is None else float(m.counter_max)),
    "max_rate": ("DOUBLE", lambda m: None if m.max_rate is None else float(m.max_rate)),
    "interval_minutes": ("INTEGER", lambda m: int(m.interval_minutes)),
}


def meter_params(meters: Sequence[Any]) -> dict[str, str]:
    """The attribute placeholders of :data:`SLOTS_SQL` for ``meters``: a literal where all share the value."""
    params: dict[str, str] = {}
    for name, (sql_type, value_of) in _ATTRIBUTES.items():
        values = {value_of(m) for m in meters}
        if len(values) == 1:
            (value,) = values
            if value is None or isinstance(value, bool):
                literal = str(value).upper().replace("NONE", "NULL")
            else:  # a double through its shortest repr as text: parsed back to the same bits
                literal = f"'{value!r}'"
            params[name] = f"CAST({literal} AS {sql_type})"
        else:
            params[name] = f"m.{name}"
    minutes = params["interval_minutes"]
    params["step_us"] = f"CAST({minutes} AS BIGINT) * 60000000"
    params["join"] = " JOIN m USING (meter_id)" if any(v.startswith("m.") for v in params.values()) else ""
    return params


#: The per-period sums of one pass over ``q``: hours from the slots, days from the hours, months from the days
#: (tables ``agg_hour``, ``agg_day``, ``agg_month``: meter_id, start, energy, counted, bits; ``agg_day`` also
#: ``hours``, its number of hours with slots, and ``hour_bits``, which of them (bit ``h`` for hour ``h``);
#: ``{hour_sums}``: :func:`hour_sums`).
LEVELS_SQL = """
CREATE OR REPLACE TEMP TABLE agg_hour AS
SELECT meter_id, date_trunc('hour', slot) AS start, {hour_sums}
FROM q GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE agg_day AS
SELECT meter_id, date_trunc('day', start) AS start, sum(energy) AS energy,
  CAST(sum(counted) AS BIGINT) AS counted, bit_or(bits) AS bits, count(*) AS hours,
  bit_or(CAST(1 AS INTEGER) << hour(start)) AS hour_bits
FROM agg_hour GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE agg_month AS
SELECT meter_id, date_trunc('month', start) AS start, sum(energy) AS energy,
  CAST(sum(counted) AS BIGINT) AS counted, bit_or(bits) AS bits
FROM agg_day GROUP BY ALL;
"""


def hour_sums(params: dict[str, str], above: int) -> str:
    """The hour aggregates of :data:`LEVELS_SQL` (energy, counted, bits) for the attributes of
    :func:`meter_params`: a slot above ``max_rate`` is held out of energy and counted and sets bit ``above``; an
    instant meter's reading counts without energy. When no meter of the pass has a ``max_rate`` or is instant
    (literals), those branches are left out here — DuckDB does not fold them through the view — same sums."""
    no_rate = params["max_rate"] == "CAST(NULL AS DOUBLE)"
    no_instant = params["instant"] == "CAST(FALSE AS BOOLEAN)"
    if no_rate and no_instant:
        return "sum(energy) AS energy, count(energy) AS counted, bit_or(bits) AS bits"
    return (
        "sum(CASE WHEN NOT above_rate THEN energy END) AS energy, "
        "count(CASE WHEN instant OR (energy IS NOT NULL AND NOT above_rate) THEN 1 END) AS counted, "
        f"bit_or(bits | CASE WHEN above_rate THEN {above} ELSE 0 END) AS bits"
    )


#: The number of (meter_id, Asia/Shanghai day) pairs of the readings behind ``agg_day`` (slots with
#: :data:`READING_DAY_BITS`): a day's slots have their readings in that day, the next or both (36,600 rows to
#: count, not 3.5 M).
READING_DAYS_SQL = f"""
SELECT count(*) FROM (
  SELECT DISTINCT meter_id, day FROM (
    SELECT meter_id, CAST(start AS DATE) AS day FROM agg_day WHERE bits & {READ_SAME_DAY} <> 0
    UNION ALL SELECT meter_id, CAST(start AS DATE) + 1 FROM agg_day WHERE bits & {READ_NEXT_DAY} <> 0
  )
)
"""

#: Every period of [$start, $end) of every meter (the on-request computation).
GRID_PERIODS = """
SELECT m.meter_id, p.start, epoch((p.start + INTERVAL 1 {interval}) - p.start) / 60.0 / m.interval_minutes AS expected,
  f.tce_per_unit, f.tce_equal_per_unit, f.tco2_per_unit
FROM meters m CROSS JOIN (SELECT unnest(range($start, $end, INTERVAL 1 {interval})) AS start) p
LEFT JOIN factors f ON f.meter_id = m.meter_id AND f.year = year(p.start)
"""

#: The periods of the (meter_id, day) rows of ``day_keys`` (the refresh): the 24 hours or the day of each key,
#: or the month of each; the year's factors, the expected count of intervals (the same expression as
#: :data:`GRID_PERIODS`, on the key's start: hours and days have fixed lengths) and the ``sig`` (``{sig}``:
#: :data:`KEYED_SIG`) computed once per key, not once per period.
KEYED_PERIODS = """
SELECT k.meter_id, {start} AS start,
  epoch((CAST(k.day AS TIMESTAMP) + INTERVAL 1 {interval}) - CAST(k.day AS TIMESTAMP)) / 60.0 / m.interval_minutes
    AS expected,
  {sig} AS sig, f.tce_per_unit, f.tce_equal_per_unit, f.tco2_per_unit
FROM {keys} k JOIN meters m USING (meter_id)
LEFT JOIN factors f ON f.meter_id = k.meter_id AND f.year = year(k.day)
"""
KEYED_START = {
    "hour": "unnest(range(CAST(k.day AS TIMESTAMP), CAST(k.day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 HOUR))",
    "day": "CAST(k.day AS TIMESTAMP)",
    "month": "CAST(k.day AS TIMESTAMP)",
}
#: The signature stored per interval: on day and month rows (stale days are found from the day rows); hour rows,
#: the bulk, store '' — nothing reads their signature, and writing it cost about a fifth of the hour files.
KEYED_SIG = {"hour": "''", "day": "m.sig", "month": "m.sig"}
KEYED_KEYS = {
    "hour": "day_keys",
    "day": "day_keys",
    "month": "(SELECT DISTINCT meter_id, CAST(date_trunc('month', day) AS DATE) AS day FROM day_keys)",
}

#: Periods (``{periods}``: :data:`GRID_PERIODS` or :data:`KEYED_PERIODS`) with the sums of ``agg_<interval>``.
JOIN_SUMS = """
SELECT p.*, a.energy, a.counted, a.bits
FROM ({periods}) p LEFT JOIN agg_{interval} a USING (meter_id, start)
"""

#: The hours of the keys of ``day_keys`` with their sums (the refresh), like :data:`JOIN_SUMS` over the keys' 24
#: hours each but without laying 878,400 hours onto ``agg_hour`` for a year of 100 meters: the hours with slots are
#: the rows of ``agg_hour`` itself (``{days}``: '' when every day of ``agg_hour`` is a key, else a semi-join
#: with ``day_keys``); the hours without slots (``no_data``) are looked for only in the keys whose day has fewer
#: than 24 hours in ``agg_hour``, from the day's ``hour_bits`` (no probe of ``agg_hour``). Same columns, same
#: values (``expected`` as in :data:`KEYED_PERIODS`: an hour lasts 3,600 s). ``{interval_minutes}``,
#: ``{hour_factors}``, ``{hour_joins}``: :func:`hour_params` — literals when every meter of the pass shares them,
#: else joined from ``meters`` and ``factors``.
KEYED_HOURS = """
WITH gap_days AS (
  SELECT k.meter_id, k.day, coalesce(d.hour_bits, 0) AS hour_bits FROM day_keys k
  LEFT JOIN agg_day d ON d.meter_id = k.meter_id AND d.start = CAST(k.day AS TIMESTAMP)
  WHERE coalesce(d.hours, 0) < 24
)
SELECT a.meter_id, a.start, epoch(INTERVAL 1 HOUR) / 60.0 / {interval_minutes} AS expected,
  '' AS sig, {hour_factors}, a.energy, a.counted, a.bits
FROM agg_hour a{days}{hour_joins}
UNION ALL
SELECT p.meter_id, p.start, p.expected, p.sig, p.tce_per_unit, p.tce_equal_per_unit, p.tco2_per_unit,
  NULL, NULL, NULL
FROM ({gap_periods}) p JOIN gap_days g ON g.meter_id = p.meter_id AND g.day = CAST(p.start AS DATE)
WHERE (g.hour_bits >> hour(p.start)) & 1 = 0
"""
#: ``{days}`` of :data:`KEYED_HOURS` when some days of ``agg_hour`` are not keys.
KEYED_HOURS_SEMI = " SEMI JOIN day_keys k ON k.meter_id = a.meter_id AND k.day = CAST(a.start AS DATE)"
_FACTOR_COLUMNS = ("tce_per_unit", "tce_equal_per_unit", "tco2_per_unit")


def _double(value: float | None) -> str:
    """A DOUBLE literal of ``value`` through its shortest repr (parsed back to the same bits)."""
    return "CAST(NULL AS DOUBLE)" if value is None else f"CAST('{float(value)!r}' AS DOUBLE)"


def hour_params(
    params: dict[str, str],
    meter_ids: Sequence[int],
    years: Sequence[int],
    factors: Sequence[tuple[int, int, float | None, float | None, float | None]],
) -> dict[str, str]:
    """``{interval_minutes}``, ``{hour_factors}``, ``{hour_joins}`` of :data:`KEYED_HOURS` for ``meter_ids`` (their
    :func:`meter_params` ``params``), whose hours lie in ``years``, and the ``factors`` rows (meter_id, year, tce,
    tce_equal, tCO₂ per unit): literals when every meter shares the value (the factors of each year; ``CASE`` on the
    hour's year when there are several), which spares two joins of the 878,400 hours of a year of 100 meters —
    the same numbers. A meter or year without a factors row keeps the join (NULL factors, as before)."""
    joins = ""
    minutes = params["interval_minutes"]
    if minutes.startswith("m."):
        joins += "\nJOIN meters m ON m.meter_id = a.meter_id"
    by_year: dict[int, set[tuple[float | None, ...]]] = {}
    covered: dict[int, set[int]] = {}
    for meter_id, year, *values in factors:
        by_year.setdefault(year, set()).add(tuple(values))
        covered.setdefault(year, set()).add(meter_id)
    complete = bool(years) and all(covered.get(year, set()) >= set(meter_ids) for year in years)
    if complete and all(len(by_year[year]) == 1 for year in years):
        shared = {year: next(iter(by_year[year])) for year in sorted(set(years))}
        columns = []
        for i, name in enumerate(_FACTOR_COLUMNS):
            if len(shared) == 1:
                expression = _double(next(iter(shared.values()))[i])
            else:
                whens = " ".join(f"WHEN {year} THEN {_double(v[i])}" for year, v in shared.items())
                expression = f"CASE year(a.start) {whens} END"
            columns.append(f"{expression} AS {name}")
        return {"interval_minutes": minutes, "hour_factors": ", ".join(columns), "hour_joins": joins}
    joins += "\nLEFT JOIN factors f ON f.meter_id = a.meter_id AND f.year = year(a.start)"
    return {
        "interval_minutes": minutes,
        "hour_factors": ", ".join(f"f.{name}" for name in _FACTOR_COLUMNS),
        "hour_joins": joins,
    }


#: The flags of a period, in the order of the JSON contract, each with the SQL condition that sets it (over the
#: columns of :data:`AGG_SQL`'s ``joined``; ``{reset}`` …: the flag bits of the slots). The stored hour rows keep
#: them as bits, flag ``i`` as ``1 << i`` (:data:`AGG_HOUR_SQL`; :mod:`.store_rollups` turns them back into names),
#: everything else joins their names with ``|``.
PERIOD_FLAGS: tuple[tuple[str, str], ...] = (
    ("no_data", "counted IS NULL"),
    ("incomplete", "counted IS NOT NULL AND counted < expected"),
    ("counter_reset", "bits & {reset} <> 0"),
    ("rollover", "bits & {rollover} <> 0"),
    ("rate_above_max", "bits & {above} <> 0"),
    ("spans_gap", "bits & {gap} <> 0"),
    ("tce_unavailable", "energy IS NOT NULL AND tce_per_unit IS NULL"),
    ("tce_equal_unavailable", "energy IS NOT NULL AND tce_equal_per_unit IS NULL"),
    ("tco2_unavailable", "energy IS NOT NULL AND tco2_per_unit IS NULL"),
)
PERIOD_FLAG_NAMES = tuple(name for name, _ in PERIOD_FLAGS)
#: A period without any flag (checked first: most periods are clean, and then no flag is looked at one by one).
_CLEAN = f"""counted >= expected AND bits & {FLAG_MASK} = 0
        AND (energy IS NULL OR (tce_per_unit IS NOT NULL AND tce_equal_per_unit IS NOT NULL
                                AND tco2_per_unit IS NOT NULL))"""
_FLAG_NAMES_SQL = ",\n    ".join(f"CASE WHEN {cond} THEN '{name}' END" for name, cond in PERIOD_FLAGS)
_FLAG_BITS_SQL = "\n    | ".join(
    f"CASE WHEN {cond} THEN {1 << i} ELSE 0 END" for i, (_, cond) in enumerate(PERIOD_FLAGS)
)

#: One interval's periods with their sums (``{joined}``: :data:`JOIN_SUMS` or :data:`KEYED_HOURS`): energy, tce,
#: tce_equal, tco2, completeness and the flags joined by ``|`` ('' when clean), then ``{extra}`` columns of the
#: periods (the refresh adds ``sig``). No order: the caller orders if it needs to.
AGG_SQL = (
    """
WITH joined AS ({joined}
)
SELECT meter_id, start, energy,
  energy * tce_per_unit AS tce,
  energy * tce_equal_per_unit AS tce_equal,
  energy * tco2_per_unit AS tco2,
  least(1.0, coalesce(counted, 0) / expected) AS completeness,
  CASE WHEN """
    + _CLEAN
    + """
  THEN '' ELSE concat_ws('|',
    """
    + _FLAG_NAMES_SQL
    + """
  ) END AS flags{extra}
FROM joined
"""
)

#: The stored hour rows (the refresh; the bulk of the stored rows): like :data:`AGG_SQL` but with the factors
#: instead of tce, tce_equal and tCO₂ (energy × factor is taken on read, the same product to the bit; a factor
#: is one of a few values per file, which Parquet's dictionary stores in a few bits a row) and the flags as bits
#: (:data:`PERIOD_FLAGS`), no signature: the columns of :data:`.store_rollups.HOUR_COLUMNS`.
AGG_HOUR_SQL = (
    """
WITH joined AS ({joined}
)
SELECT meter_id, start, energy,
  least(1.0, coalesce(counted, 0) / expected) AS completeness,
  CAST(CASE WHEN """
    + _CLEAN
    + """
  THEN 0 ELSE """
    + _FLAG_BITS_SQL
    + """
  END AS USMALLINT) AS flag_bits,
  tce_per_unit, tce_equal_per_unit, tco2_per_unit
FROM joined
"""
)

#: The ``|``-joined flags of a row as the list of the JSON contract.
FLAGS_LIST = "CASE WHEN flags = '' THEN []::VARCHAR[] ELSE string_split(flags, '|') END"
