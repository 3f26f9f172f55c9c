"""Yearly completion shares of a region's projects against a policy schedule, and the library's totals.

Shares (Shanghai 百一: 2022 ≥ 20 %, 2023 ≥ 30 %, 2024 ≥ 30 %, 2025 ≥ 20 % of the listed projects completed —
the ``retrofit_completion_share`` schedule of the pack, never numbers in code):

* the schedule's window is its years (Shanghai: 2022–2025). A project whose deadline is after the window's last
  year and that was not completed within it is outside the schedule (e.g. a project of 2026 due in 2029): it is
  listed apart in ``outside``, with the schedule's source clause in ``source``, and not counted;
* ``projects`` N — the region subtree's projects in the library, exited ones and those outside left out;
* for each year Y of the schedule: ``done`` = projects completed (state completed or verified) with
  ``completed_on`` in Y; ``done_pct`` = done ÷ N × 100; cumulative shares add the years so far;
  ``planned`` = projects whose deadline falls in Y; completions before the schedule's first year count in
  that first year;
* ``status``: ``met`` when the cumulative done share reaches the cumulative required share; else ``behind``
  when Y is over (Y < the as-of year), else ``open``.

Totals (the dashboard's 项目库 figures): project count, per state, demonstration projects, Σ expected tce/a
of projects not exited, Σ expected tce/a of completed/verified projects, Σ verified tce/a (腾出用能空间),
Σ investment.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.schemas import LibraryTotals, ShareOutside, Shares, ShareYear
from dualcarbon.projects.service_lifecycle import today_local
from dualcarbon.reference.policy import PolicyPack, Schedule, load_pack
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_region

SHARES_PACK = "shanghai-baiyi-2022"
SHARE_SCHEDULE_KIND = "retrofit_completion_share"
DONE_STATES = ("completed", "verified")
STATUS_ZH = {"met": "已达到", "behind": "进度滞后", "open": "进行中"}


def _schedule(policy: PolicyPack) -> Schedule:
    for schedule in policy.schedules:
        if schedule.kind == SHARE_SCHEDULE_KIND:
            return schedule
    zh = f"政策包 {policy.id} 没有项目完成比例进度表（{SHARE_SCHEDULE_KIND}）"
    en = f"policy pack {policy.id} has no {SHARE_SCHEDULE_KIND} schedule"
    raise InvalidInput(zh_en(zh, en), field="pack", zh=zh)


def _region_projects(session: Session, actor: Principal, region_code: str | None) -> list[RetrofitProject]:
    query = (
        select(RetrofitProject)
        .join(Enterprise, Enterprise.id == RetrofitProject.enterprise_id)
        .where(enterprise_filter(actor))
    )
    if region_code:
        query = query.where(in_region_subtree(Enterprise.region_code.expression, region_code))
    return list(session.scalars(query.order_by(RetrofitProject.id)))


def completion_shares(
    session: Session,
    actor: Principal,
    region_code: str,
    *,
    pack: str | PolicyPack = SHARES_PACK,
    as_of: date | None = None,
) -> Shares:
    """Planned vs done per schedule year for the region's projects (regulator or reviewer of the region)."""
    require_region(session, actor, region_code, roles=("regulator", "reviewer"))
    policy = pack if isinstance(pack, PolicyPack) else load_pack(pack)
    schedule = _schedule(policy)
    day = as_of or today_local()
    first, last = min(schedule.values), max(schedule.values)
    live = [p for p in _region_projects(session, actor, region_code) if p.state != "exited"]
    outside = [p for p in live if _outside(p, last)]
    projects = [p for p in live if not _outside(p, last)]
    total = len(projects)
    done_by_year = Counter(p.completed_on.year for p in projects if p.state in DONE_STATES and p.completed_on)
    planned_by_year = Counter(p.deadline.year for p in projects if p.deadline)
    years: list[ShareYear] = []
    required_cum = 0.0
    done_cum = 0
    for year in sorted(schedule.values):
        required = schedule.values[year]
        required_cum += required
        done = done_by_year.get(year, 0)
        if year == first:  # completions before the schedule count towards its first year
            done += sum(n for y, n in done_by_year.items() if y < year)
        done_cum += done
        done_cum_pct = done_cum / total * 100.0 if total else None
        if done_cum_pct is not None and done_cum_pct >= required_cum - 1e-9:
            status = "met"
        elif year < day.year:
            status = "behind"
        else:
            status = "open"
        years.append(
            ShareYear(
                year=year,
                required_pct=required,
                required_cumulative_pct=required_cum,
                done=done,
                done_pct=done / total * 100.0 if total else None,
                done_cumulative_pct=done_cum_pct,
                planned=planned_by_year.get(year, 0),
                status=status,  # type: ignore[arg-type]
                status_zh=STATUS_ZH[status],
            )
        )
    codes = _credit_codes(session, outside)
    return Shares(
        region_code=region_code,
        pack=policy.id,
        schedule_id=schedule.id,
        projects=total,
        as_of=day,
        years=years,
        first_year=first,
        last_year=last,
        outside=[
            ShareOutside(id=p.id, name=p.name, credit_code=codes[p.enterprise_id], deadline=p.deadline, state=p.state)
            for p in outside
            if p.deadline is not None
        ],
        source=f"{schedule.source.document or policy.document.number or policy.id} {schedule.source.clause}".strip(),
    )


def _outside(project: RetrofitProject, last_year: int) -> bool:
    """Due after the schedule's last year and not completed within it: not part of the schedule."""
    if project.deadline is None or project.deadline.year <= last_year:
        return False
    done_in_window = (
        project.state in DONE_STATES and project.completed_on is not None and project.completed_on.year <= last_year
    )
    return not done_in_window


def _credit_codes(session: Session, projects: list[RetrofitProject]) -> dict[int, str]:
    ids = {p.enterprise_id for p in projects}
    if not ids:
        return {}
    rows = session.execute(select(Enterprise.id, Enterprise.credit_code).where(Enterprise.id.in_(ids)))
    return {enterprise_id: code for enterprise_id, code in rows}


def library_totals(session: Session, actor: Principal, region_code: str | None = None) -> LibraryTotals:
    """The library's figures for the dashboard, over the projects the actor may read (optionally one region)."""
    projects = _region_projects(session, actor, region_code)
    live = [p for p in projects if p.state != "exited"]
    done = [p for p in live if p.state in DONE_STATES]
    return LibraryTotals(
        region_code=region_code,
        projects=len(projects),
        by_state=dict(sorted(Counter(p.state for p in projects).items())),
        demonstration=sum(1 for p in projects if p.demonstration),
        expected_tce_per_year=math.fsum(p.saving_tce_per_year or 0.0 for p in live),
        completed_expected_tce_per_year=math.fsum(p.saving_tce_per_year or 0.0 for p in done),
        verified_tce_per_year=math.fsum(p.verified_tce_per_year or 0.0 for p in live),
        investment_yuan=math.fsum(p.investment_yuan or 0.0 for p in live),
    )
