"""`calc subsidy` on the Longgang pack: every money rule at and around its boundaries, with the trace.

Amounts are worked by hand from the text (龙港市制造业节能改造行动方案 4、（二）); “以上” includes the number (附则 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.calc import subsidy
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.tables import shipped_reference

runner = CliRunner()


def run(rule: str, facts: dict[str, Any], pack: str = "longgang") -> dict[str, Any]:
    return subsidy.run({"pack": pack, "rule": rule, "facts": facts}, shipped_reference())


def retrofit(investment: float, tce: float = 30, drop: float = 0, rise: float = 20) -> dict[str, Any]:
    facts = {
        "investment_yuan": investment,
        "annual_saving_tce": tce,
        "intensity_drop_pct": drop,
        "productivity_rise_pct": rise,
    }
    return run("retrofit", facts)


@pytest.mark.parametrize(
    ("investment", "amount"),
    [
        (999_999, 0),  # below the lowest band (100万): not eligible
        (1_000_000, 140_000),  # 100万 × 14 % = 14万
        (1_999_999, 279_999.86),  # 1,999,999 × 0.14
        (2_000_000, 340_000),  # 200万 opens the 17 % band: 200万 × 17 % = 34万
        (4_999_999, 849_999.83),  # 4,999,999 × 0.17
        (5_000_000, 1_100_000),  # exactly 500万 is “500万元以上” (附则 1): × 22 % = 110万
        (22_727_272, 4_999_999.84),  # 22,727,272 × 0.22 — just under the cap
        (30_000_000, 5_000_000),  # 3000万 × 22 % = 660万 > cap 500万 → 500万
    ],
)
def test_retrofit_tiers_and_cap(investment: float, amount: float) -> None:
    result = retrofit(investment)
    assert result["amount_yuan"] == pytest.approx(amount)
    assert result["eligible"] is (amount > 0)


def test_retrofit_cap_trace() -> None:
    result = retrofit(30_000_000)
    assert result["uncapped_yuan"] == pytest.approx(6_600_000)  # 3000万 × 0.22
    cap = result["trace"][-1]
    assert cap["condition"] == "amount ≤ cap 5000000 元 per project" and cap["passed"] is False


@pytest.mark.parametrize(
    ("tce", "drop", "rise", "eligible"),
    [
        (30, 0, 20, True),  # exactly 30 tce and exactly 20 %: both “以上” → included
        (29.99, 0, 20, False),  # neither 30 tce nor 4 %
        (29.99, 4, 20, True),  # the 4 % branch of ① (OR)
        (0, 3.99, 20, False),
        (100, 10, 19.99, False),  # ② productivity below 20 % fails whatever ① says
    ],
)
def test_retrofit_eligibility_tree(tce: float, drop: float, rise: float, eligible: bool) -> None:
    result = retrofit(1_500_000, tce, drop, rise)
    assert result["eligible"] is eligible
    # 150万 × 14 % = 21万 when eligible
    assert result["amount_yuan"] == pytest.approx(210_000 if eligible else 0)


def test_retrofit_trace_names_each_condition_with_its_clause() -> None:
    trace = retrofit(1_500_000, 30, 0, 20)["trace"]
    assert {line["clause"] for line in trace} == {"4、保障措施 （二）4.优化产线节能改造项目支持"}
    conditions = [(line["condition"], line["value"], line["passed"]) for line in trace]
    assert conditions[:6] == [
        ("30 tce/a ≤ annual_saving_tce", 30.0, True),
        ("4 % ≤ intensity_drop_pct", 0.0, False),
        ("any of the 2 conditions above", None, True),
        ("20 % ≤ productivity_rise_pct", 20.0, True),
        ("1000000 元 ≤ investment_yuan", 1_500_000.0, True),
        ("all of the 3 conditions above", None, True),
    ]
    assert conditions[-2] == ("amount = investment_yuan × 14 %", 210_000.0, True)
    assert set(trace[0]) >= {"rule", "clause", "condition", "value", "passed"}


def test_retrofit_decisions_are_reported() -> None:
    decisions = retrofit(5_000_000)["decisions"]
    assert any(d["question"].startswith("exactly 500 万元") and d["decision"] == "22 %" for d in decisions)


@pytest.mark.parametrize(
    ("tce", "investment", "amount"),
    [
        (50, 2_000_000, 340_000),  # exactly 50 tce is “50吨标准煤以上”; 200万 × 17 %
        (49.99, 2_000_000, 0),
        (80, 5_000_000, 1_100_000),  # 500万 × 22 %
    ],
)
def test_emc_uses_retrofit_tiers_without_productivity_condition(tce: float, investment: float, amount: float) -> None:
    facts = {
        "investment_yuan": investment,
        "annual_saving_tce": tce,
        "intensity_drop_pct": 0,
        "productivity_rise_pct": 0,
    }
    result = run("emc", facts)
    assert result["amount_yuan"] == pytest.approx(amount)
    assert result["eligible"] is (amount > 0)


@pytest.mark.parametrize(
    ("mode", "connected", "kwh", "amount"),
    [
        ("自发自用、余量上网", True, 123_456, 12_345.6),  # 123,456 kWh × 0.1 元
        ("自发自用、余量上网", False, 123_456, 0),  # not on the city platform
        ("全额上网", True, 123_456, 0),  # only 自发自用、余量上网 projects
    ],
)
def test_pv(mode: str, connected: bool, kwh: float, amount: float) -> None:
    result = run("pv", {"mode": mode, "connected_to_platform": connected, "generation_kwh": kwh})
    assert result["amount_yuan"] == pytest.approx(amount)


def test_storage_and_diagnosis() -> None:
    assert run("storage", {"discharge_kwh": 1_200_000})["amount_yuan"] == pytest.approx(960_000)  # × 0.8
    assert run("storage", {"discharge_kwh": 0})["eligible"] is False  # 实际投运: nothing discharged
    assert run("diagnosis", {"accepted_reports": 3})["amount_yuan"] == pytest.approx(15_000)  # 3 × 5000
    assert run("diagnosis", {"accepted_reports": 0})["eligible"] is False


@pytest.mark.parametrize(
    ("level", "kind", "amount"),
    [
        ("national", "green_factory", 1_000_000),
        ("national", "green_supply_chain", 600_000),
        ("national", "green_product", 300_000),
        ("provincial", "green_factory", 500_000),
        ("provincial", "green_supply_chain", 300_000),
        ("provincial", "green_product", 150_000),
        ("city", "green_park", 100_000),
        ("city", "green_factory", 50_000),
        ("national", "green_park", 0),  # no award named for it
        ("city", "green_product", 0),
    ],
)
def test_green_awards(level: str, kind: str, amount: float) -> None:
    result = run("green", {"level": level, "kind": kind})
    assert result["amount_yuan"] == amount and result["eligible"] is (amount > 0)


def test_loan_rate() -> None:
    result = run("loan", {"lpr_pct": 3.45})
    assert result["min_rate_pct"] == pytest.approx(3.25)  # 3.45 % − 20 个基点 (0.20 pp)
    assert result["amount_yuan"] == 0


def test_fujian_w15() -> None:
    # research notes W15: 1800 tce × 500 = 900,000; 20,000 tce → 10 M capped at 8 M; prepay 50 % of 900,000.
    def fujian(rule: str, tce: float, months: float) -> dict[str, Any]:
        return run(rule, {"in_provincial_library": True, "stable_months": months, "annual_saving_tce": tce}, "fujian")

    assert fujian("retrofit", 1800, 12)["amount_yuan"] == 900_000
    assert fujian("retrofit", 20_000, 12)["amount_yuan"] == 8_000_000
    assert fujian("retrofit", 450, 12)["eligible"] is False
    assert fujian("retrofit-prepay", 1800, 8)["amount_yuan"] == 450_000
    capped = run(
        "retrofit",
        {
            "in_provincial_library": True,
            "stable_months": 12,
            "annual_saving_tce": 1800,
            "granted_enterprise_year_yuan": 7_500_000,
        },
        "fujian",
    )
    assert capped["amount_yuan"] == 500_000  # room 8 M − 7.5 M


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"pack": "longgang", "rule": "retrofit", "facts": {"investment_yuan": 1}}, "facts.annual_saving_tce"),
        (
            {
                "pack": "longgang",
                "rule": "pv",
                "facts": {"mode": "x", "connected_to_platform": True, "generation_kwh": 1},
            },
            "facts.mode",
        ),
        ({"pack": "longgang", "rule": "storage", "facts": {"discharge_kwh": -1}}, "facts.discharge_kwh"),
        ({"pack": "longgang", "rule": "storage", "facts": {"discharge_kwh": 1, "typo": 2}}, "facts.typo"),
        ({"pack": "longgang", "rule": "solar", "facts": {}}, "rule"),
        ({"pack": "atlantis", "rule": "pv", "facts": {}}, "pack"),
        ({"pack": "longgang", "facts": {}}, "rule"),
    ],
)
def test_bad_input_names_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        subsidy.run(payload, shipped_reference())
    assert info.value.field == field


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps({"pack": "longgang", "rule": "diagnosis", "facts": {"accepted_reports": 2}}), encoding="utf-8"
    )
    result = runner.invoke(app, ["calc", "subsidy", str(good)])
    assert result.exit_code == 0 and json.loads(result.stdout)["amount_yuan"] == 10_000
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"pack": "longgang", "rule": "diagnosis", "facts": {"accepted_reports": "two"}}), encoding="utf-8"
    )
    result = runner.invoke(app, ["calc", "subsidy", str(bad)])
    assert result.exit_code == 2 and "facts.accepted_reports" in result.stderr


def test_report_count_must_be_whole() -> None:
    with pytest.raises(InvalidInput) as info:
        run("diagnosis", {"accepted_reports": 2.5})
    assert info.value.field == "facts.accepted_reports"


def test_emc_needs_only_its_own_facts() -> None:
    # 60 tce, 150万 × 14 % = 21万; the productivity figures are optional for EMC (not tested by item 8)
    assert run("emc", {"investment_yuan": 1_500_000, "annual_saving_tce": 60})["amount_yuan"] == pytest.approx(210_000)


def test_trace_lines_add_a_chinese_sentence_beside_the_english_one() -> None:
    # the contract's keys and English texts stay as they were (see the test above); condition_zh is added
    trace = retrofit(1_500_000, 30, 0, 20)["trace"]
    assert all(set(line) >= {"rule", "clause", "condition", "condition_zh", "value", "passed"} for line in trace)
    assert [(line["condition"], line["condition_zh"]) for line in trace] == [
        ("30 tce/a ≤ annual_saving_tce", "年节能量 30 吨标准煤/年以上（含）"),
        ("4 % ≤ intensity_drop_pct", "单位增加值能耗下降 4%以上（含）"),
        ("any of the 2 conditions above", "以上 2 项条件至少满足一项"),
        ("20 % ≤ productivity_rise_pct", "全员劳动生产率提高 20%以上（含）"),
        ("1000000 元 ≤ investment_yuan", "一年内生产性设备与信息化投入 100万元以上（含）"),
        ("all of the 3 conditions above", "以上 3 项条件全部满足"),
        (
            "tier of investment_yuan: 1000000 元 ≤ investment_yuan < 2000000 元; "
            "2000000 元 ≤ investment_yuan < 5000000 元; 5000000 元 ≤ investment_yuan",
            "按一年内生产性设备与信息化投入分档：100万元至200万元 按投资额的14%；"
            "200万元至500万元 按投资额的17%；500万元以上 按投资额的22%",
        ),
        ("amount = investment_yuan × 14 %", "补助金额 = 一年内生产性设备与信息化投入 × 14%"),
        ("amount ≤ cap 5000000 元 per project", "补助金额不超过每个项目上限 500万元"),
    ]


def test_chinese_sentences_of_awards_rates_shares_and_caps() -> None:
    storage = run("storage", {"discharge_kwh": 1_000})["trace"]
    # “实际投运”: more than 0 kWh discharged, 0 itself excluded
    assert storage[0]["condition_zh"] == "实际放电量超过 0 kWh（不含）"
    assert storage[-1]["condition_zh"] == "补助金额 = 实际放电量 × 0.8 元/kWh"
    green = run("green", {"level": "national", "kind": "green_factory"})["trace"]
    assert green[-1]["condition_zh"] == "固定奖励（类别 绿色工厂，级别 国家级）：国家级绿色工厂 100万元"
    loan = run("loan", {"lpr_pct": 3.45})["trace"]
    assert loan[-1]["condition_zh"] == "最低贷款利率（%） = 同期 LPR 利率 − 0.2 个百分点"
    facts = {"in_provincial_library": True, "stable_months": 8, "annual_saving_tce": 1800}
    prepay = run("retrofit-prepay", facts, "fujian")["trace"]
    assert prepay[2]["condition_zh"] == "项目建成后稳定运行月数低于 12 个月（不含）"
    assert prepay[-2]["condition_zh"] == "本次拨付：补助金额的 50%"
    assert prepay[-1]["note_zh"] == "未提供此前已获补助金额，按全额上限核对"
    facts = {**facts, "stable_months": 12, "granted_enterprise_year_yuan": 7_500_000}
    capped = run("retrofit", facts, "fujian")["trace"][-1]
    assert (
        capped["condition"]
        == "amount ≤ cap 8000000 元 per enterprise_year less 7500000 元 granted before (room 500000 元)"
    )
    assert capped["condition_zh"] == "补助金额不超过每家单位每年上限 800万元，扣除此前已获 750万元（尚余 50万元）"


def test_cli_output_carries_condition_zh(tmp_path: Path) -> None:
    payload = tmp_path / "in.json"
    payload.write_text(
        json.dumps({"pack": "longgang", "rule": "storage", "facts": {"discharge_kwh": 10}}), encoding="utf-8"
    )
    result = runner.invoke(app, ["calc", "subsidy", str(payload)])
    trace = json.loads(result.stdout)["trace"]
    assert result.exit_code == 0 and trace[0]["condition"] == "0 kWh < discharge_kwh"
    assert trace[0]["condition_zh"] == "实际放电量超过 0 kWh（不含）"


def test_choice_codes_are_shown_by_their_labels_in_chinese_and_kept_in_json() -> None:
    # the pack's labels_zh (national → 国家级 …): Chinese sentences show labels, the JSON trace keeps the codes
    green = run("green", {"level": "provincial", "kind": "green_supply_chain"})
    assert green["amount_yuan"] == 300_000.0
    leaf = green["trace"][0]
    assert leaf["condition_zh"] == "级别为 国家级、省级、市级 之一" and leaf["value"] == "provincial"
    assert "national" in leaf["condition"]  # the English contract is unchanged
    award = green["trace"][-1]
    assert award["condition_zh"] == "固定奖励（类别 绿色供应链，级别 省级）：省级绿色供应链 30万元"
    assert "green_supply_chain" in award["condition"]
    # a choice that is already Chinese in the pack (PV 并网模式) has no label and is shown as it is
    pv = run("pv", {"mode": "全额上网", "connected_to_platform": True, "generation_kwh": 1000})
    assert pv["trace"][0]["condition_zh"] == "并网模式为“自发自用、余量上网”" and pv["eligible"] is False


def test_a_label_must_name_a_choice() -> None:
    from dualcarbon.reference.policy_incentives import RuleFact

    with pytest.raises(ValueError, match="labels_zh"):
        RuleFact(type="text", choices=("a",), labels_zh={"b": "乙"})
