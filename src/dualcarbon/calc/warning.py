"""`warning` contract: the warning level of a target's progress — docs/contracts.md#warning.

``{"scheme": "completion_rate", "target", "achieved"}`` (completion rate = achieved / target × 100 %) or
``{"scheme": "hangzhou", "period": "H1"|"Q3", "target_decline_pct", "achieved_decline_pct"}`` (gap =
target − achieved, percentage points) → ``{"level": "green"|"yellow"|"orange"|"red", "rule", "clause", …}``.
The schemes and their bands (each boundary's inclusiveness) are data: ``warning_schemes`` of the packs in
reference/policies/ (hangzhou-warning, completion-rate-warning).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, FiniteFloat

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.rules import warning_level
from dualcarbon.reference.policy import PolicyPack, list_packs, load_pack
from dualcarbon.reference.policy_incentives import WarningScheme
from dualcarbon.reference.tables import ReferenceSet

DIGITS = 9  # the measure is rounded before it is compared, so 3.3 − 2.3 is exactly 1 pp


class CompletionInput(Strict):
    scheme: Literal["completion_rate"]
    target: FiniteFloat = Field(gt=0)
    achieved: FiniteFloat


class HangzhouInput(Strict):
    scheme: Literal["hangzhou"]
    period: Literal["H1", "Q3"]
    target_decline_pct: FiniteFloat
    achieved_decline_pct: FiniteFloat


def find_scheme(scheme_id: str) -> tuple[PolicyPack, WarningScheme]:
    """The shipped warning scheme ``scheme_id`` and the pack it is in."""
    for name in list_packs():
        pack = load_pack(name)
        for scheme in pack.warning_schemes:
            if scheme.id == scheme_id:
                return pack, scheme
    raise InvalidInput(f"no warning scheme '{scheme_id}' in the shipped packs", field="scheme")


def run(payload: Any, reference: ReferenceSet) -> dict[str, Any]:
    del reference
    if not isinstance(payload, dict):
        raise InvalidInput("must be a JSON object", field="input")
    if payload.get("scheme") not in ("completion_rate", "hangzhou"):
        raise InvalidInput("must be 'completion_rate' or 'hangzhou'", field="scheme")
    model: type[CompletionInput | HangzhouInput] = (
        CompletionInput if payload["scheme"] == "completion_rate" else HangzhouInput
    )
    data = parse(model, payload)
    pack, scheme = find_scheme(data.scheme)
    if isinstance(data, CompletionInput):
        measure = data.achieved / data.target * 100
        period = ""
        inputs = f"{data.achieved:g} / {data.target:g} × 100"
    else:
        measure = data.target_decline_pct - data.achieved_decline_pct
        period = data.period
        inputs = f"{data.target_decline_pct:g} − {data.achieved_decline_pct:g}"
    measure = round(measure, DIGITS)
    level, band = warning_level(scheme, measure, period)
    return {
        "level": level,
        "scheme": scheme.id,
        "measure": scheme.measure,
        "value": measure,
        "computed_as": inputs,
        "rule": band,
        "period": period or None,
        "clause": scheme.source.clause,
        "source": scheme.source.text,
        "clause_en": scheme.source.clause_en,  # our English renderings (None when the pack gives none)
        "source_en": scheme.source.text_en,
        "document": pack.document.title,
        "confidence": scheme.source.confidence,
        "decisions": [decision.model_dump() for decision in scheme.decisions],
    }
