"""Enterprises of a region by warning level (预警等级分布), for the region dashboard.

* Which enterprises: those in the region's subtree the caller may read that are watched — they have meters or
  an energy budget (the same set :func:`.service_alerts.evaluate` judges).
* An enterprise's level is the most severe level of its alerts that are not closed; with none it is the scheme's
  mildest level (green: nothing is wrong).
* The level scheme is the one the policy packs give the region (:func:`.service_rules.budget_scheme_id` — by
  default the completion-rate scheme): its levels, their Chinese names and the clause are shown beside the counts.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dualcarbon.alerts.models import ALERT_LEVELS, Alert, EnergyBudget
from dualcarbon.alerts.schemas import RegionLevels
from dualcarbon.alerts.service_rules import LEVEL_ORDER, LEVEL_ZH, budget_scheme_id, find_scheme
from dualcarbon.core.access import Principal
from dualcarbon.monitoring.models import Meter
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_region


def region_levels(session: Session, principal: Principal, region: str) -> RegionLevels:
    """Counts of the region's watched enterprises per warning level (see the module docstring)."""
    code = region.strip()
    require_region(session, principal, code, roles=("regulator", "reviewer"))
    pack, scheme = find_scheme(budget_scheme_id(code))
    levels = [level for level in LEVEL_ORDER if any(band.level == level for band in scheme.bands)]
    watched = or_(
        Enterprise.id.in_(select(Meter.enterprise_id)),
        Enterprise.id.in_(select(EnergyBudget.enterprise_id)),
    )
    ids = set(
        session.scalars(
            select(Enterprise.id).where(
                watched,
                enterprise_filter(principal),
                in_region_subtree(Enterprise.region_code, code),  # type: ignore[arg-type]
            )
        )
    )
    worst: dict[int, int] = {}
    if ids:
        rows = session.execute(
            select(Alert.enterprise_id, Alert.level).where(Alert.state != "closed", Alert.enterprise_id.in_(ids))
        ).all()
        for enterprise_id, level in rows:
            worst[enterprise_id] = max(worst.get(enterprise_id, -1), ALERT_LEVELS.index(level))
    counts = dict.fromkeys(levels, 0)
    mildest = levels[0]
    for enterprise_id in ids:
        level = ALERT_LEVELS[worst[enterprise_id]] if enterprise_id in worst else mildest
        counts[level if level in counts else levels[-1]] += 1
    return RegionLevels(
        region_code=code,
        scheme=scheme.id,
        scheme_title_zh=scheme.title_zh,
        clause=scheme.source.clause,
        clause_en=scheme.source.clause_en,
        document=pack.document.title,
        levels=levels,
        levels_zh={level: LEVEL_ZH[level] for level in levels},
        counts=counts,
        enterprises=len(ids),
    )
