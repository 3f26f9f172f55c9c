"""`target` contract: required annual decline and completion against a yearly plan — docs/contracts.md#target.

``{"kind": "required_rate", "target_total_decline", "years_total", "achieved_cumulative" | "yearly_declines",
"years_left"}`` → ``{"required_annual_decline", …}`` (fractions: 0.135 = 13.5 %; compounding
(1 − T) = (1 − A)(1 − r)^n); ``{"kind": "completion_shares", "plan": {year: share}, "listed",
"done_by_year": {year: count}}`` → ``{"years": {year: {"planned", "done", "behind"}}, …}``.
Arithmetic: :mod:`dualcarbon.domain.targets`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, FiniteFloat, model_validator

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.targets import completion_shares, cumulative_decline, required_rate
from dualcarbon.reference.tables import ReferenceSet

DIGITS = 6


class RequiredRateInput(Strict):
    kind: Literal["required_rate"]
    target_total_decline: FiniteFloat = Field(gt=0, lt=1)
    years_total: int = Field(ge=1, le=100)
    achieved_cumulative: FiniteFloat | None = Field(default=None, lt=1)
    yearly_declines: list[FiniteFloat] | None = None
    years_left: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _one_progress(self) -> RequiredRateInput:
        if (self.achieved_cumulative is None) == (self.yearly_declines is None):
            raise InvalidInput(
                "give 'achieved_cumulative' or 'yearly_declines', not both and not neither", field="achieved_cumulative"
            )
        if self.yearly_declines is not None:
            for index, value in enumerate(self.yearly_declines):
                if not value < 1:
                    raise InvalidInput("a decline must be below 1 (100 %)", field=f"yearly_declines[{index}]")
        return self


class CompletionInput(Strict):
    kind: Literal["completion_shares"]
    plan: dict[int, FiniteFloat] = Field(min_length=1)
    listed: int = Field(ge=1)
    done_by_year: dict[int, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _values(self) -> CompletionInput:
        for year, share in self.plan.items():
            if not 1900 <= year <= 2200 or not 0 <= share <= 1:
                raise InvalidInput("a year 1900–2200 with a share between 0 and 1", field=f"plan.{year}")
        for year, count in self.done_by_year.items():
            if count < 0:
                raise InvalidInput("must be ≥ 0", field=f"done_by_year.{year}")
        return self


def _required(data: RequiredRateInput) -> dict[str, Any]:
    elapsed: int | None = None
    if data.yearly_declines is not None:
        achieved = cumulative_decline(data.yearly_declines)
        elapsed = len(data.yearly_declines)
        years_left = data.years_left if data.years_left is not None else data.years_total - elapsed
        if elapsed + years_left != data.years_total:
            raise InvalidInput(
                f"{elapsed} yearly declines + {years_left} years left ≠ years_total {data.years_total}",
                field="years_left",
            )
    else:
        achieved = float(data.achieved_cumulative or 0.0)
        if data.years_left is None:
            raise InvalidInput("required with 'achieved_cumulative'", field="years_left")
        years_left = data.years_left
    if years_left > data.years_total:
        raise InvalidInput(f"more years left than years_total ({data.years_total})", field="years_left")
    result = required_rate(data.target_total_decline, achieved, years_left)
    return {
        "kind": "required_rate",
        "required_annual_decline": round(result.required_annual_decline, DIGITS),
        "achieved_cumulative": round(result.achieved_cumulative, DIGITS),
        "target_total_decline": data.target_total_decline,
        "years_total": data.years_total,
        "years_left": years_left,
        "completion_ratio": round(result.completion_ratio, DIGITS),
        "already_met": result.already_met,
        "formula": "(1 − T) = (1 − A)(1 − r)^n → r = 1 − ((1 − T)/(1 − A))^(1/n)",
        "note": "a negative required_annual_decline: the target is met already; intensity may rise that much a year",
    }


def _completion(data: CompletionInput) -> dict[str, Any]:
    years = completion_shares(data.plan, data.listed, data.done_by_year)
    return {
        "kind": "completion_shares",
        "listed": data.listed,
        "years": {
            str(item.year): {
                "planned_share": round(item.planned_share, DIGITS),
                "planned": round(item.planned, DIGITS),
                "done": item.done,
                "behind": item.behind,
            }
            for item in years
        },
        "behind_years": [item.year for item in years if item.behind],
        "note": "cumulative: planned = listed × the plan's shares up to that year; done = all done up to that year",
    }


def run(payload: Any, reference: ReferenceSet) -> dict[str, Any]:
    del reference
    if not isinstance(payload, dict):
        raise InvalidInput("must be a JSON object", field="input")
    kind = payload.get("kind")
    if kind == "required_rate":
        return _required(parse(RequiredRateInput, payload))
    if kind == "completion_shares":
        return _completion(parse(CompletionInput, payload))
    raise InvalidInput("must be 'required_rate' or 'completion_shares'", field="kind")
