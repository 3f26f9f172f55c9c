"""Progress of a target: achieved against target, completion by year, the rate still needed, the warning level.

* compound declines (intensity −9 %): the recorded yearly declines compound, A = 1 − Π(1 − dᵢ); the average
  annual decline the remaining years need is :func:`dualcarbon.domain.targets.required_rate` — the function
  behind ``dualcarbon calc target`` — with years left = target year − the last recorded year. The planned
  path by year is the even rate r₀ = 1 − (1 − T)^(1/n) over the n years from the base year.
* sums (projects, tce freed, kW): cumulative over the recorded years; planned path straight-line from the
  base year to the target year (when both are known).
* per-year targets: each year against the value on its own; levels (shares): the latest year's value.
* capacity shares: computed from the published catalog (:mod:`.service_capacity`), never recorded.

The warning level is the ``completion_rate`` scheme of the packs (warning_schemes; the scheme behind
``dualcarbon calc warning``) applied to completion = achieved / target × 100, through
:func:`dualcarbon.domain.rules.warning_level`. A target "at most" (below-baseline capacity share 0 %) has no
completion rate: it is met or not, and no level is given.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.rules import warning_level
from dualcarbon.domain.targets import cumulative_decline, required_rate
from dualcarbon.reference.policy import PolicyPack, WarningScheme, list_packs, load_pack, packs_dir
from dualcarbon.targets.models import PolicyTarget
from dualcarbon.targets.schemas import CapacityShare, ProgressOut, WarningOut, YearProgressOut
from dualcarbon.targets.service import load_target, measure_of, target_out
from dualcarbon.targets.service_capacity import capacity_shares, catalog_in_force

DIGITS = 6
WARNING_SCHEME = "completion_rate"


def warning_scheme(scheme_id: str = WARNING_SCHEME) -> tuple[PolicyPack, WarningScheme]:
    """The shipped pack holding the warning scheme, and the scheme. Parsing every pack took about a second a
    call (one per target on the targets page), so the answer is kept while the pack files are unchanged."""
    stamp = tuple(sorted((path.name, path.stat().st_mtime_ns) for path in packs_dir().glob("*.yaml")))
    return _find_scheme(scheme_id, stamp)


@lru_cache(maxsize=8)
def _find_scheme(scheme_id: str, stamp: tuple[tuple[str, int], ...]) -> tuple[PolicyPack, WarningScheme]:
    for name in list_packs():
        pack = load_pack(name)
        for scheme in pack.warning_schemes:
            if scheme.id == scheme_id:
                return pack, scheme
    raise InvalidInput(f"no warning scheme '{scheme_id}' in the shipped packs", field="scheme")


def _warning(completion_pct: float | None) -> WarningOut | None:
    if completion_pct is None:
        return None
    _, scheme = warning_scheme()
    value = round(completion_pct, 9)
    level, band = warning_level(scheme, value)
    label = next((b.label_zh for b in scheme.bands if b.level == level and b.contains(value)), "")
    return WarningOut(
        level=level,
        label_zh=label or level,
        scheme=scheme.id,
        value=value,
        rule=band,
        clause=scheme.source.clause,
        clause_en=scheme.source.clause_en,
        confidence=scheme.source.confidence,
    )


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _met(target: PolicyTarget, achieved: float | None) -> bool | None:
    if achieved is None:
        return None
    return achieved >= target.value if target.comparison == "at_least" else achieved <= target.value


def _completion(target: PolicyTarget, achieved: float | None) -> float | None:
    if achieved is None or target.comparison != "at_least" or target.value <= 0:
        return None
    return achieved / target.value * 100


def _span(target: PolicyTarget) -> int | None:
    if target.base_year is None or target.target_year is None or target.target_year <= target.base_year:
        return None
    return target.target_year - target.base_year


def _declines(target: PolicyTarget, out: ProgressOut, recorded: dict[int, float]) -> None:
    years = sorted(recorded)
    total = target.value / 100
    span = _span(target)
    even = None if span is None else 1 - (1 - total) ** (1 / span)
    achieved = 0.0
    for index, year in enumerate(years, start=1):
        achieved = cumulative_decline([recorded[y] / 100 for y in years[:index]])
        planned = None
        if even is not None and target.base_year is not None:
            planned = 1 - (1 - even) ** (year - target.base_year)
        out.years.append(
            YearProgressOut(
                year=year,
                achieved=recorded[year],
                cumulative=_r(achieved * 100),
                completion_pct=_r(achieved / total * 100),
                planned_pct=_r(None if planned is None else planned / total * 100),
                behind=None if planned is None else achieved < planned - 1e-12,
            )
        )
    out.achieved = _r(achieved * 100) if years else None
    out.completion_pct = _r(achieved / total * 100) if years else None
    out.met = achieved >= total if years else None
    if target.target_year is None:
        _note(
            out,
            "没有目标年份，无法计算剩余年份所需的年均降幅",
            "no target year: the annual decline still needed cannot be computed",
        )
        return
    last = years[-1] if years else (target.base_year or out.as_of_year)
    years_left = target.target_year - last
    if years_left < 1:
        _note(out, f"目标期已于 {target.target_year} 年结束", f"the target period ended in {target.target_year}")
        return
    needed = required_rate(total, achieved, years_left)
    out.years_left = years_left
    out.required_annual_decline_pct = _r(needed.required_annual_decline * 100)
    out.required_text_zh = (
        f"剩余 {years_left} 年需年均下降 {needed.required_annual_decline * 100:.2f}%"
        if not needed.already_met
        else f"目标已完成（累计下降 {achieved * 100:.2f}%）"
    )
    out.required_text_en = (
        f"{needed.required_annual_decline * 100:.2f}% decline a year needed over the "
        f"{years_left} year{'s' if years_left != 1 else ''} left"
        if not needed.already_met
        else f"target met (cumulative decline {achieved * 100:.2f}%)"
    )


def _amounts(target: PolicyTarget, out: ProgressOut, recorded: dict[int, float], measure: str) -> None:
    span = _span(target)
    running = 0.0
    for year in sorted(recorded):
        running += recorded[year]
        if measure == "annual":
            counted = recorded[year]
            planned_pct: float | None = 100.0
        else:
            counted = running if measure == "sum" else recorded[year]
            planned_pct = None
            if measure == "sum" and span is not None and target.base_year is not None:
                planned_pct = min(max(year - target.base_year, 0) / span, 1.0) * 100
        completion = _completion(target, counted)
        out.years.append(
            YearProgressOut(
                year=year,
                achieved=recorded[year],
                cumulative=_r(counted),
                completion_pct=_r(completion),
                planned_pct=_r(planned_pct),
                behind=None if completion is None or planned_pct is None else completion < planned_pct - 1e-9,
            )
        )
    if recorded:
        last = max(recorded)
        out.achieved = _r(running if measure == "sum" else recorded[last])
        out.completion_pct = _r(_completion(target, out.achieved))
        out.met = _met(target, out.achieved)


def _note(out: ProgressOut, zh: str, en: str) -> None:
    """A note in both languages: ``notes`` (Chinese, as the CLI and documents print it) and ``notes_en``."""
    out.notes.append(zh)
    out.notes_en.append(en)


def _capacity(session: Session, target: PolicyTarget, out: ProgressOut, measure: str) -> None:
    catalog = catalog_in_force(session, target.region_code)
    if catalog is None:
        _note(
            out,
            "该地区尚无已发布的能效清单目录，无法计算产能占比",
            "no published efficiency catalog in this region: no capacity shares",
        )
        return
    out.catalog_id, out.snapshot_hash = catalog.id, catalog.snapshot_hash
    out.capacity = capacity_shares(session, catalog.id, target.product)
    counted: list[CapacityShare] = [row for row in out.capacity if row.capacity_total > 0]
    skipped = sum(row.entries_without_capacity for row in out.capacity)
    if skipped:
        _note(
            out,
            f"{skipped} 条目录条目没有装置产能或无法判定，未计入占比",
            f"{skipped} catalog entries have no plant capacity or could not be judged: not in the shares",
        )
    units = {row.capacity_unit for row in counted}
    if len(units) != 1:
        if counted:
            _note(
                out,
                "各产品产能单位不同，不能相加：只给出分产品占比",
                "the products' capacities are in different units and cannot be added: shares by product only",
            )
        return
    total = sum(row.capacity_total for row in counted)
    part = sum(
        row.capacity_benchmark if measure == "catalog_benchmark_share" else row.capacity_below_baseline
        for row in counted
    )
    out.achieved = _r(part / total * 100)
    out.completion_pct = _r(_completion(target, out.achieved))
    out.met = _met(target, out.achieved)


def progress(session: Session, actor: Principal, target_id: int, *, as_of_year: int | None = None) -> ProgressOut:
    """The target's progress up to ``as_of_year`` (default: its last recorded year)."""
    target = load_target(session, actor, target_id)
    measure = measure_of(target.kind)
    recorded = {row.year: row.achieved for row in target.years if as_of_year is None or row.year <= as_of_year}
    year = as_of_year or (max(recorded) if recorded else (target.base_year or target.target_year or 0))
    unit = "%" if measure.startswith("catalog_") or measure == "compound_decline" else target.unit
    out = ProgressOut(
        target=target_out(session, target),
        as_of_year=year,
        achieved=None,
        achieved_unit=unit,
        completion_pct=None,
        met=None,
    )
    if measure == "compound_decline":
        _declines(target, out, recorded)
    elif measure.startswith("catalog_"):
        _capacity(session, target, out, measure)
    else:
        _amounts(target, out, recorded, measure)
    if out.achieved is None and not measure.startswith("catalog_"):
        _note(out, "尚未填报完成情况", "nothing recorded yet")
    out.warning = _warning(out.completion_pct)
    return out
