"""The register's PUE checks give the ``calc datacentre`` contract's answer for the same input (the register may
not import the contract's module, so it composes the same sources; this keeps the two from drifting apart)."""

from __future__ import annotations

import pytest

from dualcarbon.assets.service_pue_checks import pue_checks
from dualcarbon.calc import datacentre
from dualcarbon.reference import shipped_reference

KEYS = ("gb40879_grade", "new_build_allowed", "retrofit_required", "close_candidate")
CASES = [
    # boundaries as the texts read them: 1.2/1.3/1.5 grade limits (≤), Yunnan 1.3 (≤) and 1.5 (>), Shanghai 1.7 (>)
    {"pue": 1.2, "new": True, "size": "large"},
    {"pue": 1.3, "new": True, "size": "super_large"},
    {"pue": 1.31, "new": True, "size": "large"},
    {"pue": 1.5},
    {"pue": 1.51, "new": False},
    {"pue": 1.7, "racks": 800, "years_in_operation": 10},
    {"pue": 1.71, "racks": 800, "years_in_operation": 10},
    {"pue": 1.71, "racks": 801, "years_in_operation": 10},
    {"pue": 1.9, "racks": 100},
    {"pue": 1.9, "new": True, "size": "medium"},
]


@pytest.mark.parametrize("case", CASES)
def test_same_answer_as_the_contract(case: dict[str, object]) -> None:
    reference = shipped_reference()
    contract = datacentre.run(case, reference)
    ours = pue_checks(
        float(case["pue"]),  # type: ignore[arg-type]
        reference,
        racks=case.get("racks"),  # type: ignore[arg-type]
        years_in_operation=case.get("years_in_operation"),  # type: ignore[arg-type]
        new=case.get("new"),  # type: ignore[arg-type]
        size=case.get("size"),  # type: ignore[arg-type]
    )
    assert {k: ours[k] for k in KEYS} == {k: contract[k] for k in KEYS}


def test_known_values() -> None:
    reference = shipped_reference()
    # 1.3 ≤ 1.3 (不高于): a new large data centre at exactly 1.3 is allowed; grade 2 (≤ 1.30)
    assert pue_checks(1.3, reference, new=True, size="large")["new_build_allowed"] is True
    assert pue_checks(1.3, reference)["gb40879_grade"] == 2
    # 1.71 > 1.7 AND 800 ≤ 800 racks AND 10 ≥ 10 years: a closure candidate; unknown racks: undetermined
    assert pue_checks(1.71, reference, racks=800, years_in_operation=10)["close_candidate"] is True
    assert pue_checks(1.71, reference)["close_candidate"] is None
