"""Which policy obligations apply to an energy-using unit, and why — evaluated from a policy pack.

Owns the evaluation of the obligation rules of a :class:`~dualcarbon.reference.policy.PolicyPack`
(重点用能单位 status, 能源审计, 节能诊断, 能源管理中心 …) against the facts of one unit, chiefly its annual
comprehensive energy consumption (年综合能耗, tce/a, GB/T 2589). Thresholds come from the pack, never
from code; every finding carries the rule id, the conditions as stated (with their boundaries), the value
each was tested with, and the source clause text.

A rule applies when all its conditions hold. A condition on a fact the caller did not give is
*undetermined*: the rule is reported as ``undetermined`` with the missing facts named, unless another
condition already fails (then ``does_not_apply``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.units import convert
from dualcarbon.reference.policy import (
    FACTS,
    Condition,
    Deadline,
    ObligationRule,
    PolicyPack,
    Requirement,
    Source,
    Subject,
)

Status = Literal["applies", "does_not_apply", "undetermined"]
FactValue = float | bool


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a rule as tested: ``met`` None when the fact was not given."""

    fact: str
    condition: str  # as stated, e.g. "5000 tce/a ≤ annual_energy_tce"
    value: FactValue | None
    met: bool | None


@dataclass(frozen=True)
class ObligationFinding:
    """The outcome of one rule for one unit, with the trace of why."""

    pack_id: str
    rule_id: str
    obligation: str
    title_zh: str
    status: Status
    checks: tuple[ConditionCheck, ...]
    source: Source
    requirements: tuple[Requirement, ...]
    deadlines: tuple[Deadline, ...]
    note: str = ""

    @property
    def missing_facts(self) -> tuple[str, ...]:
        return tuple(check.fact for check in self.checks if check.met is None)


def _check_facts(facts: Mapping[str, FactValue]) -> None:
    for name, value in facts.items():
        spec = FACTS.get(name)
        if spec is None:
            raise InvalidInput(f"unknown fact (known: {', '.join(FACTS)})", field=f"facts.{name}")
        if spec.kind == "boolean" and not isinstance(value, bool):
            raise InvalidInput("must be true or false", field=f"facts.{name}")
        if spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidInput(f"must be a number in {spec.unit}", field=f"facts.{name}")
            if value < 0:
                raise InvalidInput(f"must be ≥ 0 (got {value})", field=f"facts.{name}")


def condition_met(condition: Condition, value: FactValue) -> bool:
    """Test one condition; a numeric threshold is converted to the fact's unit first."""
    if condition.equals is not None:
        return isinstance(value, bool) and value == condition.equals
    fact_unit = FACTS[condition.fact].unit
    number = float(value)

    def in_fact_unit(threshold: float) -> float:
        return threshold if condition.unit == fact_unit else convert(threshold, condition.unit, fact_unit)

    if condition.min is not None:
        low = in_fact_unit(condition.min)
        if number < low or (number == low and not condition.min_inclusive):
            return False
    if condition.max is not None:
        high = in_fact_unit(condition.max)
        if number > high or (number == high and not condition.max_inclusive):
            return False
    return True


def evaluate_rule(pack: PolicyPack, rule: ObligationRule, facts: Mapping[str, FactValue]) -> ObligationFinding:
    checks = []
    for condition in rule.when:
        value = facts.get(condition.fact)
        met = None if value is None else condition_met(condition, value)
        checks.append(ConditionCheck(condition.fact, condition.describe(), value, met))
    if any(check.met is False for check in checks):
        status: Status = "does_not_apply"
    elif any(check.met is None for check in checks):
        status = "undetermined"
    else:
        status = "applies"
    return ObligationFinding(
        pack.id,
        rule.id,
        rule.obligation,
        rule.title_zh,
        status,
        tuple(checks),
        rule.source,
        rule.requirements,
        rule.deadlines,
        rule.note,
    )


def evaluate_rules(
    pack: PolicyPack, facts: Mapping[str, FactValue], subject: Subject = "energy_using_unit"
) -> list[ObligationFinding]:
    """Every obligation rule of ``pack`` for ``subject``, each with its status, in pack order."""
    _check_facts(facts)
    return [evaluate_rule(pack, rule, facts) for rule in pack.obligations if rule.subject == subject]


def obligations_for(
    annual_energy_tce: float,
    pack: PolicyPack,
    facts: Mapping[str, FactValue] | None = None,
    *,
    include_undetermined: bool = True,
) -> list[ObligationFinding]:
    """Obligations of an energy-using unit with ``annual_energy_tce`` (tce/a) under ``pack``.

    ``facts`` adds what some rules need besides the consumption (``above_designated_size``,
    ``designated_by_province``, ``land_area_mu`` …; see ``reference.policy.FACTS``). Returns the rules
    that apply, and (unless ``include_undetermined`` is False) those that would apply but need a fact not
    given. Example (shanghai-baiyi-2022): 6,000 tce/a → energy audit (rule sh-baiyi-2022.energy-audit,
    5000 tce/a ≤ annual_energy_tce).
    """
    if isinstance(annual_energy_tce, bool) or not math.isfinite(annual_energy_tce) or annual_energy_tce < 0:
        raise InvalidInput(f"must be a finite number ≥ 0 (got {annual_energy_tce})", field="annual_energy_tce")
    given = dict(facts or {})
    if "annual_energy_tce" in given and given["annual_energy_tce"] != annual_energy_tce:
        raise InvalidInput("differs from the annual_energy_tce argument", field="facts.annual_energy_tce")
    given["annual_energy_tce"] = float(annual_energy_tce)
    wanted = {"applies", "undetermined"} if include_undetermined else {"applies"}
    return [finding for finding in evaluate_rules(pack, given) if finding.status in wanted]
