"""`subsidy` contract: one money rule of a policy pack on the caller's facts — docs/contracts.md#subsidy.

Input ``{"pack": "longgang", "rule": "retrofit"|"emc"|"pv"|"storage"|"green"|"diagnosis"|"loan", "facts": {…}}``
(``pack`` is a pack id or alias; the facts each rule reads are declared in the pack); output ``{"eligible",
"amount_yuan", "trace": [{"rule", "clause", "condition", "condition_zh", "value", "passed"}], …}`` (``condition_zh``:
the step in Chinese, :mod:`dualcarbon.domain.rules_zh`). Amounts, tiers, caps and
thresholds come from the pack (:mod:`dualcarbon.reference.policy_incentives`), the evaluation from
:mod:`dualcarbon.domain.rules`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.domain.rules import evaluate_incentive
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.reference.tables import ReferenceSet


class SubsidyInput(Strict):
    pack: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    facts: dict[str, Any]


def run(payload: Any, reference: ReferenceSet) -> dict[str, Any]:
    del reference  # the rules are in the policy pack, not in the reference tables
    data = parse(SubsidyInput, payload)
    pack = resolve_pack(data.pack)
    rule = pack.incentive(data.rule)
    outcome = evaluate_incentive(pack, rule, data.facts)
    result = outcome.as_dict()
    result["title_zh"] = rule.title_zh
    result["clause"] = rule.source.clause
    result["title_en"], result["clause_en"] = rule.title_en, rule.source.clause_en  # our renderings; zh governs
    result["document"] = pack.document.title
    return result
