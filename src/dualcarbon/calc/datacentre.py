"""`datacentre` contract: a data centre's PUE against GB 40879 and the Yunnan and Shanghai rules.

Input ``{"pue", "racks"?, "years_in_operation"?, "new"?, "size"?}`` → ``{"gb40879_grade", "new_build_allowed"?,
"retrofit_required"?, "close_candidate"?, "trace"}`` — docs/contracts.md#datacentre.

* GB 40879-2021 grades from the reference table ``pue_grades`` (rows "GB 40879-2021 能效N级": PUE ≤ threshold).
* Yunnan (pack yunnan-2022, parameters): new 大型及以上 PUE ≤ 1.3 (“不高于”); retrofit when PUE > 1.5 (“超过”).
* Shanghai 百一 (pack shanghai-baiyi-2022, obligation data_centre_consolidation): close candidate when
  PUE > 1.7 AND racks ≤ 800 AND ≥ 10 years; undetermined (null) when racks or years are not given.
Each boundary is read as the text reads it and the trace says which.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, FiniteFloat

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain import rules_zh as zh
from dualcarbon.domain.obligations import evaluate_rule
from dualcarbon.reference.policy import load_pack
from dualcarbon.reference.tables import ReferenceSet

YUNNAN_PACK = "yunnan-2022"
SHANGHAI_PACK = "shanghai-baiyi-2022"
LARGE_SIZES = ("large", "super_large")  # 大型及以上: 大型 and 超大型
_GRADE_ITEM = re.compile(r"^GB 40879-2021 能效(\d)级")


class DatacentreInput(Strict):
    pue: FiniteFloat = Field(ge=1)
    racks: int | None = Field(default=None, ge=0)
    years_in_operation: FiniteFloat | None = Field(default=None, ge=0)
    new: bool | None = None
    size: Literal["small", "medium", "large", "super_large"] | None = None


def _grades(reference: ReferenceSet) -> list[tuple[int, float, dict[str, str]]]:
    out = []
    for row in reference.tables["pue_grades"].rows:
        match = _GRADE_ITEM.match(row.get("item", ""))
        if match and row.get("threshold") and row.get("comparison") == "<=":
            out.append((int(match.group(1)), float(row["threshold"]), row))
    if not out:
        raise InvalidInput("the reference table pue_grades has no GB 40879-2021 grade rows", field="pue_grades")
    return sorted(out)


def run(payload: Any, reference: ReferenceSet) -> dict[str, Any]:
    data = parse(DatacentreInput, payload)
    trace: list[dict[str, Any]] = []
    grade: int | None = None
    for number, threshold, row in _grades(reference):
        passed = data.pue <= threshold
        trace.append(
            {
                "rule": f"pue_grades {row['row_id']}",
                "clause": row["item"],
                "condition": f"pue ≤ {threshold:g} (能效{number}级)",
                "condition_zh": zh.pue_grade_zh(threshold, number),
                "value": data.pue,
                "passed": passed,
            }
        )
        if passed and grade is None:
            grade = number
    result: dict[str, Any] = {"pue": data.pue, "gb40879_grade": grade}
    if grade is None:
        result["gb40879_note"] = "above the 3级 limit value (能效限定值): not compliant with GB 40879-2021"
        result["gb40879_note_zh"] = zh.pue_above_limit_zh(_grades(reference)[-1][1])

    yunnan = load_pack(YUNNAN_PACK)
    new_max = yunnan.parameter_entry("yunnan.datacentre.new_large_pue_max")
    retrofit_above = yunnan.parameter_entry("yunnan.datacentre.retrofit_pue_above")
    if data.new and data.size in LARGE_SIZES:
        allowed = data.pue <= float(new_max.value)
        result["new_build_allowed"] = allowed
        trace.append(
            {
                "rule": new_max.id,
                "clause": new_max.source.clause,
                "condition": f"pue ≤ {new_max.value} (不高于: {new_max.value} allowed)",
                "condition_zh": zh.pue_new_large_zh(float(new_max.value), True),
                "value": data.pue,
                "passed": allowed,
            }
        )
    else:
        result["new_build_allowed"] = None
        why = (
            "not a new build"
            if data.new is False
            else "'new' not given"
            if data.new is None
            else f"size {data.size or 'not given'} is not 大型及以上"
        )
        why_zh = zh.new_build_na_zh(data.new, data.size)
        trace.append(
            {
                "rule": new_max.id,
                "clause": new_max.source.clause,
                "condition": f"new 大型及以上 data centre: pue ≤ {new_max.value} — not applicable ({why})",
                "condition_zh": zh.pue_new_large_zh(float(new_max.value), False, why_zh),
                "value": data.pue,
                "passed": None,
            }
        )
    required = data.pue > float(retrofit_above.value)
    result["retrofit_required"] = required
    trace.append(
        {
            "rule": retrofit_above.id,
            "clause": retrofit_above.source.clause,
            "condition": f"pue > {retrofit_above.value} (超过: {retrofit_above.value} itself is not above)",
            "condition_zh": zh.pue_retrofit_zh(float(retrofit_above.value)),
            "value": data.pue,
            "passed": required,
        }
    )

    shanghai = load_pack(SHANGHAI_PACK)
    rule = next(r for r in shanghai.obligations if r.obligation == "data_centre_consolidation")
    facts: dict[str, float] = {"pue": data.pue}
    if data.racks is not None:
        facts["rack_count"] = data.racks
    if data.years_in_operation is not None:
        facts["years_in_operation"] = data.years_in_operation
    finding = evaluate_rule(shanghai, rule, facts)
    for check, condition in zip(finding.checks, rule.when, strict=True):
        trace.append(
            {
                "rule": rule.id,
                "clause": rule.source.clause,
                "condition": check.condition,
                "condition_zh": zh.obligation_zh(condition),
                "value": check.value,
                "passed": check.met,
            }
        )
    result["close_candidate"] = {"applies": True, "does_not_apply": False}.get(finding.status)
    if finding.status == "undetermined":
        result["close_candidate_missing"] = [{"rack_count": "racks"}.get(name, name) for name in finding.missing_facts]
        result["close_candidate_missing_zh"] = zh.missing_facts_zh(finding.missing_facts)
    result["trace"] = trace
    return result
