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


@pytest.mark.parametrize("case", CASES)
def test_same_chinese_trace_as_the_contract(case: dict[str, object]) -> None:
    """Every line has a Chinese sentence, and the register's sentences are the contract's."""
    reference = shipped_reference()
    contract = datacentre.run(case, reference)["trace"]
    ours = pue_checks(
        float(case["pue"]),  # type: ignore[arg-type]
        reference,
        racks=case.get("racks"),  # type: ignore[arg-type]
        years_in_operation=case.get("years_in_operation"),  # type: ignore[arg-type]
        new=case.get("new"),  # type: ignore[arg-type]
        size=case.get("size"),  # type: ignore[arg-type]
    )["trace"]
    assert all(line["condition_zh"] for line in contract)
    assert [line["condition_zh"] for line in ours] == [line["condition_zh"] for line in contract]


def test_chinese_trace_states_the_boundaries() -> None:
    trace = datacentre.run(
        {"pue": 1.71, "racks": 800, "years_in_operation": 10, "new": True, "size": "large"}, shipped_reference()
    )["trace"]
    texts = [line["condition_zh"] for line in trace]
    assert texts[:3] == ["PUE 1.2 以下（含）：能效1级", "PUE 1.3 以下（含）：能效2级", "PUE 1.5 以下（含）：能效3级"]
    assert "新建大型及以上数据中心 PUE 不高于 1.3（含）" in texts  # Yunnan “不高于”
    assert "PUE 超过 1.5（不含），需实施节能改造" in texts  # Yunnan “超过”: 1.5 itself is not above
    # Shanghai: PUE大于1.7、单体规模不超过800架、连续投产时间10年以上
    assert texts[-3:] == ["PUE 超过 1.7（不含）", "单体规模 800 架以下（含）", "连续投产时间 10 年以上（含）"]
