"""The data a verification is computed from (核定数据) and the record of it (数据来源, ``computed_from``).

Two sources, one of them per verification:

* **meters** — the rollups (tce, 当量值) of meters of the project's enterprise between the dates given
  (:func:`dualcarbon.monitoring.service_rollups.meter_rollups`), summed per period over the meters. A period in
  which a meter has no tce is left out (``no_tce``), with a warning; so is one in which a meter's rollup is not
  the period's own energy (``incomplete``): completeness below the ``coverage_min_pct`` rule of ``mv_criteria``
  (MV-012), or flagged ``spans_gap`` (a cumulative meter's first reading after a gap carries the energy of earlier
  periods). With a weather station the periods are joined with its daily mean temperatures (a month: the mean of
  all its days); a period without one is left out (``no_weather``).
* **periods** — uploaded or typed periods (start, tce, optional production and mean temperature).

The record (:class:`~dualcarbon.projects.schemas.VerificationSource`) names the meters or the periods' dates, the
weather station, the energy basis with the tce factor rows and reference-table versions, and for each of the
baseline (基期) and the reporting period (报告期) the periods and days used and left out, by reason — a reviewer or
an auditor reading the verification later can tell what it was computed from. Hand-entered periods leave out
nothing the platform knows of, so their left-out counts are null.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, zh_en
from dualcarbon.domain import mv
from dualcarbon.domain.mv_checks import MvCriteria, criteria_from_reference, period_days, period_end
from dualcarbon.domain.mv_models import Interval
from dualcarbon.monitoring.service_rollups import meter_rollups
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.schemas import (
    LeftOutReason,
    MeterUsed,
    PeriodIn,
    VerificationIn,
    VerificationPeriodSource,
    VerificationSource,
)
from dualcarbon.projects.service_weather import daily_temperatures
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise

#: The reference table whose rows judge the model (named with its version in every record).
CRITERIA_TABLE = "mv_criteria"

#: Data read for a verification: baseline periods, reporting periods, the warnings about them, the record.
VerificationData = tuple[list[mv.MvPeriod], list[mv.MvPeriod], list[dict[str, Any]], VerificationSource]


def mv_criteria(reference: ReferenceSet, interval: Interval) -> MvCriteria:
    """The ``mv_criteria`` rules for ``interval`` — the same reading as the ``calc mv`` contract (one function in
    :mod:`dualcarbon.domain.mv_checks`)."""
    return criteria_from_reference(reference, interval)[0]


def _periods(items: list[PeriodIn]) -> list[mv.MvPeriod]:
    return [
        mv.MvPeriod(
            start=item.period_start,
            energy=item.energy,
            production=None if item.production is None else {"production": item.production},
            temperature_c=item.temperature,
        )
        for item in items
    ]


@dataclass
class _Metered:
    """The periods read from the meters for one period (基期 or 报告期), and what the record says about them."""

    start: date
    end: date
    periods: list[mv.MvPeriod]
    warnings: list[dict[str, Any]]
    left_out: dict[LeftOutReason, set[date]]
    meters: list[MeterUsed] = field(default_factory=list)
    factor_rows: set[str] = field(default_factory=set)
    versions: dict[str, str] = field(default_factory=dict)


def _metered(
    session: Session,
    actor: Principal,
    project: RetrofitProject,
    spec: VerificationIn,
    label: str,
    start: date | None,
    end: date | None,
    reference: ReferenceSet,
) -> _Metered:
    """Periods of tce summed over the project's meters between ``start`` and ``end`` (inclusive)."""
    period_zh = "基期" if label == "baseline" else "报告期"
    if start is None or end is None:
        zh = f"按计量数据核定时须填写{period_zh}起止日期"
        where = f"{label}_from" if start is None else f"{label}_to"
        raise InvalidInput(zh_en(zh, f"give {label}_from and {label}_to with meter_ids"), field=where, zh=zh)
    criteria = mv_criteria(reference, spec.interval)
    totals: dict[date, float] = defaultdict(float)
    missing: set[date] = set()
    partial: set[date] = set()
    read = _Metered(start, end, [], [], {})
    for index, meter_id in enumerate(spec.meter_ids):
        try:
            rollup = meter_rollups(session, actor, spec.interval, start, end, reference, meter_id=meter_id)
        except NotFound as exc:  # a value of the request body: 422 naming it, not 404
            zh = exc.zh or f"未找到计量器具 {meter_id}"
            raise InvalidInput(zh_en(zh, exc.message), field=f"meter_ids[{index}]", zh=zh) from exc
        if rollup.credit_code != _credit_code(session, project):
            zh = f"计量器具 {meter_id} 不属于本项目所在企业"
            raise InvalidInput(
                zh_en(zh, f"meter {meter_id} is not a meter of the project's enterprise"),
                field=f"meter_ids[{index}]",
                zh=zh,
            )
        unit = rollup.periods[0].unit if rollup.periods else None
        read.meters.append(MeterUsed(meter_id=meter_id, meter=rollup.meter, carrier=rollup.carrier, unit=unit))
        read.factor_rows.update(f.tce_source_row for f in rollup.factors if f.tce_source_row)
        read.versions.update(rollup.reference_versions)
        for period in rollup.periods:
            day = period.start.date()
            if period.tce is None or not math.isfinite(period.tce):
                missing.add(day)
                continue
            if "spans_gap" in period.flags or (
                criteria.coverage_min_pct is not None and period.completeness * 100.0 < criteria.coverage_min_pct
            ):
                partial.add(day)
            totals[day] += period.tce
    warnings: list[dict[str, Any]] = []
    if missing:
        warnings.append(
            {
                "code": "metered_period_incomplete",
                "message": f"{len(missing)} {label} period(s) left out: a meter has no tce for them",
                "data": {
                    "period": label,
                    "count": len(missing),
                    "periods": sorted(d.isoformat() for d in missing)[:50],
                },
            }
        )
    partial -= missing
    if partial:
        warnings.append(
            {
                "code": "metered_period_partial",
                "message": f"{len(partial)} {label} period(s) left out: a meter's rollup is not the period's own "
                f"energy (completeness below {criteria.coverage_min_pct:g} %, or energy carried over a gap)",
                "data": {
                    "period": label,
                    "count": len(partial),
                    "periods": sorted(d.isoformat() for d in partial)[:50],
                    "limit_pct": criteria.coverage_min_pct,
                    "row_id": criteria.row_ids.get("coverage_min_pct"),
                },
            }
        )
    left_out = missing | partial
    periods = [mv.MvPeriod(start=day, energy=tce) for day, tce in sorted(totals.items()) if day not in left_out]
    read.periods, read.warnings = periods, warnings
    read.left_out = {"no_tce": missing, "incomplete": partial}
    if not periods:
        zh = f"所选计量器具在 {start} 至 {end} 没有可用于核定的{period_zh}数据"
        raise InvalidInput(
            zh_en(zh, f"the meters have no complete {label} data with tce between {start} and {end}"),
            field="meter_ids",
            zh=zh,
        )
    return read


