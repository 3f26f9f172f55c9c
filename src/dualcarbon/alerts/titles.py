"""An alert's title in the page's language, built from its source, level and detail with the i18n keys
``alert_title.<variant>`` — the stored alert keeps its codes and its Chinese title (``title_zh``, used by the
webhook and the e-mail). The Chinese templates give back the stored title; an alert whose detail lacks a field
a template needs (an older row) shows its stored title.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dualcarbon.reference.glossary import in_language
from dualcarbon.reference.policy import clause_rendering

Translate = Callable[..., str]


def _variant(source: str, level: str, detail: dict[str, Any], language: str = "") -> tuple[str, dict[str, Any]] | None:
    meter = detail.get("meter")
    if source == "stale" and meter:
        problem = detail.get("problem") or {}
        silent = isinstance(problem, dict) and problem.get("code") == "silent" and "stale_intervals" in problem
        return ("stale_silent" if silent else "stale"), {"meter": meter}
    if source == "quality" and meter:
        return "quality", {"meter": meter}
    if source == "conflict" and "conflicts" in detail:
        return "conflict", {"count": detail["conflicts"]}
    if source == "imbalance" and meter and isinstance(detail.get("loss_pct"), int | float):
        return "imbalance", {"meter": meter, "loss_pct": f"{detail['loss_pct']:.1f}"}
    if source == "anomaly" and meter:
        if detail.get("model") == "production" and detail.get("product"):
            product = in_language(str(detail["product"]), language, "product")
            return "anomaly_production", {"meter": meter, "product": product}
        if isinstance(detail.get("hours"), list):
            return "anomaly", {"meter": meter, "hours": len(detail["hours"])}
    if source == "budget" and isinstance(detail.get("year"), int):
        return "budget", {"year": detail["year"], "level_key": f"alert_level.{level}"}
    return None


def alert_title(
    t: Translate, source: str, level: str, detail: dict[str, Any], stored_zh: str, language: str = ""
) -> str:
    """The title through ``t`` (a page's ``ctx.t``); ``stored_zh`` when the detail cannot build one. ``language``
    (the page's) names the data in the title — a product — by its glossary row in English mode."""
    found = _variant(source, level, detail if isinstance(detail, dict) else {}, language)
    if found is None:
        return stored_zh
    variant, values = found
    if "level_key" in values:
        values = {k: v for k, v in values.items() if k != "level_key"} | {"level": t(values["level_key"])}
    key = f"alert_title.{variant}"
    text = t(key, **values)
    return stored_zh if text == key else text


def title_of(t: Translate, alert: Any, language: str = "") -> str:
    """:func:`alert_title` of an ``AlertOut`` (or any object with source, level, detail and title_zh)."""
    return alert_title(t, alert.source, alert.level, alert.detail, alert.title_zh, language)


#: The detail fields the alert page lists by name (``alert_detail.<field>``), in this order; every field stays in
#: the JSON below them, for integrations.
FACT_FIELDS = (
    "meter",
    "date",
    "hours",
    "conflicts",
    "loss_pct",
    "tolerance_pct",
    "completeness",
    "product",
    "intensity",
    "intensity_unit",
    "median",
    "year",
    "budget_tce",
    "actual_to_date_tce",
    "projected_year_end_tce",
    "measure",
    "clause",
)


def _shown(value: Any, name: str = "", language: str = "") -> str:
    if name in ("product", "intensity_unit") and isinstance(value, str):  # data labels: the glossary names them
        return in_language(value, language, "product" if name == "product" else "unit")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):  # the anomalous hours: how many
        return str(len(value))
    return str(value)


def detail_facts(t: Translate, detail: dict[str, Any], language: str = "") -> list[tuple[str, str]]:
    """(label, value) of the known detail fields present, in the page's language (``language`` names the
    product and the intensity unit by their glossary rows in English mode)."""
    if not isinstance(detail, dict):
        return []
    facts = []
    for name in FACT_FIELDS:
        value = detail.get(name)
        if value is None or isinstance(value, dict):
            continue
        key = f"alert_detail.{name}"
        text = t(key)
        shown = _shown(value, name, language)
        if name == "clause":  # a pack's clause: on English pages its English rendering, the original beside it
            english, original = clause_rendering(None, shown, language)
            shown = t("policy.with_original", rendering=english, original=original) if original else shown
        facts.append((name if text == key else text, shown))
    return facts
