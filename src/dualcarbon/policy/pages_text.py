"""Words and markup of the 规则包 pages: a pack's items as compact key → value lists in the page's language.

Everything here is wording over a validated :class:`~dualcarbon.reference.policy.PolicyPack`: the numbers, units,
boundaries and quotes are the pack's own. Chinese pages show the pack's Chinese (the quoted clause text, the
``*_zh`` labels, conditions worded as the texts do: "30 吨标准煤/年以上（含）"); English pages show the pack's
English renderings (``title_en``, ``clause_en``, ``text_en``, ``label_en`` …) with the Chinese original beside
them, and conditions as ranges ("30 tce/a ≤ annual energy saving"). Markup is built here with every text escaped
(:class:`Markup` marks what already is), so the page draws one element per section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from dualcarbon.domain.rules_zh import quantity_zh, range_zh, without_english_aside
from dualcarbon.reference.glossary import english, in_language
from dualcarbon.reference.policy import (
    CatalogSchedule,
    Condition,
    ObligationRule,
    Parameter,
    Schedule,
    Source,
    Target,
    rendering,
)
from dualcarbon.reference.policy_incentives import Bounds, fmt
from dualcarbon.ui.web.i18n import translate


class Markup(str):
    """Text that is already markup (built here, every piece escaped)."""


Value = str | Markup | Sequence[str | Markup]


def html(text: str | Markup) -> str:
    return str(text) if isinstance(text, Markup) else escape(text)


def bullets(items: Iterable[str | Markup]) -> Markup:
    inner = "".join(f"<li>{html(item)}</li>" for item in items)
    return Markup(f'<ul class="list-disc pl-5 m-0">{inner}</ul>')


def kv(rows: Iterable[tuple[str, Value | None]]) -> Markup:
    """A compact key → value list; rows whose value is empty are left out."""
    cells = []
    for key, value in rows:
        if value is None or value == "" or (isinstance(value, list | tuple) and not value):
            continue
        shown = html(value) if isinstance(value, str) else bullets(value) if len(value) > 1 else html(value[0])
        cells.append(f'<dt>{escape(key)}</dt><dd data-field="{escape(key)}">{shown}</dd>')
    return Markup(f'<dl class="dc-kv">{"".join(cells)}</dl>')


def small(text: str) -> Markup:
    return Markup(f'<div class="text-xs text-gray-600">{escape(text)}</div>')


class Words:
    """The texts of one page: its language, translations, and a pack's Chinese shown as the language wants."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.en = language == "en"

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def zh_text(self, text: str) -> str:
        """A pack's Chinese text (a note, a clause) on a Chinese page: without its English asides."""
        return text if self.en else without_english_aside(text)

    def shown(self, original: str, english_text: str | None) -> Markup:
        """The Chinese ``original`` in Chinese; our English rendering with "Original: …" beside it in English."""
        text, source = rendering(original, english_text, self.language)
        if not source:
            return Markup(escape(self.zh_text(text)))
        return Markup(escape(text) + small(self.t("policy.original", text=source)))

    def unit(self, unit: str) -> str:
        if unit in ("", "1"):
            return ""
        return in_language(unit, self.language, "unit") if self.en else unit

    def quantity(self, value: float | int | str | bool, unit: str = "") -> str:
        if isinstance(value, bool):
            return self.t("common.yes") if value else self.t("common.no")
        if isinstance(value, str):
            return in_language(value, self.language, "choice")
        if not self.en:
            return quantity_zh(float(value), unit) if unit not in ("1",) else fmt(value)
        shown = self.unit(unit)
        number = f"{value:,}" if float(value).is_integer() and abs(value) >= 10_000 else fmt(value)
        number = number.removesuffix(".0")
        return f"{number}{shown}" if shown == "%" else f"{number} {shown}".strip()

    def range(self, label: str, bounds: Bounds, unit: str) -> str:
        """``年节能量 30 吨标准煤/年以上（含）`` in Chinese; ``30 tce/a ≤ annual energy saving`` in English."""
        if not self.en:
            return range_zh(label, bounds.min, bounds.min_inclusive, bounds.max, bounds.max_inclusive, unit)
        low = bounds.min is not None
        high = bounds.max is not None
        parts = []
        if low and high:
            parts.append(f"{self.quantity(bounds.min or 0.0, unit)} {'≤' if bounds.min_inclusive else '<'} ")
            parts.append(label)
        elif low:
            parts.append(f"{label} {'≥' if bounds.min_inclusive else '>'} {self.quantity(bounds.min or 0.0, unit)}")
        else:
            parts.append(label)
        if high:
            parts.append(f" {'≤' if bounds.max_inclusive else '<'} {self.quantity(bounds.max or 0.0, unit)}")
        return "".join(parts)

    def comparison(self, comparison: str, value: float, unit: str) -> str:
        return f"{self.t(f'policy.comparison.{comparison}')} {self.quantity(value, unit)}"

    def period(self, period: str) -> str:
        """A target's period (``by 2023``, ``per year``, ``2022-2025 average``) in the page's language."""
        if self.en or not period:
            return period
        text = re.sub(r"\bby (\d{4})\b", r"到 \1 年", period)
        text = re.sub(r"^(\d{4})-(\d{4})", r"\1—\2 年", text)
        text = text.replace("per year", "每年").replace(" average", "平均").replace("cumulative, ", "")
        return without_english_aside(text)

    def source_rows(self, source: Source, document: str = "") -> list[tuple[str, Value | None]]:
        """Where an item comes from: the clause and its text (English renderings beside the originals)."""
        rows: list[tuple[str, Value | None]] = []
        if source.document and source.document != document:
            rows.append((self.t("policy.field.document"), source.document))
        rows.append((self.t("policy.field.clause"), self.shown(source.clause, source.clause_en)))
        rows.append((self.t("policy.field.text"), self.shown(source.text, source.text_en)))
        rows.append((self.t("policy.field.confidence"), self.confidence(source.confidence)))
        if source.url:
            rows.append((self.t("policy.field.url"), source.url))
        return rows

    def clause_and_text(self, source: Source) -> Markup:
        """A second source of one item in one value: ``clause：text`` (renderings beside the originals)."""
        clause, text = self.shown(source.clause, source.clause_en), self.shown(source.text, source.text_en)
        return Markup(f"<div>{clause}</div><div>{text}</div>")

    def confidence(self, text: str) -> str:
        if self.en or not text:
            return text
        for prefix in ("verified", "uncertain", "primary"):
            if text.startswith(prefix):
                return self.t(f"policy.confidence.{prefix}")
        return without_english_aside(text)

    def note(self, text: str) -> str:
        return self.zh_text(text) if text else ""


