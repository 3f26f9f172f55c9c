"""M&V criteria and the checks that turn them into structured warnings (never exceptions).

The values — balance-point grids, significance level, ASHRAE Guideline 14 fit thresholds, data-sufficiency
rules (coverage, baseline length, extreme values), FSU confidence and limits — come from the reference table
``mv_criteria`` (source and clause per row); the caller builds :class:`MvCriteria` from it. A threshold the
table leaves blank (no checked source gives it) is not applied, and a ``criterion_missing`` warning says so.
The table holds criteria sets (column ``criteria_set``): ``default`` (the platform's rules, ASHRAE Guideline 14
thresholds) and sets that override some of its rows — ``opendsm_legacy`` reproduces the model choice of
OpenDSM's legacy daily model (no significance test, ≥ 10 days per sloped segment, continuous balance points).

Checks (each a :class:`MvWarning` with a stable ``code`` and its figures in ``data``):
    baseline_too_short           span of the baseline < ``baseline_min_days``
    baseline_coverage_low        periods present / periods spanned < ``coverage_min_pct`` (also reporting_…)
    baseline_month_coverage_low  daily data: a calendar month with fewer days present than ``month_coverage_min_pct``
    extreme_values               baseline energy above median + k × IQR (flag for manual review)
    cvrmse_above_threshold, nmbe_above_threshold, r2_below_threshold     fit against the thresholds
    fsu_above_threshold          FSU at the criterion's confidence above ``fsu_max_pct``
    reporting_outside_baseline_range   a factor's reporting mean outside the baseline [min, max]
    reporting_overlaps_baseline  reporting periods inside the baseline's span (the saving compares a period with itself)

Validity: a verification whose warnings include one of :data:`FAILING_CODES` (a threshold of ``mv_criteria``
not met, or an overlap) does not meet the criteria — :func:`failed_criteria` lists those warnings; the others
(missing criteria, extreme values, extrapolation, incomplete factors) are for review and do not invalidate it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from dualcarbon.core.errors import InvalidInput, MissingCoefficient, zh_en
from dualcarbon.domain.mv_models import Grid, Interval, Observations, Selection
from dualcarbon.reference.tables import ReferenceSet, parse_number

#: The reference table of the M&V rules (src/dualcarbon/reference/data/mv_criteria.csv).
CRITERIA_TABLE = "mv_criteria"
#: The criteria set every other set overrides (rows with a blank ``criteria_set`` belong to it).
DEFAULT_SET = "default"


@dataclass(frozen=True)
class MvWarning:
    """A structured warning: stable ``code``, an English ``message`` and the figures behind it."""

    code: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": dict(self.data)}


@dataclass(frozen=True)
class MvCriteria:
    """The rules applied to one interval; ``None`` = no value in the reference table (not applied)."""

    heating: Grid
    cooling: Grid
    coefficient_p_max: float
    fsu_confidence: float  # two-sided, e.g. 0.90
    fsu_empirical_factor: float
    cvrmse_max_pct: float | None = None
    nmbe_abs_max_pct: float | None = None
    r2_min: float | None = None
    coverage_min_pct: float | None = None
    month_coverage_min_pct: float | None = None
    baseline_min_days: float | None = None
    extreme_iqr_factor: float | None = None
    fsu_max_pct: float | None = None
    fsu_max_confidence: float | None = None
    segment_min_periods: int | None = None
    balance_refine_step_c: float | None = None
    criteria_set: str = DEFAULT_SET
    row_ids: Mapping[str, str] = field(default_factory=dict)  # criterion key → reference row id

    @property
    def selection(self) -> Selection:
        return Selection(self.segment_min_periods, self.balance_refine_step_c)


#: Warning codes that mean the verification does not meet the criteria (model not valid, 未通过验证).
FAILING_CODES = frozenset(
    {
        "baseline_too_short",
        "baseline_coverage_low",
        "reporting_coverage_low",
        "baseline_month_coverage_low",
        "reporting_month_coverage_low",
        "cvrmse_above_threshold",
        "nmbe_above_threshold",
        "r2_below_threshold",
        "fsu_above_threshold",
        "reporting_overlaps_baseline",
    }
)


def failed_criteria(warnings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The warnings (as stored: ``{code, message, data}``) that make a verification not valid, in order."""
    return [dict(w) for w in warnings if w.get("code") in FAILING_CODES]


