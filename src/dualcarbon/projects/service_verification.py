"""Verified saving of a completed project (节能量审核, GB/T 28750 baseline-model method; GB/T 13234 sign).

Data: uploaded periods (``baseline`` and ``reporting``: period start, energy in tce, optional production and
mean temperature), or the rollups (tce, 当量值) of meters of the project's enterprise between the dates given
(:func:`dualcarbon.monitoring.service_rollups.meter_rollups`, summed per period over the meters). A period in
which a meter has no tce is left out, with a warning; so is one in which a meter's rollup is not the period's own
energy: completeness below the ``coverage_min_pct`` rule of ``mv_criteria`` (MV-012), or flagged ``spans_gap``
(a cumulative meter's first reading after a gap carries the energy of earlier periods). The model is chosen
and checked by :func:`dualcarbon.domain.mv.verify_savings` under the ``mv_criteria`` reference rules; its result
is stored with the project in the shape of the ``calc mv`` contract (``model``, ``r2``, ``cvrmse_pct``,
``nmbe_pct``, ``avoided_energy``, ``savings_pct``, ``fsu_pct``, ``warnings``).

Non-routine adjustments (非常规调整): each with its reason and who approved it, added to the adjusted
baseline (tce over the reporting period) and kept as rows. The verified saving is

    verified energy  = avoided energy + Σ adjustments            (tce over the reporting period, saved > 0)
    verified tce/a   = verified energy × 365 ÷ days of the reporting periods

GB/T 13234 counts a saving positive; ``signed_saving`` in the stored result keeps the GB/T 28750 sign
(negative = saved). Only a regulator of the enterprise's region verifies (and so approves the adjustments: the
approver recorded is that user); the project must be completed (``lock_version``: of two simultaneous
verifications one wins, the other gets 409).

Validity: the stored record says whether the verification meets the ``mv_criteria`` thresholds (``valid``) and,
if not, which warnings fail (``invalid_reasons``, :func:`dualcarbon.domain.mv_checks.failed_criteria`). Only a
valid verification moves the project to verified and sets ``verified_tce_per_year`` (the saving the library
sums and a subsidy may claim). A not-valid one (未通过验证) is kept on the project, which stays completed with no
verified saving; a later verification with better data replaces it (both are in the audit trail). There is no
override: a programme with other thresholds imports them into ``mv_criteria`` (docs/projects.md).
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, zh_en
from dualcarbon.core.vocab import PROJECT_STATE_ZH
from dualcarbon.domain import mv
from dualcarbon.domain.mv_checks import MvCriteria, criteria_from_reference, failed_criteria, period_days
from dualcarbon.domain.mv_models import Interval
from dualcarbon.monitoring.service_rollups import meter_rollups
from dualcarbon.projects.models import MvAdjustment, RetrofitProject
from dualcarbon.projects.schemas import PeriodIn, VerificationIn, VerificationOut
from dualcarbon.projects.service_lifecycle import check_seen, require_regulator
from dualcarbon.projects.service_projects import load_project
from dualcarbon.projects.service_weather import daily_temperatures
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

DAYS_PER_YEAR = 365
DIGITS = 6


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


def _metered(
    session: Session,
    actor: Principal,
    project: RetrofitProject,
    spec: VerificationIn,
    label: str,
    start: date | None,
    end: date | None,
    reference: ReferenceSet,
) -> tuple[list[mv.MvPeriod], list[dict[str, Any]]]:
    """Periods of tce summed over the project's meters between ``start`` and ``end`` (inclusive)."""
    period_zh = "基期" if label == "baseline" else "报告期"
    if start is None or end is None:
        zh = f"按计量数据核定时须填写{period_zh}起止日期"
        raise InvalidInput(zh_en(zh, f"give {label}_from and {label}_to with meter_ids"), field=f"{label}_from", zh=zh)
    criteria = mv_criteria(reference, spec.interval)
    totals: dict[date, float] = defaultdict(float)
    missing: set[date] = set()
    partial: set[date] = set()
    for index, meter_id in enumerate(spec.meter_ids):
        rollup = meter_rollups(session, actor, spec.interval, start, end, reference, meter_id=meter_id)
        if rollup.credit_code != _credit_code(session, project):
            zh = f"计量器具 {meter_id} 不属于本项目所在企业"
            raise InvalidInput(
                zh_en(zh, f"meter {meter_id} is not a meter of the project's enterprise"),
                field=f"meter_ids[{index}]",
                zh=zh,
            )
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
    if not periods:
        zh = f"所选计量器具在 {start} 至 {end} 没有可用于核定的{period_zh}数据"
        raise InvalidInput(
            zh_en(zh, f"the meters have no complete {label} data with tce between {start} and {end}"),
            field="meter_ids",
            zh=zh,
        )
    return periods, warnings


