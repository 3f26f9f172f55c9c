"""A data centre's PUE against GB 40879 and the Yunnan and Shanghai rules — the same sources and boundary
readings as the ``calc datacentre`` contract (docs/contracts.md#datacentre), answered in its shape.

The contract's module (``dualcarbon.calc.datacentre``) may not be imported from another subject (import rule:
another subject is reached only through its ``service*`` modules), so the register composes the same three
sources here; the numbers are all data:

* GB 40879-2021 grades: reference table ``pue_grades``, rows “GB 40879-2021 能效N级” (PUE ≤ threshold);
* Yunnan (pack yunnan-2022): parameters ``yunnan.datacentre.new_large_pue_max`` (new 大型及以上: PUE ≤, “不高于”)
  and ``yunnan.datacentre.retrofit_pue_above`` (PUE >, “超过”);
* Shanghai 百一 (pack shanghai-baiyi-2022): obligation ``data_centre_consolidation`` evaluated by
  :func:`dualcarbon.domain.obligations.evaluate_rule` (undetermined when racks or years are unknown).

tests/assets/test_pue_checks.py checks that this answer equals the contract's for the same input.
"""

from __future__ import annotations

import re
from typing import Any

from dualcarbon.assets.service_common import shipped_pack
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain import rules_zh as zh
from dualcarbon.domain.obligations import evaluate_rule
from dualcarbon.reference.tables import ReferenceSet

YUNNAN_PACK = "yunnan-2022"
SHANGHAI_PACK = "shanghai-baiyi-2022"
LARGE_SIZES = ("large", "super_large")
_GRADE_ITEM = re.compile(r"^GB 40879-2021 能效(\d)级")


def _grades(reference: ReferenceSet) -> list[tuple[int, float, dict[str, str]]]:
    out = []
    for row in reference.tables["pue_grades"].rows:
        match = _GRADE_ITEM.match(row.get("item", ""))
        if match and row.get("threshold") and row.get("comparison") == "<=":
            out.append((int(match.group(1)), float(row["threshold"]), row))
    if not out:
        raise InvalidInput("the reference table pue_grades has no GB 40879-2021 grade rows", field="pue_grades")
    return sorted(out)


def pue_checks(
    pue: float,
    reference: ReferenceSet,
    *,
    racks: int | None = None,
    years_in_operation: float | None = None,
    new: bool | None = None,
    size: str | None = None,
) -> dict[str, Any]:
    """``{"pue", "gb40879_grade", "new_build_allowed", "retrofit_required", "close_candidate", "trace"}``."""
    trace: list[dict[str, Any]] = []
    grade = None
    for number, threshold, row in _grades(reference):
        passed = pue <= threshold
        trace.append(
            {
                "rule": f"pue_grades {row['row_id']}",
                "clause": row["item"],
                "condition": f"pue ≤ {threshold:g} (能效{number}级)",
                "condition_zh": zh.pue_grade_zh(threshold, number),
                "value": pue,
                "passed": passed,
            }
        )
        if passed and grade is None:
            grade = number
    result: dict[str, Any] = {"pue": pue, "gb40879_grade": grade}
    yunnan = shipped_pack(YUNNAN_PACK)
    new_max = yunnan.parameter_entry("yunnan.datacentre.new_large_pue_max")
    retrofit_above = yunnan.parameter_entry("yunnan.datacentre.retrofit_pue_above")
    applies = bool(new) and size in LARGE_SIZES
    result["new_build_allowed"] = pue <= float(new_max.value) if applies else None
    trace.append(
        {
            "rule": new_max.id,
            "clause": new_max.source.clause,
            "condition": f"new 大型及以上 data centre: pue ≤ {new_max.value}"
            + ("" if applies else " — not applicable"),
            "condition_zh": zh.pue_new_large_zh(
                float(new_max.value), applies, "" if applies else zh.new_build_na_zh(new, size)
            ),
            "value": pue,
            "passed": result["new_build_allowed"],
        }
    )
    result["retrofit_required"] = pue > float(retrofit_above.value)
    trace.append(
        {
            "rule": retrofit_above.id,
            "clause": retrofit_above.source.clause,
            "condition": f"pue > {retrofit_above.value} (超过)",
            "condition_zh": zh.pue_retrofit_zh(float(retrofit_above.value)),
            "value": pue,
            "passed": result["retrofit_required"],
        }
    )
    shanghai = shipped_pack(SHANGHAI_PACK)
    rule = next(r for r in shanghai.obligations if r.obligation == "data_centre_consolidation")
    facts: dict[str, float] = {"pue": pue}
    if racks is not None:
        facts["rack_count"] = racks
    if years_in_operation is not None:
        facts["years_in_operation"] = years_in_operation
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
    result["trace"] = trace
    return result