def _with_weather(
    periods: list[mv.MvPeriod], interval: Interval, temperatures: dict[date, float], label: str
) -> tuple[list[mv.MvPeriod], list[dict[str, Any]], set[date]]:
    """The metered periods with the station's temperature: a day its own mean, a month the mean of its days
    (every day of the month present). A period without one is left out, with a warning naming it (and its
    start returned, for the record)."""
    joined: list[mv.MvPeriod] = []
    missing: list[str] = []
    left_out: set[date] = set()
    for period in periods:
        if interval == "day":
            value = temperatures.get(period.start)
        else:
            days = calendar.monthrange(period.start.year, period.start.month)[1]
            values = [temperatures.get(period.start.replace(day=d)) for d in range(1, days + 1)]
            value = None if any(v is None for v in values) else math.fsum(v for v in values if v is not None) / days
        if value is None:
            missing.append(period.start.isoformat())
            left_out.add(period.start)
            continue
        joined.append(mv.MvPeriod(start=period.start, energy=period.energy, temperature_c=value))
    warnings: list[dict[str, Any]] = []
    if missing:
        warnings.append(
            {
                "code": "weather_period_missing",
                "message": f"{len(missing)} {label} period(s) left out: the weather station has no temperature "
                "for them (a month needs all its days)",
                "data": {"period": label, "count": len(missing), "periods": missing[:50]},
            }
        )
    return joined, warnings, left_out


def _station_temperatures(data_dir: Path | None, station: str, start: date, end: date) -> dict[date, float]:
    if data_dir is None:
        zh = "未配置数据目录，无法读取气象数据"
        raise InvalidInput(zh_en(zh, "no data directory to read the weather from"), field="weather_station", zh=zh)
    first = start.replace(day=1)  # a month period starts on the 1st, before ``start`` when it is mid-month
    try:
        return dict(daily_temperatures(data_dir, station, first, end))
    except NotFound as exc:  # a field of the request body: 422 naming it, not 404
        zh = f"没有气象站 {station} 的气温数据，请先导入（dualcarbon weather import）"
        raise InvalidInput(zh_en(zh, exc.message_in("en")), field="weather_station", zh=zh) from exc


def _credit_code(session: Session, project: RetrofitProject) -> str:
    enterprise = session.get(Enterprise, project.enterprise_id)
    assert enterprise is not None
    return enterprise.credit_code