def _with_weather(
    periods: list[mv.MvPeriod], interval: Interval, temperatures: dict[date, float], label: str
) -> tuple[list[mv.MvPeriod], list[dict[str, Any]]]:
    """The metered periods with the station's temperature: a day its own mean, a month the mean of its days
    (every day of the month present). A period without one is left out, with a warning naming it."""
    joined: list[mv.MvPeriod] = []
    missing: list[str] = []
    for period in periods:
        if interval == "day":
            value = temperatures.get(period.start)
        else:
            days = calendar.monthrange(period.start.year, period.start.month)[1]
            values = [temperatures.get(period.start.replace(day=d)) for d in range(1, days + 1)]
            value = None if any(v is None for v in values) else math.fsum(v for v in values if v is not None) / days
        if value is None:
            missing.append(period.start.isoformat())
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
    return joined, warnings


def _station_temperatures(data_dir: Path | None, station: str, start: date, end: date) -> dict[date, float]:
    if data_dir is None:
        raise InvalidInput("no data directory to read the weather from", field="weather_station")
    first = start.replace(day=1)  # a month period starts on the 1st, before ``start`` when it is mid-month
    try:
        return dict(daily_temperatures(data_dir, station, first, end))
    except NotFound as exc:  # a field of the request body: 422 naming it, not 404
        raise InvalidInput(str(exc), field="weather_station") from exc


def _credit_code(session: Session, project: RetrofitProject) -> str:
    enterprise = session.get(Enterprise, project.enterprise_id)
    assert enterprise is not None
    return enterprise.credit_code


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, DIGITS) + 0.0