def overlap_warnings(
    baseline_starts: Sequence[date], reporting_starts: Sequence[date], interval: Interval
) -> list[MvWarning]:
    """Reporting periods that fall inside the baseline's span (``*_starts`` sorted): the model would be
    compared with the data it was fitted on."""
    if not baseline_starts or not reporting_starts:
        return []
    first, end = baseline_starts[0], period_end(baseline_starts[-1], interval)
    inside = [s for s in reporting_starts if s < end and period_end(s, interval) > first]
    if not inside:
        return []
    zh = f"报告期有 {len(inside)} 个周期落在基期（{first} 至 {end - timedelta(days=1)}）之内"
    en = f"{len(inside)} reporting period(s) lie inside the baseline ({first} to {end - timedelta(days=1)})"
    return [
        MvWarning(
            "reporting_overlaps_baseline",
            zh_en(zh, en),
            {
                "count": len(inside),
                "periods": [s.isoformat() for s in inside[:50]],
                "baseline_from": first.isoformat(),
                "baseline_to": (end - timedelta(days=1)).isoformat(),
            },
        )
    ]


def criteria_sets(reference: ReferenceSet) -> list[str]:
    """The criteria sets of the ``mv_criteria`` table, the default first."""
    names = {_set_of(row) for row in reference.tables[CRITERIA_TABLE].rows} - {DEFAULT_SET}
    return [DEFAULT_SET, *sorted(names)]


def _set_of(row: Mapping[str, str]) -> str:
    return (row.get("criteria_set") or "").strip() or DEFAULT_SET


def criteria_from_reference(
    reference: ReferenceSet, interval: Interval, criteria_set: str = DEFAULT_SET
) -> tuple[MvCriteria, list[dict[str, str]]]:
    """The ``mv_criteria`` rows of ``interval`` and of "all" as :class:`MvCriteria`, and those rows (row_id, key,
    confidence): the default set's rows, overridden key by key by the rows of ``criteria_set`` (an "all" row of
    the set also replaces the default's row for the interval). A blank optional threshold stays None (not
    applied); a blank rule the fit cannot do without (grids, p_max, FSU confidence and factor) raises
    ``MissingCoefficient`` naming the row; an unknown set raises ``InvalidInput``."""
    known = criteria_sets(reference)
    if criteria_set not in known:
        zh = f"未知的核定准则组“{criteria_set}”（可选：{'、'.join(known)}）"
        raise InvalidInput(
            zh_en(zh, f"unknown M&V criteria set '{criteria_set}' (the {CRITERIA_TABLE} table has {', '.join(known)})"),
            field="criteria_set",
            zh=zh,
        )
    chosen: dict[str, Mapping[str, str]] = {}
    for layer in dict.fromkeys((DEFAULT_SET, criteria_set)):
        for row in reference.tables[CRITERIA_TABLE].rows:
            if _set_of(row) == layer and row.get("interval", "").strip() in ("all", interval):
                key = row["key"].strip()
                if layer == DEFAULT_SET and key in chosen and row.get("interval", "").strip() == "all":
                    continue  # the default's interval-specific row wins over its "all" row
                chosen[key] = row
    values = {key: parse_number(row.get("value")) for key, row in chosen.items()}
    row_ids = {key: row["row_id"] for key, row in chosen.items()}
    used = [
        {"row_id": row["row_id"], "key": key, "confidence": row.get("confidence", "")} for key, row in chosen.items()
    ]

    def need(key: str) -> float:
        value = values.get(key)
        if value is None:
            raise MissingCoefficient(
                f"M&V criterion '{key}' is missing or blank in {CRITERIA_TABLE} (row {row_ids.get(key, '—')}); "
                "import the table with `dualcarbon reference import`"
            )
        return value

    def percent(key: str) -> float | None:
        value = values.get(key)
        return None if value is None else value / 100.0

    step = need("balance_step_c")
    criteria = MvCriteria(
        heating=Grid(need("heating_balance_min_c"), need("heating_balance_max_c"), step),
        cooling=Grid(need("cooling_balance_min_c"), need("cooling_balance_max_c"), step),
        coefficient_p_max=need("coefficient_p_max"),
        fsu_confidence=need("fsu_confidence_pct") / 100.0,
        fsu_empirical_factor=need("fsu_empirical_factor"),
        cvrmse_max_pct=values.get("cvrmse_max_pct"),
        nmbe_abs_max_pct=values.get("nmbe_abs_max_pct"),
        r2_min=values.get("r2_min"),
        coverage_min_pct=values.get("coverage_min_pct"),
        month_coverage_min_pct=values.get("month_coverage_min_pct"),
        baseline_min_days=values.get("baseline_min_days"),
        extreme_iqr_factor=values.get("extreme_iqr_factor"),
        fsu_max_pct=values.get("fsu_max_pct"),
        fsu_max_confidence=percent("fsu_max_confidence_pct"),
        segment_min_periods=None if values.get("segment_min_periods") is None else int(need("segment_min_periods")),
        balance_refine_step_c=values.get("balance_refine_step_c"),
        criteria_set=criteria_set,
        row_ids=row_ids,
    )
    return criteria, used