def item_block(words: Words, title: Markup, item_id: str, rows: list[tuple[str, Value | None]]) -> str:
    """One item: its title, its id (small) and its key → value list."""
    return (
        f'<div class="dc-pol-item" data-testid="policy-item-{escape(item_id)}">'
        f'<div class="font-medium">{html(title)} <span class="text-xs text-gray-500 font-mono">{escape(item_id)}'
        f"</span></div>{kv(rows)}</div>"
    )


def titled(words: Words, title_zh: str, title_en: str | None, kind: str = "scheme") -> Markup:
    english_text = title_en or (english(title_zh, kind) if words.en else None)
    return words.shown(title_zh, english_text)


# ---- obligations ------------------------------------------------------------------------------------------
def condition_text(words: Words, condition: Condition) -> str:
    label = words.t(f"policy.fact.{condition.fact}")
    if condition.equals is not None:
        return (
            f"{label}：{words.quantity(condition.equals)}"
            if not words.en
            else f"{label}: {words.quantity(condition.equals)}"
        )
    bounds = Bounds(
        min=condition.min,
        min_inclusive=condition.min_inclusive,
        max=condition.max,
        max_inclusive=condition.max_inclusive,
    )
    return words.range(label, bounds, condition.unit)


def obligation_block(words: Words, rule: ObligationRule, document: str) -> str:
    requirements = []
    for requirement in rule.requirements:
        text = requirement.text_in(words.language)
        if requirement.comparison and requirement.value is not None:
            text += f"（{words.comparison(requirement.comparison, requirement.value, requirement.unit)}）"
        requirements.append(text)
    deadlines = [
        words.t("policy.deadline", what=deadline.what_in(words.language), by=deadline.by.isoformat())
        for deadline in rule.deadlines
    ]
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.obligation"), words.t(f"policy.obligation.{rule.obligation}")),
        (words.t("policy.field.subject"), words.t(f"policy.subject.{rule.subject}")),
        (words.t("policy.field.when"), [condition_text(words, c) for c in rule.when]),
        (words.t("policy.field.requirements"), requirements),
        (words.t("policy.field.deadlines"), deadlines),
        *words.source_rows(rule.source, document),
        (words.t("policy.field.note"), words.note(rule.note)),
    ]
    return item_block(words, titled(words, rule.title_zh, rule.title_en), rule.id, rows)


# ---- targets, schedules, parameters ------------------------------------------------------------------------
def target_block(words: Words, target: Target, document: str) -> str:
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.target"), words.comparison(target.comparison, target.value, target.unit)),
        (words.t("policy.field.period"), words.period(target.period)),
        *words.source_rows(target.source, document),
    ]
    return item_block(words, titled(words, target.title_zh, target.title_en), target.id, rows)


def schedule_block(words: Words, schedule: Schedule, document: str) -> str:
    values = [
        f"{year}：{words.comparison(schedule.comparison, value, schedule.unit)}"
        if not words.en
        else f"{year}: {words.comparison(schedule.comparison, value, schedule.unit)}"
        for year, value in sorted(schedule.values.items())
    ]
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.values"), values),
        *words.source_rows(schedule.source, document),
    ]
    return item_block(words, titled(words, schedule.title_zh, schedule.title_en), schedule.id, rows)


def parameter_block(words: Words, parameter: Parameter, document: str) -> str:
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.value"), words.quantity(parameter.value, parameter.unit)),
        *words.source_rows(parameter.source, document),
    ]
    return item_block(words, titled(words, parameter.title_zh, parameter.title_en), parameter.id, rows)


def catalog_schedule_block(words: Words, schedule: CatalogSchedule, document: str) -> str:
    halves = [
        words.t("policy.due", half=words.t(f"policy.half.{item.half}"), month=item.due_month, day=item.due_day)
        for item in sorted(schedule.halves, key=lambda item: item.half)
    ]
    offset = -schedule.data_year_offset
    data_year = words.t("policy.data_year.same") if offset == 0 else words.t("policy.data_year.before", n=offset)
    year_source = schedule.data_year_source
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.halves"), halves),
        *words.source_rows(schedule.source, document),
        (words.t("policy.field.data_year"), [data_year, words.clause_and_text(year_source)]),
    ]
    return f'<div class="dc-pol-item" data-testid="policy-item-catalog_schedule">{kv(rows)}</div>'
