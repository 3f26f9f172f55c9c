"""Display helpers shared by the pages: numbers, dates, yes/no, tier/state labels, ECharts options.

Labels of codes (tiers, report and appeal states, bases, periods) come from the translation tables
(``tier.benchmark`` → 能效标杆水平以上), so a page never shows a bare code to a person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dualcarbon.core.localtime import local_text
from dualcarbon.core.vocab import TIER_ORDER
from dualcarbon.reference.glossary import in_language
from dualcarbon.ui.web.session import WebContext

#: Chart colours per tier: green (good) → red (bad), grey for undetermined.
TIER_COLOURS = {
    "benchmark": "#2e7d32",
    "between": "#f9a825",
    "below_baseline": "#c62828",
    "grade_1": "#2e7d32",
    "grade_2": "#7cb342",
    "grade_3": "#f9a825",
    "fails_limit": "#c62828",
    "undetermined": "#9e9e9e",
}


def number(value: Any, digits: int = 2) -> str:
    """``12,345.68`` — thousands separated, ``digits`` decimals; blank for None."""
    if value is None or value == "":
        return ""
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def rounded(value: Any, digits: int = 4) -> float | None:
    """A float rounded for a table cell (None stays None), so exports carry numbers, not text."""
    if value is None or value == "":
        return None
    try:
        return round(float(value), digits)
    except (TypeError, ValueError):
        return None


def when(value: Any, ctx: WebContext | None = None) -> str:
    """``2026-01-15 17:30（北京时间）`` from an ISO string or datetime: UTC moved to the configured display zone
    (settings ``timezone``) and labelled, in the page's language when ``ctx`` is given; a date stays a date."""
    if isinstance(value, datetime | date | str) or value is None:
        return local_text(value, ctx.language if ctx is not None else "zh")
    return str(value)


def yes_no(ctx: WebContext, value: Any) -> str:
    return ctx.t("common.yes") if value else ctx.t("common.no")


def label(ctx: WebContext, group: str, code: str | None) -> str:
    """The translated label of ``code`` in ``group`` (``tier``, ``state``, ``appeal``, ``basis`` …)."""
    if code is None:
        return ""
    key = f"{group}.{code}"
    text = ctx.t(key)
    return code if text == key else text


def period_text(ctx: WebContext, kind: str, year: int, period: int) -> str:
    """``2024年度`` / ``2024年第2季度`` / ``2024年3月`` (or English)."""
    if kind == "year":
        return ctx.t("period.year", year=year)
    if kind == "quarter":
        return ctx.t("period.quarter", year=year, period=period)
    return ctx.t("period.month", year=year, period=period)


def tier_sort_key(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


def pie_options(ctx: WebContext, counts: dict[str, int], title: str) -> dict[str, Any]:
    """ECharts pie of entry counts per tier."""
    tiers = sorted(counts, key=tier_sort_key)
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "avoidLabelOverlap": True,
                "label": {"formatter": "{b}\n{c}"},
                "data": [
                    {
                        "name": label(ctx, "tier", tier),
                        "value": counts[tier],
                        "itemStyle": {"color": TIER_COLOURS.get(tier, "#90a4ae")},
                    }
                    for tier in tiers
                ],
            }
        ],
    }


def stacked_bar_options(
    ctx: WebContext, categories: list[str], by_tier: dict[str, list[int]], title: str
) -> dict[str, Any]:
    """ECharts stacked bars: one bar per category (region), one stack segment per tier."""
    tiers = sorted(by_tier, key=tier_sort_key)
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 60, "containLabel": True},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"interval": 0, "rotate": 0}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": label(ctx, "tier", tier),
                "type": "bar",
                "stack": "tier",
                "data": by_tier[tier],
                "itemStyle": {"color": TIER_COLOURS.get(tier, "#90a4ae")},
            }
            for tier in tiers
        ],
    }


def data_label(ctx: WebContext, text: str | None, kind: str = "") -> str:
    """A data label (sector, field, product, indicator, unit, carrier) in the page's language: English names
    from the one glossary table (``reference/data/glossary_en.csv``) in English mode, as written otherwise."""
    return in_language(text, ctx.language, kind)