def period_end(start: date, interval: Interval) -> date:
    """The day after the period starting at ``start`` (a day, or a calendar month)."""
    if interval == "day":
        return start + timedelta(days=1)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def period_days(starts: Sequence[date], interval: Interval) -> list[float]:
    """Days per period: 1 for daily data, the calendar month's length for monthly data."""
    if interval == "day":
        return [1.0] * len(starts)
    return [float((period_end(s, interval) - s).days) for s in starts]


def _spanned(starts: Sequence[date], interval: Interval) -> int:
    first, last = starts[0], starts[-1]
    if interval == "day":
        return (last - first).days + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _missing(key: str, interval: Interval, criteria: MvCriteria) -> MvWarning:
    return MvWarning(
        "criterion_missing",
        f"no {key} for {'daily' if interval == 'day' else 'monthly'} data in mv_criteria "
        "(no checked source gives one); not checked",
        {"criterion": key, "interval": interval, "row_id": criteria.row_ids.get(key)},
    )


def sufficiency(
    label: str, starts: Sequence[date], energy: np.ndarray, interval: Interval, criteria: MvCriteria
) -> list[MvWarning]:
    """Data-sufficiency warnings of one period (``label`` "baseline" or "reporting"); ``starts`` sorted."""
    out: list[MvWarning] = []
    spanned = _spanned(starts, interval)
    if criteria.coverage_min_pct is not None:
        coverage = len(starts) / spanned * 100.0
        if coverage < criteria.coverage_min_pct:
            out.append(
                MvWarning(
                    f"{label}_coverage_low",
                    f"{label}: {len(starts)} of {spanned} {interval}s present ({coverage:.1f} %), "
                    f"below {criteria.coverage_min_pct:g} %",
                    {
                        "present": len(starts),
                        "spanned": spanned,
                        "coverage_pct": coverage,
                        "limit_pct": criteria.coverage_min_pct,
                        "row_id": criteria.row_ids.get("coverage_min_pct"),
                    },
                )
            )
    if label == "baseline":
        span_days = (period_end(starts[-1], interval) - starts[0]).days
        if criteria.baseline_min_days is not None and span_days < criteria.baseline_min_days:
            out.append(
                MvWarning(
                    "baseline_too_short",
                    f"baseline spans {span_days} days, fewer than {criteria.baseline_min_days:g}",
                    {
                        "days": span_days,
                        "limit_days": criteria.baseline_min_days,
                        "row_id": criteria.row_ids.get("baseline_min_days"),
                    },
                )
            )
        out += _extremes(starts, energy, criteria)
    if interval == "day" and criteria.month_coverage_min_pct is not None:
        out += _month_coverage(label, starts, criteria.month_coverage_min_pct, criteria)
    return out