def metered_data(
    session: Session,
    actor: Principal,
    project: RetrofitProject,
    spec: VerificationIn,
    reference: ReferenceSet,
    data_dir: Path | None,
) -> VerificationData:
    """Baseline and reporting periods from the meters' rollups (joined with the station's temperatures when one
    is given), their warnings, and the record of what they were computed from."""
    if spec.baseline or spec.reporting:
        zh = "核定数据只能二选一：上传的时段数据或计量器具"
        raise InvalidInput(zh_en(zh, "give either periods or meter_ids, not both"), field="meter_ids", zh=zh)
    reads = [
        _metered(session, actor, project, spec, "baseline", spec.baseline_from, spec.baseline_to, reference),
        _metered(session, actor, project, spec, "reporting", spec.reporting_from, spec.reporting_to, reference),
    ]
    extra = reads[0].warnings + reads[1].warnings
    if spec.weather_station:
        for label, read in zip(("baseline", "reporting"), reads, strict=True):
            temperatures = _station_temperatures(data_dir, spec.weather_station, read.start, read.end)
            joined, warned, no_weather = _with_weather(read.periods, spec.interval, temperatures, label)
            if not joined:
                zh = f"气象站 {spec.weather_station} 在{'基期' if label == 'baseline' else '报告期'}没有气温数据"
                raise InvalidInput(
                    zh_en(zh, f"weather station {spec.weather_station} has no temperature for the {label}"),
                    field="weather_station",
                    zh=zh,
                )
            read.periods = joined
            read.left_out["no_weather"] = no_weather
            extra += warned
    periods = [metered_period(r.start, r.end, [p.start for p in r.periods], r.left_out, spec.interval) for r in reads]
    computed_from = VerificationSource(
        kind="meters",
        interval=spec.interval,
        energy_basis="tce_calorific",
        meters=reads[0].meters,
        weather_station=spec.weather_station,
        factor_rows=sorted(reads[0].factor_rows | reads[1].factor_rows),
        reference_versions={**reads[0].versions, **reads[1].versions, **criteria_versions(reference)},
        baseline=periods[0],
        reporting=periods[1],
    )
    return reads[0].periods, reads[1].periods, extra, computed_from


def entered_data(spec: VerificationIn, reference: ReferenceSet) -> VerificationData:
    """Baseline and reporting periods as entered (tce), and the record of what they were."""
    if spec.weather_station:
        zh = "气象站仅用于按计量数据核定；上传的时段数据请直接填写 temperature"
        raise InvalidInput(
            zh_en(zh, "weather_station goes with meter_ids; uploaded periods carry their own temperature"),
            field="weather_station",
            zh=zh,
        )
    for label, items, zh in (
        ("baseline", spec.baseline, "基期数据为空"),
        ("reporting", spec.reporting, "报告期数据为空"),
    ):
        if not items:
            en = f"no {label} periods: give them, or meter_ids with dates"
            raise InvalidInput(zh_en(zh, en), field=label, zh=zh)
    computed_from = VerificationSource(
        kind="periods",
        interval=spec.interval,
        energy_basis="entered",
        reference_versions=criteria_versions(reference),
        baseline=entered_period([p.period_start for p in spec.baseline], spec.interval),
        reporting=entered_period([p.period_start for p in spec.reporting], spec.interval),
    )
    return _periods(spec.baseline), _periods(spec.reporting), [], computed_from


def _days(starts: Iterable[date], interval: Interval) -> int:
    return round(sum(period_days(sorted(starts), interval)))


def metered_period(
    date_from: date,
    date_to: date,
    used: Iterable[date],
    left_out: Mapping[LeftOutReason, Iterable[date]],
    interval: Interval,
) -> VerificationPeriodSource:
    """A metered period: the dates asked for, the periods used, and those left out by reason (each period
    counted once, under the first reason that left it out)."""
    used_starts = sorted(set(used))
    seen: set[date] = set(used_starts)
    by_reason: dict[LeftOutReason, int] = {}
    dropped: list[date] = []
    for reason, starts in left_out.items():
        fresh = sorted(set(starts) - seen)
        seen.update(fresh)
        dropped.extend(fresh)
        if fresh:
            by_reason[reason] = len(fresh)
    return VerificationPeriodSource(
        date_from=date_from,
        date_to=date_to,
        periods_used=len(used_starts),
        days_used=_days(used_starts, interval),
        periods_left_out=len(dropped),
        days_left_out=_days(dropped, interval),
        left_out=by_reason,
    )


def entered_period(starts: Iterable[date], interval: Interval) -> VerificationPeriodSource:
    """Hand-entered periods: first start to the last period's last day. What the enterprise did not enter is
    not known, so nothing is counted as left out."""
    ordered = sorted(starts)
    return VerificationPeriodSource(
        date_from=ordered[0] if ordered else None,
        date_to=period_end(ordered[-1], interval) - timedelta(days=1) if ordered else None,
        periods_used=len(ordered),
        days_used=_days(ordered, interval),
        periods_left_out=None,
        days_left_out=None,
    )


def criteria_versions(reference: ReferenceSet) -> dict[str, str]:
    """The version of the ``mv_criteria`` table the thresholds came from."""
    versions = reference.versions()
    return {CRITERIA_TABLE: versions[CRITERIA_TABLE]} if CRITERIA_TABLE in versions else {}
