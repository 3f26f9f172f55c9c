"""`calc datacentre`: GB 40879 grades, Yunnan new-build and retrofit limits, Shanghai closure — at the boundaries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.calc import datacentre
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.tables import shipped_reference


def run(**payload: Any) -> dict[str, Any]:
    return datacentre.run(payload, shipped_reference())


@pytest.mark.parametrize(
    ("pue", "grade"),
    [(1.0, 1), (1.20, 1), (1.2001, 2), (1.30, 2), (1.31, 3), (1.50, 3), (1.5001, None)],  # grades are “≤”
)
def test_gb40879_grade(pue: float, grade: int | None) -> None:
    assert run(pue=pue)["gb40879_grade"] == grade


@pytest.mark.parametrize(
    ("pue", "size", "allowed"),
    [(1.3, "large", True), (1.3001, "large", False), (1.25, "super_large", True), (1.4, "medium", None)],
)
def test_yunnan_new_build(pue: float, size: str, allowed: bool | None) -> None:
    # 新建大型及以上 PUE 不高于 1.3: 1.3 itself is allowed; smaller centres have no such rule in the text
    assert run(pue=pue, new=True, size=size)["new_build_allowed"] is allowed


def test_new_build_not_applicable_for_existing() -> None:
    result = run(pue=1.4, new=False, size="large")
    assert result["new_build_allowed"] is None
    assert "not a new build" in result["trace"][3]["condition"]


@pytest.mark.parametrize(("pue", "required"), [(1.5, False), (1.5001, True)])
def test_yunnan_retrofit(pue: float, required: bool) -> None:
    # 超过 1.5: 1.5 itself is not above
    assert run(pue=pue)["retrofit_required"] is required


@pytest.mark.parametrize(
    ("pue", "racks", "years", "close"),
    [
        (1.71, 800, 10, True),  # PUE > 1.7, racks ≤ 800, ≥ 10 years: all at their boundaries
        (1.7, 800, 10, False),  # PUE 1.7 is not “大于1.7”
        (1.71, 801, 10, False),
        (1.71, 800, 9.9, False),
    ],
)
def test_shanghai_closure(pue: float, racks: int, years: float, close: bool) -> None:
    assert run(pue=pue, racks=racks, years_in_operation=years)["close_candidate"] is close


def test_closure_undetermined_without_racks() -> None:
    result = run(pue=1.8, years_in_operation=12)
    assert result["close_candidate"] is None and result["close_candidate_missing"] == ["racks"]


def test_trace_states_boundaries_and_sources() -> None:
    trace = run(pue=1.5, new=True, size="large", racks=100, years_in_operation=3)["trace"]
    conditions = [line["condition"] for line in trace]
    assert conditions[2] == "pue ≤ 1.5 (能效3级)"
    assert "不高于" in conditions[3] and "超过" in conditions[4]
    assert trace[3]["rule"] == "yunnan.datacentre.new_large_pue_max"
    assert trace[5]["rule"] == "sh-baiyi-2022.data-centre-consolidation" and conditions[5] == "1.7 < pue"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"pue": 0.9}, "pue"), ({"pue": 1.2, "size": "huge"}, "size"), ({"pue": 1.2, "rack": 3}, "rack"), ({}, "pue")],
)
def test_bad_input(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        datacentre.run(payload, shipped_reference())
    assert info.value.field == field


def test_cli() -> None:
    result = CliRunner().invoke(app, ["calc", "datacentre"], input=json.dumps({"pue": 1.25}))
    assert result.exit_code == 0 and json.loads(result.stdout)["gb40879_grade"] == 2
    result = CliRunner().invoke(app, ["calc", "datacentre"], input=json.dumps({"pue": "high"}))
    assert result.exit_code == 2 and "pue" in result.stderr


@pytest.mark.parametrize(
    ("payload", "why_en", "why_zh"),
    [
        ({"new": False, "size": "large"}, "not a new build", "非新建数据中心"),
        ({}, "'new' not given", "未说明是否新建（new）"),
        ({"new": True, "size": "medium"}, "size medium is not 大型及以上", "规模为中型，不属于大型及以上"),
        ({"new": True}, "size not given is not 大型及以上", "未说明规模（size），无法判断是否为大型及以上"),
    ],
)
def test_not_applicable_reason_in_chinese(payload: dict[str, Any], why_en: str, why_zh: str) -> None:
    line = run(pue=1.4, **payload)["trace"][3]
    assert line["passed"] is None
    assert line["condition"].endswith(f"not applicable ({why_en})")  # the English contract is unchanged
    assert line["condition_zh"] == f"新建大型及以上数据中心 PUE 不高于 1.3（含）——不适用（{why_zh}）"


def test_gb40879_note_has_chinese_beside_english() -> None:
    result = run(pue=1.51)
    assert result["gb40879_note"] == "above the 3级 limit value (能效限定值): not compliant with GB 40879-2021"
    assert result["gb40879_note_zh"] == "PUE 超过能效3级（能效限定值）1.5：不符合 GB 40879-2021"
    assert "gb40879_note_zh" not in run(pue=1.5)


def test_missing_facts_in_chinese() -> None:
    result = run(pue=1.8)
    assert result["close_candidate_missing"] == ["racks", "years_in_operation"]
    assert result["close_candidate_missing_zh"] == ["单体规模", "连续投产时间"]