def _month_coverage(label: str, starts: Sequence[date], limit: float, criteria: MvCriteria) -> list[MvWarning]:
    present = Counter((s.year, s.month) for s in starts)
    first, last = starts[0], starts[-1]
    low: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        begin = max(date(year, month, 1), first)
        end = min(period_end(date(year, month, 1), "month") - timedelta(days=1), last)
        expected = (end - begin).days + 1
        if present[(year, month)] / expected * 100.0 < limit:
            low.append(f"{year:04d}-{month:02d}")
        year, month = year + (month == 12), month % 12 + 1
    if not low:
        return []
    return [
        MvWarning(
            f"{label}_month_coverage_low",
            f"{label}: {len(low)} month(s) with less than {limit:g} % of days present ({', '.join(low[:6])}"
            + (" …)" if len(low) > 6 else ")"),
            {"months": low, "limit_pct": limit, "row_id": criteria.row_ids.get("month_coverage_min_pct")},
        )
    ]


def _extremes(starts: Sequence[date], energy: np.ndarray, criteria: MvCriteria) -> list[MvWarning]:
    if criteria.extreme_iqr_factor is None or len(energy) < 4:
        return []
    q1, median, q3 = np.percentile(energy, [25, 50, 75])
    limit = float(median + criteria.extreme_iqr_factor * (q3 - q1))
    high = [starts[int(i)].isoformat() for i in np.flatnonzero(energy > limit)]
    if not high:
        return []
    return [
        MvWarning(
            "extreme_values",
            f"baseline: {len(high)} period(s) above median + {criteria.extreme_iqr_factor:g} × IQR = {limit:.6g}; "
            "review them",
            {"periods": high, "limit": limit, "row_id": criteria.row_ids.get("extreme_iqr_factor")},
        )
    ]


def fit_warnings(
    interval: Interval, r2: float | None, cvrmse_pct: float | None, nmbe_pct: float | None, criteria: MvCriteria
) -> list[MvWarning]:
    """Goodness of fit against the thresholds of the interval (blank thresholds → ``criterion_missing``)."""
    out: list[MvWarning] = []
    checks: list[tuple[str, float | None, float | None, bool, str]] = [
        ("cvrmse_max_pct", cvrmse_pct, criteria.cvrmse_max_pct, True, "cvrmse_above_threshold"),
        (
            "nmbe_abs_max_pct",
            None if nmbe_pct is None else abs(nmbe_pct),
            criteria.nmbe_abs_max_pct,
            True,
            "nmbe_above_threshold",
        ),
        ("r2_min", r2, criteria.r2_min, False, "r2_below_threshold"),
    ]
    for key, value, limit, is_max, code in checks:
        if limit is None:
            out.append(_missing(key, interval, criteria))
        elif value is not None and (value > limit if is_max else value < limit):
            out.append(
                MvWarning(
                    code,
                    f"{key.removesuffix('_pct').removesuffix('_max').removesuffix('_min')} = {value:.4g} is "
                    f"{'above' if is_max else 'below'} the limit {limit:g}",
                    {"value": value, "limit": limit, "row_id": criteria.row_ids.get(key)},
                )
            )
    return out


def range_warnings(baseline: Observations, reporting: Observations, used: Sequence[str]) -> list[MvWarning]:
    """SEP-style data validation: each factor used whose reporting mean lies outside the baseline range."""
    out: list[MvWarning] = []
    for name in used:
        if name == "temperature":
            if baseline.temperature_c is None or reporting.temperature_c is None:
                continue
            before, after = baseline.temperature_c, reporting.temperature_c
        else:
            before, after = baseline.production[name], reporting.production[name]
        mean = float(after.mean())
        low, high = float(before.min()), float(before.max())
        if not low <= mean <= high:
            out.append(
                MvWarning(
                    "reporting_outside_baseline_range",
                    f"reporting mean of {name} ({mean:.6g}) lies outside the baseline range [{low:.6g}, {high:.6g}]: "
                    "the adjusted baseline extrapolates",
                    {"factor": name, "reporting_mean": mean, "baseline_min": low, "baseline_max": high},
                )
            )
    return out
