"""The money rules (资金规则) and warning schemes (预警方案) of a pack as the 规则包 page shows them: eligibility as a
tree of conditions, the amount (rate, tiers, fixed awards, rate offset), caps and the pack's decided readings;
warning levels as bands of their measure. Wording only — every number is the pack's (:mod:`.pages_text`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from dualcarbon.domain.rules_zh import (
    choice_zh,
    fact_zh,
    leaf_zh,
    money_zh,
    offset_zh,
    rate_zh,
    share_zh,
)
from dualcarbon.policy.pages_text import Markup, Value, Words, bullets, item_block, titled
from dualcarbon.reference.glossary import english
from dualcarbon.reference.policy import IncentiveRule, WarningScheme
from dualcarbon.reference.policy_incentives import AllOf, FactTest, fmt


def fact_label(words: Words, rule: IncentiveRule, name: str) -> str:
    """A declared fact by its title: the pack's Chinese title, or its English name from the glossary."""
    return fact_en(rule, name) if words.en else fact_zh(rule, name)


def fact_en(rule: IncentiveRule, name: str) -> str:
    spec = rule.facts.get(name)
    if spec is None or not spec.title_zh:
        return name
    return english(spec.title_zh, "fact") or english(spec.title_zh.split(" (")[0], "fact") or name


def choice(words: Words, rule: IncentiveRule, name: str, value: object) -> str:
    """A choice of a text fact: the pack's Chinese label (``national`` → 国家级); in English its glossary name."""
    if not words.en:
        return choice_zh(rule, name, value)
    spec = rule.facts.get(name)
    text = str(value)
    label = spec.labels_zh.get(text, "") if spec else ""
    return english(label, "choice") or english(text, "choice") or text.replace("_", " ")


def leaf_text(words: Words, rule: IncentiveRule, leaf: FactTest) -> Markup:
    if not words.en:
        text = leaf_zh(rule, leaf)
    else:
        label = fact_label(words, rule, leaf.fact)
        if isinstance(leaf.equals, bool):
            text = f"{label}: {words.quantity(leaf.equals)}"
        elif leaf.equals is not None:
            text = f"{label} = {choice(words, rule, leaf.fact, leaf.equals)}"
        elif leaf.one_of:
            choices = ", ".join(choice(words, rule, leaf.fact, c) for c in leaf.one_of)
            text = f"{label}: {words.t('policy.one_of')} {choices}"
        else:
            text = words.range(label, leaf, leaf.unit)
    note = words.note(leaf.note)
    return Markup(escape(text) + (f' <span class="text-xs text-gray-500">{escape(note)}</span>' if note else ""))


def tree(words: Words, rule: IncentiveRule, node: Any) -> Markup:
    """The eligibility tree: ``all`` / ``any`` groups as headed lists, leaves as conditions."""
    if isinstance(node, FactTest):
        return leaf_text(words, rule, node)
    children = node.all_ if isinstance(node, AllOf) else node.any_
    head = words.t("policy.all_of" if isinstance(node, AllOf) else "policy.any_of")
    if len(children) == 1:
        return tree(words, rule, children[0])
    return Markup(escape(head) + bullets(tree(words, rule, child) for child in children))


def rate_text(words: Words, rate: float, unit: str) -> str:
    if unit == "%":
        return f"{fmt(rate)}%"
    return f"{fmt(rate)} {english(unit, 'unit') or unit}" if words.en else f"{fmt(rate)} {unit}"


def money(words: Words, yuan: float) -> str:
    return money_zh(yuan) if not words.en else words.quantity(yuan, "元")


