"""The calendar of the efficiency catalog: half-year names, due dates, and which report year feeds a catalog.

The values are policy, not code: they are the ``catalog_schedule`` of the policy pack :data:`SCHEDULE_PACK`
(``reference/policies/national.yaml``, validated by :class:`dualcarbon.reference.policy.CatalogSchedule`),
which quotes its source — today the 云南 plan (seeds/004 §二（二）: "动态更新企业能效清单目录并于每年1月15日前、
7月15日前将变更情况及时报送省级部门") for the due dates, and the annual energy-use report of the previous year
(节约能源法 §53, our reading) for the report year.

A catalog is named ``YYYY-H1`` or ``YYYY-H2`` (the name format is the platform's and is also checked by the
database); the pack says when each is due in YYYY and how many years back its annual reports are.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy import CatalogSchedule, HalfYear, load_pack
from dualcarbon.reference.tables import ReferenceSet

SCHEDULE_PACK = "national"
HALF_PATTERN = re.compile(r"^(\d{4})-H([12])$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def catalog_schedule() -> CatalogSchedule:
    """The ``catalog_schedule`` of the policy pack :data:`SCHEDULE_PACK` (read once per process)."""
    pack = load_pack(SCHEDULE_PACK)
    if pack.catalog_schedule is None:
        raise InvalidInput(f"policy pack '{SCHEDULE_PACK}' has no catalog_schedule", field="pack")
    return pack.catalog_schedule


def half_names() -> str:
    """``YYYY-H1 (due 15 Jan) or YYYY-H2 (due 15 Jul)`` — the half-year names with their due days."""
    schedule = catalog_schedule()
    parts = [
        f"YYYY-{item.half} (due {item.due_day} {_MONTHS[item.due_month - 1]})"
        for item in sorted(schedule.halves, key=lambda item: item.half)
    ]
    return " or ".join(parts)


def parse_half(half: str) -> tuple[int, int]:
    """``'2025-H1'`` → (2025, 1); InvalidInput naming ``half`` otherwise."""
    match = HALF_PATTERN.match(half.strip() if isinstance(half, str) else "")
    if match is None:
        raise InvalidInput(
            f"'{half}' is not a half-year: write {half_names()}",
            field="half",
            zh=f"「{half}」不是有效的半年度，应写作 {half_names()}",
        )
    return int(match.group(1)), int(match.group(2))


def _half(number: int) -> HalfYear:
    return "H1" if number == 1 else "H2"


def due_date(half: str) -> date:
    """The day the catalog of ``half`` is due by (e.g. 2025-H2 → 2025-07-15)."""
    year, number = parse_half(half)
    return catalog_schedule().due_date(year, _half(number))


def data_year_for(half: str) -> int:
    """The year of the annual reports a catalog for ``half`` is built from (the previous year by the pack)."""
    return catalog_schedule().data_year(parse_half(half)[0])


def default_half(today: date | None = None) -> str:
    """The half-year of the catalog being prepared: H1 from January, H2 from the month H2 falls due."""
    today = today or date.today()
    schedule = catalog_schedule()
    started = [item.half for item in schedule.halves if item.due_month <= today.month]
    return f"{today.year}-{max(started) if started else 'H1'}"


def check_report_year(year: object, reference: ReferenceSet, field: str = "year") -> int:
    """``year`` when it is an integer in the platform's report-year range (``platform_rules`` table, the same
    bound the period reports use); InvalidInput naming ``field`` otherwise."""
    first, last = reference.report_year_range()
    if not isinstance(year, int) or isinstance(year, bool) or not first <= year <= last:
        raise InvalidInput(
            f"'{year}' is not a report year ({first}–{last})",
            field=field,
            zh=f"「{year}」不是有效的报告年份（{first}–{last}）",
        )
    return year
