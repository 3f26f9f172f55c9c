"""Evaluate a pack's money rule (subsidy, award, loan term) on the caller's facts, with a full trace.

Pure: no I/O. The rule (:class:`dualcarbon.reference.policy_incentives.IncentiveRule`) says which facts it
reads, the eligibility tree (``all``/``any`` of fact tests with stated boundaries), the amount (rate × base,
tiers, fixed awards, rate offset) and the caps. Every step is one trace line ``{"rule", "clause",
"condition", "condition_zh", "value", "passed"}`` (``condition_zh`` worded by :mod:`dualcarbon.domain.rules_zh`);
figures are rounded at output only (:data:`DIGITS`).

A cap bounds the amount of this one grant; caps other than ``project`` also take what was already granted
in their scope when the caller gives it (fact ``granted_<per>_yuan``), and say so in the trace when not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.units import convert
from dualcarbon.domain import rules_zh as zh
from dualcarbon.reference.policy import PolicyPack
from dualcarbon.reference.policy_incentives import (
    AllOf,
    FactTest,
    IncentiveRule,
    Level,
    RuleFact,
    WarningScheme,
    fmt,
)

DIGITS = 6
FactValue = float | int | bool | str
GRANTED = "granted_{}_yuan"


@dataclass
class RuleOutcome:
    """The result of one rule: eligibility, amount (元) and every step that led to it."""

    pack_id: str
    rule_id: str
    key: str
    eligible: bool
    amount_yuan: float
    trace: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, float] = field(default_factory=dict)
    uncapped_yuan: float = 0.0
    decisions: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack_id,
            "rule": self.key,
            "rule_id": self.rule_id,
            "eligible": self.eligible,
            "amount_yuan": round(self.amount_yuan, DIGITS),
            "uncapped_yuan": round(self.uncapped_yuan, DIGITS),
            **{name: round(value, DIGITS) for name, value in self.outputs.items()},
            "trace": self.trace,
            "decisions": self.decisions,
        }


def check_facts(rule: IncentiveRule, facts: Mapping[str, Any]) -> dict[str, FactValue]:
    """The caller's facts, type-checked against the rule's declared facts; missing or unknown ones are errors."""
    granted = {GRANTED.format(cap.per) for cap in rule.caps if cap.per != "project"}
    checked: dict[str, FactValue] = {}
    for name, value in facts.items():
        spec = rule.facts.get(name)
        if spec is None and name in granted:
            spec = RuleFact(type="number", unit="元")
        if spec is None:
            known = ", ".join([*rule.facts, *sorted(granted)])
            raise InvalidInput(f"unknown fact for rule '{rule.key}' (known: {known})", field=f"facts.{name}")
        checked[name] = _typed(name, spec, value)
    for name, spec in rule.facts.items():
        if spec.required and name not in checked:
            raise InvalidInput(f"required fact for rule '{rule.key}' is missing", field=f"facts.{name}")
    return checked


def _typed(name: str, spec: RuleFact, value: Any) -> FactValue:
    where = f"facts.{name}"
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidInput("must be true or false", field=where)
        return value
    if spec.type == "text":
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("must be a non-empty text", field=where)
        if spec.choices and value.strip() not in spec.choices:
            raise InvalidInput(f"must be one of: {', '.join(spec.choices)}", field=where)
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"must be a finite number in {spec.unit}", field=where)
    if value < 0 and not name.endswith("_pct"):
        raise InvalidInput(f"must be ≥ 0 (got {value})", field=where)
    if spec.integer and not float(value).is_integer():
        raise InvalidInput(f"must be a whole number (got {value})", field=where)
    return float(value)


def _test(rule: IncentiveRule, leaf: FactTest, value: FactValue) -> bool:
    if leaf.equals is not None:
        return value == leaf.equals
    if leaf.one_of:
        return value in leaf.one_of
    unit = rule.facts[leaf.fact].unit
    number = float(value)
    if leaf.unit != unit:  # thresholds are compared in the fact's unit
        scale = convert(1.0, leaf.unit, unit)
        return leaf.model_copy(
            update={
                "min": None if leaf.min is None else leaf.min * scale,
                "max": None if leaf.max is None else leaf.max * scale,
            }
        ).contains(number)
    return leaf.contains(number)


def _walk(
    rule: IncentiveRule, node: Any, facts: Mapping[str, FactValue], trace: list[dict[str, Any]], depth: int
) -> bool:
    clause = rule.source.clause
    if isinstance(node, FactTest):
        passed = _test(rule, node, facts[node.fact])
        line: dict[str, Any] = {"rule": rule.id, "clause": clause, "condition": node.describe()}
        line.update(condition_zh=zh.leaf_zh(rule, node), value=facts[node.fact], passed=passed)
        trace.append({**line, **({"note": node.note} if node.note else {})})
        return passed
    children = node.all_ if isinstance(node, AllOf) else node.any_
    results = [_walk(rule, child, facts, trace, depth + 1) for child in children]  # all, for a full trace
    passed = all(results) if isinstance(node, AllOf) else any(results)
    word = "all of" if isinstance(node, AllOf) else "any of"
    trace.append(
        {
            "rule": rule.id,
            "clause": clause,
            "condition": f"{word} the {len(children)} conditions above",
            "condition_zh": zh.group_zh(isinstance(node, AllOf), len(children)),
            "value": None,
            "passed": passed,
        }
    )
    return passed


def evaluate_incentive(pack: PolicyPack, rule: IncentiveRule, raw_facts: Mapping[str, Any]) -> RuleOutcome:
    """Eligibility, amount and caps of ``rule`` for the facts given, each step in the trace."""
    facts = check_facts(rule, raw_facts)
    trace: list[dict[str, Any]] = []
    eligible = _walk(rule, rule.eligible, facts, trace, 0)
    outcome = RuleOutcome(pack.id, rule.id, rule.key, eligible, 0.0, trace)
    outcome.decisions = [decision.model_dump() for decision in rule.decisions]
    if not eligible:
        return outcome
    amount = rule.amount
    line: dict[str, Any] = {"rule": rule.id, "clause": rule.source.clause}
    if amount.kind == "rate_offset":
        base = float(facts[amount.base])
        result = base + float(amount.offset or 0)
        outcome.outputs[amount.output] = result
        trace.append(
            {
                **line,
                "condition": f"{amount.output} = {amount.base} + ({fmt(amount.offset or 0)} {amount.offset_unit})",
                "condition_zh": zh.offset_zh(rule),
                "value": round(result, DIGITS),
                "passed": True,
            }
        )
        return outcome
    if amount.kind == "fixed":
        award = next((a for a in amount.fixed if all(facts.get(k) == v for k, v in a.when.items())), None)
        keys = sorted({k for a in amount.fixed for k in a.when})
        shown = ", ".join(f"{k}={facts.get(k)}" for k in keys)
        trace.append(
            {
                **line,
                "condition": f"fixed award for {shown}",
                "condition_zh": zh.fixed_zh(rule, keys, dict(facts), award.label_zh if award else ""),
                "value": None if award is None else award.amount_yuan,
                "passed": award is not None,
            }
        )
        if award is None:
            outcome.eligible = False
            return outcome
        value = award.amount_yuan
    else:
        base = float(facts[amount.base])
        if amount.kind == "rate":
            rate, rate_unit = float(amount.rate or 0), amount.rate_unit
        else:
            tier = next((t for t in amount.tiers if t.contains(base)), None)
            unit = rule.facts[amount.base].unit
            bands = "; ".join(t.range_text(amount.base, unit) for t in amount.tiers)
            trace.append(
                {
                    **line,
                    "condition": f"tier of {amount.base}: {bands}",
                    "condition_zh": zh.tiers_zh(rule, amount.base),
                    "value": base,
                    "passed": tier is not None,
                    **({"note": tier.label_zh} if tier and tier.label_zh else {}),
                }
            )
            if tier is None:
                outcome.eligible = False
                return outcome
            rate, rate_unit = tier.rate, tier.rate_unit
        value = base * rate / 100 if rate_unit == "%" else base * rate
        trace.append(
            {
                **line,
                "condition": f"amount = {amount.base} × {fmt(rate)} {rate_unit}",
                "condition_zh": zh.rate_zh(rule, amount.base, rate, rate_unit),
                "value": round(value, DIGITS),
                "passed": True,
            }
        )
    if amount.share_pct is not None:
        value = value * amount.share_pct / 100
        trace.append(
            {
                **line,
                "condition": f"paid now: {fmt(amount.share_pct)} % of the amount",
                "condition_zh": zh.share_zh(amount.share_pct),
                "value": round(value, DIGITS),
                "passed": True,
            }
        )
    outcome.uncapped_yuan = value
    for cap in rule.caps:
        clause = cap.source.clause if cap.source else rule.source.clause
        room = cap.max_yuan
        granted = None if cap.per == "project" else facts.get(GRANTED.format(cap.per))
        if granted is not None:
            room = max(cap.max_yuan - float(granted), 0.0)
        capped = value > room
        condition = f"amount ≤ cap {fmt(cap.max_yuan)} 元 per {cap.per}"
        if granted is not None:
            condition += f" less {fmt(float(granted))} 元 granted before (room {fmt(room)} 元)"
        trace.append(
            {
                "rule": rule.id,
                "clause": clause,
                "condition": condition,
                "condition_zh": zh.cap_zh(cap.max_yuan, cap.per, None if granted is None else float(granted), room),
                "value": round(value, DIGITS),
                "passed": not capped,
            }
        )
        if cap.per != "project" and granted is None:
            trace[-1]["note"] = (
                f"earlier grants not given (facts.{GRANTED.format(cap.per)}): checked against the full cap"
            )
            trace[-1]["note_zh"] = "未提供此前已获补助金额，按全额上限核对"
        value = min(value, room)
    outcome.amount_yuan = value
    return outcome


def warning_level(scheme: WarningScheme, value: float, period: str = "") -> tuple[Level, str]:
    """The level whose band holds ``value`` (in ``period``), and the band as stated."""
    if scheme.periods and period not in scheme.periods:
        raise InvalidInput(f"must be one of: {', '.join(scheme.periods)}", field="period")
    for band in scheme.bands:
        if band.period == period and band.contains(value):
            unit = "%" if scheme.measure == "completion_rate_pct" else "pp"
            return band.level, band.range_text(scheme.measure, unit)
    raise InvalidInput(f"no level of scheme '{scheme.id}' covers {fmt(value)}", field="input")