def verify_project(
    session: Session,
    actor: Principal,
    project_id: int,
    spec: VerificationIn,
    reference: ReferenceSet,
    *,
    data_dir: Path | None = None,
) -> VerificationOut:
    """Run M&V on the project's data, record adjustments, store the result and move the project to verified."""
    project = load_project(session, actor, project_id)
    require_regulator(session, actor, project)
    if project.state != "completed":
        raise Conflict(
            f"项目当前状态为{PROJECT_STATE_ZH[project.state]}，须完成后才能核定节能量 / project {project.id} is "
            f"{project.state}; verification needs completed",
            field="state",
        )
    check_seen(project, spec.lock_version)
    extra: list[dict[str, Any]] = []
    if spec.meter_ids:
        if spec.baseline or spec.reporting:
            zh = "核定数据只能二选一：上传的时段数据或计量器具"
            raise InvalidInput(zh_en(zh, "give either periods or meter_ids, not both"), field="meter_ids", zh=zh)
        baseline, w1 = _metered(
            session, actor, project, spec, "baseline", spec.baseline_from, spec.baseline_to, reference
        )
        reporting, w2 = _metered(
            session, actor, project, spec, "reporting", spec.reporting_from, spec.reporting_to, reference
        )
        extra = w1 + w2
        source = "meters"
        if spec.weather_station:
            for label, start, end in (
                ("baseline", spec.baseline_from, spec.baseline_to),
                ("reporting", spec.reporting_from, spec.reporting_to),
            ):
                assert start is not None and end is not None  # _metered refused a missing date
                temperatures = _station_temperatures(data_dir, spec.weather_station, start, end)
                chosen = baseline if label == "baseline" else reporting
                joined, warned = _with_weather(chosen, spec.interval, temperatures, label)
                if not joined:
                    zh = f"气象站 {spec.weather_station} 在{'基期' if label == 'baseline' else '报告期'}没有气温数据"
                    raise InvalidInput(
                        zh_en(zh, f"weather station {spec.weather_station} has no temperature for the {label}"),
                        field="weather_station",
                        zh=zh,
                    )
                if label == "baseline":
                    baseline = joined
                else:
                    reporting = joined
                extra += warned
    else:
        if spec.weather_station:
            zh = "气象站仅用于按计量数据核定；上传的时段数据请直接填写 temperature"
            raise InvalidInput(
                zh_en(zh, "weather_station goes with meter_ids; uploaded periods carry their own temperature"),
                field="weather_station",
                zh=zh,
            )
        if not spec.baseline:
            raise InvalidInput("基期数据为空 / no baseline periods", field="baseline")
        if not spec.reporting:
            raise InvalidInput("报告期数据为空 / no reporting periods", field="reporting")
        baseline, reporting = _periods(spec.baseline), _periods(spec.reporting)
        source = "periods"
    result = mv.verify_savings(baseline, reporting, spec.interval, mv_criteria(reference, spec.interval))
    days = math.fsum(period_days([p.start for p in reporting], spec.interval))
    adjustments = math.fsum(a.energy for a in spec.adjustments)
    verified_energy = result.avoided_energy + adjustments
    per_year = verified_energy * DAYS_PER_YEAR / days
    warnings = [w.to_dict() for w in result.warnings] + extra
    failing = failed_criteria(warnings)
    valid = not failing
    contract = {
        "model": result.model.to_dict(),
        "r2": _number(result.model.r2),
        "cvrmse_pct": _number(result.model.cvrmse_pct),
        "nmbe_pct": _number(result.model.nmbe_pct),
        "adjusted_baseline": _number(result.adjusted_baseline),
        "reporting_energy": _number(result.reporting_energy),
        "avoided_energy": _number(result.avoided_energy),
        "signed_saving": _number(result.signed_saving),
        "savings_pct": _number(result.savings_pct),
        "fsu_pct": _number(result.fsu_pct),
        "fsu_confidence_pct": _number(result.fsu_confidence * 100.0),
        "reporting_periods": result.reporting_periods,
        "energy_unit": spec.energy_unit,
        "interval": spec.interval,
        "source": source,
        "warnings": warnings,
    }
    claim_row(session, project, what=f"project {project.id}")
    now = utcnow()
    before = {
        "state": project.state,
        "verified_tce_per_year": project.verified_tce_per_year,
        "valid": (project.verification or {}).get("valid"),
    }
    project.adjustments.clear()  # those of a replaced (not valid) verification; the audit trail keeps them
    adjustments_out = [{**a.model_dump(), "approved_by": actor.username} for a in spec.adjustments]
    for item in spec.adjustments:
        project.adjustments.append(
            MvAdjustment(
                reason=item.reason,
                energy=item.energy,
                approved_by=actor.username,  # the regulator who verifies approves the adjustment
                recorded_by=actor.username,
                recorded_at=now,
            )
        )
    computed = _number(per_year)
    project.state = "verified" if valid else "completed"
    project.verified_tce_per_year = computed if valid else None
    project.verification = {
        "result": contract,
        "valid": valid,
        "invalid_reasons": failing,
        "adjustments": adjustments_out,
        "adjustments_energy": _number(adjustments),
        "reporting_days": int(days),
        "verified_energy": _number(verified_energy),
        "verified_tce_per_year": computed,  # the computed figure; claimable only when valid
        "claimable_tce_per_year": project.verified_tce_per_year,
        "verified_by": actor.username,
        "verified_at": now.isoformat(),
    }
    session.flush()
    after = {
        "state": project.state,
        "verified_tce_per_year": project.verified_tce_per_year,
        "computed_tce_per_year": computed,
        "valid": valid,
        "invalid_reasons": [w["code"] for w in failing],
        "adjustments": adjustments_out,
        "model_kind": result.model.kind,
    }
    append_audit(session, actor.username, "project.verify", "retrofit_project", project.id, before, after)
    return VerificationOut(
        project_id=project.id,
        state=project.state,
        valid=valid,
        invalid_reasons=failing,
        result=contract,
        adjustments_energy=adjustments,
        reporting_days=int(days),
        verified_energy=verified_energy,
        verified_tce_per_year=per_year,
        claimable_tce_per_year=project.verified_tce_per_year,
    )


def stored_verification(session: Session, actor: Principal, project_id: int) -> dict[str, Any] | None:
    """The stored M&V record of the project (None before verification)."""
    project = load_project(session, actor, project_id)
    return project.verification
