"""Target arithmetic: the annual decline still needed, and cumulative completion against a yearly plan.

Declines are fractions (0.135 = 13.5 %) and compound: after a cumulative decline A, ``n`` more years of an
average annual decline r reach the total T when (1 − T) = (1 − A)(1 − r)^n, so
r = 1 − ((1 − T)/(1 − A))^(1/n). Yearly declines d₁…d_k give A = 1 − Π(1 − d_i). Pure; no rounding here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dualcarbon.core.errors import InvalidInput


def cumulative_decline(yearly: Sequence[float]) -> float:
    """A = 1 − Π(1 − d_i): the declines of successive years compounded."""
    return 1 - math.prod(1 - d for d in yearly)


@dataclass(frozen=True)
class RequiredRate:
    required_annual_decline: float
    achieved_cumulative: float
    remaining_factor: float  # (1 − T)/(1 − A): what is left to go, as a ratio of intensities
    completion_ratio: float  # A / T, the simple ratio many reports quote
    already_met: bool


def required_rate(target_total: float, achieved: float, years_left: int) -> RequiredRate:
    """The average annual decline the remaining ``years_left`` years need to reach ``target_total``."""
    if not 0 < target_total < 1:
        raise InvalidInput("must be a fraction between 0 and 1 (0.135 = 13.5 %)", field="target_total_decline")
    if not achieved < 1:
        raise InvalidInput("a cumulative decline must be below 1 (100 %)", field="achieved_cumulative")
    if years_left < 1:
        raise InvalidInput("must be at least 1 (no years left: nothing can be required)", field="years_left")
    remaining = (1 - target_total) / (1 - achieved)
    rate = 1 - remaining ** (1 / years_left)
    return RequiredRate(rate, achieved, remaining, achieved / target_total, achieved >= target_total)


@dataclass(frozen=True)
class YearProgress:
    year: int
    planned_share: float  # cumulative share of the list planned done by the end of the year
    planned: float  # cumulative count planned (listed × share; not rounded)
    done: int  # cumulative count done
    behind: bool


def completion_shares(plan: Mapping[int, float], listed: int, done_by_year: Mapping[int, int]) -> list[YearProgress]:
    """Cumulative planned (listed × cumulative share) against cumulative done, year by year."""
    if listed < 1:
        raise InvalidInput("must be at least 1", field="listed")
    total = sum(plan.values())
    if total > 1 + 1e-9:
        raise InvalidInput(f"the shares add up to {total:g}, more than 1 (100 %)", field="plan")
    for year in done_by_year:
        if year not in plan:
            raise InvalidInput(
                f"year {year} is not in the plan ({', '.join(map(str, sorted(plan)))})", field=f"done_by_year.{year}"
            )
    if sum(done_by_year.values()) > listed:
        raise InvalidInput(f"more done ({sum(done_by_year.values())}) than listed ({listed})", field="done_by_year")
    out: list[YearProgress] = []
    share = 0.0
    done = 0
    for year in sorted(plan):
        share += plan[year]
        done += done_by_year.get(year, 0)
        planned = listed * share
        out.append(YearProgress(year, share, planned, done, done < planned - 1e-9))
    return out
