"""Obligations from the shipped policy packs; every threshold comes from the pack (quoted clause)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.obligations import evaluate_rules, obligations_for
from dualcarbon.reference.policy import load_pack, parse_pack

SHANGHAI = load_pack("shanghai-baiyi-2022")
NATIONAL = load_pack("national")
LONGGANG = load_pack("longgang-2022")


def kinds(findings: list[Any], status: str = "applies") -> set[str]:
    return {f.obligation for f in findings if f.status == status}


def test_shanghai_audit_at_6000_tce_with_trace() -> None:
    # 百一 六（一）1: "年综合能耗 5000 吨标准煤及以上 … 能源审计工作全覆盖": 6,000 ≥ 5,000 → audit.
    findings = obligations_for(6_000, SHANGHAI, {"above_designated_size": True})
    assert kinds(findings) == {"energy_audit"}
    audit = next(f for f in findings if f.obligation == "energy_audit")
    assert audit.rule_id == "sh-baiyi-2022.energy-audit"
    assert audit.checks[0].condition == "5000 tce/a ≤ annual_energy_tce"
    assert audit.checks[0].value == 6_000 and audit.checks[0].met is True
    assert "5000 吨标准煤及以上" in audit.source.text
    assert audit.requirements[0].value == 5 and audit.requirements[0].unit == "%"
    assert [d.by.isoformat() for d in audit.deadlines] == ["2022-08-31", "2022-12-31"]


def test_shanghai_boundaries() -> None:
    above = {"above_designated_size": True}
    # exactly 5,000 ("及以上" includes it) → audit, not diagnosis (2000~5000 read as 2000 ≤ x < 5000)
    assert kinds(obligations_for(5_000, SHANGHAI, above)) == {"energy_audit"}
    # 4,999.9 → diagnosis; exactly 2,000 → diagnosis; 1,999.9 → nothing
    assert kinds(obligations_for(4_999.9, SHANGHAI, above)) == {"energy_saving_diagnosis"}
    assert kinds(obligations_for(2_000, SHANGHAI, above)) == {"energy_saving_diagnosis"}
    assert obligations_for(1_999.9, SHANGHAI, above) == []
    # 1 万吨 = 10,000 tce ("以上" read inclusive) → audit + energy-management centre
    assert kinds(obligations_for(10_000, SHANGHAI, above)) == {"energy_audit", "energy_management_centre"}


def test_diagnosis_needs_above_designated_size() -> None:
    # "规上企业": without the fact the rule is undetermined and names the missing fact; 规下 → not applicable.
    findings = obligations_for(3_000, SHANGHAI)
    assert kinds(findings, "undetermined") == {"energy_saving_diagnosis"}
    assert findings[0].missing_facts == ("above_designated_size",)
    assert obligations_for(3_000, SHANGHAI, {"above_designated_size": False}) == []
    assert obligations_for(3_000, SHANGHAI, include_undetermined=False) == []


def test_national_key_unit() -> None:
    # research §1.1: ≥ 10,000 tce, or 5,000–10,000 tce designated by a province.
    ten_k = obligations_for(10_000, NATIONAL)
    assert [f.rule_id for f in ten_k if f.status == "applies"] == ["national.key-unit.10000"]
    assert kinds(obligations_for(7_000, NATIONAL, {"designated_by_province": True})) == {"key_energy_using_unit"}
    assert obligations_for(7_000, NATIONAL, {"designated_by_province": False}) == []
    undetermined = obligations_for(7_000, NATIONAL)
    assert [f.rule_id for f in undetermined] == ["national.key-unit.designated"]
    assert undetermined[0].status == "undetermined"
    assert obligations_for(4_999, NATIONAL, {"designated_by_province": True}) == []


def test_longgang_high_consumption_screening() -> None:
    # "规上制造业企业、实际用地 3 亩（含）以上的规下制造业企业开展排查": 3 亩 included.
    assert kinds(obligations_for(0, LONGGANG, {"above_designated_size": True})) == {"high_consumption_screening"}
    below = {"above_designated_size": False, "land_area_mu": 3}
    assert [f.rule_id for f in obligations_for(0, LONGGANG, below)] == [
        "longgang-2022.high-consumption-screening.below-scale-land"
    ]
    assert obligations_for(0, LONGGANG, {"above_designated_size": False, "land_area_mu": 2.99}) == []


def test_data_centre_consolidation_boundaries() -> None:
    # "PUE大于1.7、单体规模不超过800架、连续投产时间10年以上": 1.7 excluded, 800 included, 10 included.
    def status(pue: float, racks: int, years: float) -> str:
        facts = {"pue": pue, "rack_count": racks, "years_in_operation": years}
        (finding,) = evaluate_rules(SHANGHAI, facts, subject="data_centre")
        return finding.status

    assert status(1.71, 800, 10) == "applies"
    assert status(1.70, 800, 10) == "does_not_apply"
    assert status(1.8, 801, 12) == "does_not_apply"
    assert status(1.8, 500, 9.9) == "does_not_apply"


def test_threshold_in_another_unit_is_converted() -> None:
    data: dict[str, Any] = copy.deepcopy(_minimal_pack())
    data["obligations"][0]["when"][0].update(min=5_000_000, unit="kgce/a")  # 5,000,000 kgce/a = 5,000 tce/a
    pack = parse_pack(data)
    assert kinds(obligations_for(5_000, pack)) == {"energy_audit"}
    assert obligations_for(4_999, pack) == []


def test_bad_facts_are_named() -> None:
    with pytest.raises(InvalidInput) as error:
        obligations_for(100, SHANGHAI, {"employees": 3})
    assert error.value.field == "facts.employees"
    with pytest.raises(InvalidInput) as error:
        obligations_for(100, SHANGHAI, {"above_designated_size": 1})
    assert error.value.field == "facts.above_designated_size"
    with pytest.raises(InvalidInput) as error:
        obligations_for(-1, SHANGHAI)
    assert error.value.field == "annual_energy_tce"


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.floats(min_value=0, max_value=1e6))
def test_audit_is_monotonic_in_consumption(low: float, extra: float) -> None:
    # If a unit must audit at E, it must audit at any E' ≥ E (a lower-bound-only rule).
    def audits(tce: float) -> bool:
        return "energy_audit" in kinds(obligations_for(tce, SHANGHAI, {"above_designated_size": True}))

    if audits(low):
        assert audits(low + extra)
    assert audits(low) == (low >= 5_000)


def _minimal_pack() -> dict[str, Any]:
    return {
        "schema": "dualcarbon.policy-pack/1",
        "id": "example",
        "title_zh": "示例",
        "jurisdiction": "示例市",
        "document": {"title": "示例"},
        "obligations": [
            {
                "id": "example.audit",
                "obligation": "energy_audit",
                "title_zh": "能源审计",
                "when": [{"fact": "annual_energy_tce", "min": 5000, "min_inclusive": True, "unit": "tce/a"}],
                "source": {"clause": "一", "text": "示例条文"},
            }
        ],
    }