def amount_lines(words: Words, rule: IncentiveRule) -> list[str]:
    amount = rule.amount
    lines: list[str] = []
    if amount.kind == "rate" and amount.rate is not None:
        if words.en:
            base = fact_label(words, rule, amount.base)
            lines.append(f"{words.t('policy.amount')} = {base} × {rate_text(words, amount.rate, amount.rate_unit)}")
        else:
            lines.append(rate_zh(rule, amount.base, amount.rate, amount.rate_unit))
    elif amount.kind == "tiers":
        base, unit = fact_label(words, rule, amount.base), rule.facts[amount.base].unit
        for tier in amount.tiers:
            band = f"{words.range(base, tier, unit)} → {rate_text(words, tier.rate, tier.rate_unit)}"
            label = tier.label_in(words.language)
            lines.append(f"{label}：{band}" if label and not words.en else f"{label}: {band}" if label else band)
    elif amount.kind == "fixed":
        for award in amount.fixed:
            label = award.label_in(words.language)  # the pack's label names the award and its sum
            if not label:
                keys = ("，" if not words.en else ", ").join(
                    choice(words, rule, name, value) for name, value in award.when.items()
                )
                label = (
                    f"{keys}：{money(words, award.amount_yuan)}"
                    if not words.en
                    else f"{keys}: {money(words, award.amount_yuan)}"
                )
            lines.append(label)
    elif amount.kind == "rate_offset":
        if words.en:
            offset = float(amount.offset or 0)
            sign = "+" if offset >= 0 else "−"
            unit = words.t("policy.pp") if amount.offset_unit == "%" else amount.offset_unit
            output = words.t(f"policy.output.{amount.output}")
            lines.append(f"{output} = {fact_label(words, rule, amount.base)} {sign} {fmt(abs(offset))} {unit}")
        else:
            lines.append(offset_zh(rule))
    if amount.share_pct is not None:
        lines.append(
            share_zh(amount.share_pct) if not words.en else words.t("policy.share", share=fmt(amount.share_pct))
        )
    return lines


def cap_lines(words: Words, rule: IncentiveRule) -> list[str]:
    lines = []
    for cap in rule.caps:
        text = words.t("policy.cap", scope=words.t(f"policy.cap.{cap.per}"), amount=money(words, cap.max_yuan))
        note = words.note(cap.note)
        lines.append(f"{text}（{note}）" if note and not words.en else f"{text} ({note})" if note else text)
    return lines


def fact_lines(words: Words, rule: IncentiveRule) -> list[str]:
    lines = []
    for name, spec in rule.facts.items():
        label = fact_label(words, rule, name)
        unit = words.unit(spec.unit) if spec.type == "number" else ""
        choices = (
            "、".join(choice(words, rule, name, c) for c in spec.choices)
            if not words.en
            else ", ".join(choice(words, rule, name, c) for c in spec.choices)
        )
        extra = unit or choices
        lines.append(f"{label}（{extra}）" if extra and not words.en else f"{label} ({extra})" if extra else label)
    return lines


def decision_lines(words: Words, rule: IncentiveRule | WarningScheme) -> list[str]:
    lines = []
    for decision in rule.decisions:
        zh = not words.en and decision.question_zh
        lines.append(
            words.t(
                "policy.decision",
                question=decision.question_zh if zh else decision.question,
                decision=(decision.decision_zh or decision.decision) if zh else decision.decision,
                reason=(decision.reason_zh or decision.reason) if zh else decision.reason,
            )
        )
    return lines


def money_rule_block(words: Words, rule: IncentiveRule, document: str) -> str:
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.key"), rule.key),
        (words.t("policy.field.facts"), fact_lines(words, rule)),
        (words.t("policy.field.eligible"), tree(words, rule, rule.eligible)),
        (words.t("policy.field.amount"), amount_lines(words, rule)),
        (words.t("policy.field.caps"), cap_lines(words, rule)),
        *words.source_rows(rule.source, document),
        (words.t("policy.field.decisions"), decision_lines(words, rule)),
        (words.t("policy.field.note"), words.note(rule.note)),
    ]
    return item_block(words, titled(words, rule.title_zh, rule.title_en), rule.id, rows)


def warning_block(words: Words, scheme: WarningScheme, document: str) -> str:
    measure = words.t(f"policy.measure.{scheme.measure}")
    unit = "%" if scheme.measure == "completion_rate_pct" else words.t("policy.pp")
    bands = []
    for band in scheme.bands:
        level = words.t(f"alert_level.{band.level}")
        period = words.t(f"policy.period.{band.period}") if band.period else ""
        text = (
            f"{level}：{words.range(measure, band, unit)}"
            if not words.en
            else f"{level}: {words.range(measure, band, unit)}"
        )
        label = band.label_in(words.language)
        bands.append(" · ".join(part for part in (period, text, label) if part))
    rows: list[tuple[str, Value | None]] = [
        (words.t("policy.field.measure"), measure),
        (words.t("policy.field.bands"), bands),
        *words.source_rows(scheme.source, document),
        (words.t("policy.field.decisions"), decision_lines(words, scheme)),
    ]
    return item_block(words, titled(words, scheme.title_zh, scheme.title_en), scheme.id, rows)
