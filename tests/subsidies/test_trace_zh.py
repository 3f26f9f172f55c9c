"""Which sentence of a trace line a reader sees: Chinese pages get ``condition_zh`` (and ``note_zh``), English
pages the contract's ``condition``; lines stored before ``condition_zh`` existed fall back to ``condition``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from dualcarbon.domain.rules_zh import money_zh, range_zh, trace_condition, where_zh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import apply_storage, storage_with_pool


def test_trace_condition_by_language() -> None:
    line = {
        "condition": "0 kWh < discharge_kwh",
        "condition_zh": "实际放电量超过 0 kWh（不含）",
        "note": "实际投运",
    }
    assert trace_condition(line, "zh") == "实际放电量超过 0 kWh（不含）（实际投运）"
    assert trace_condition(line, "en") == "0 kWh < discharge_kwh（实际投运）"
    old = {"condition": "amount ≤ cap 5000000 元 per project", "note": "counted: none"}
    assert trace_condition(old, "zh") == "amount ≤ cap 5000000 元 per project（counted: none）"
    assert trace_condition({**old, "note_zh": "已计入：无"}, "zh").endswith("（已计入：无）")


def test_wording_of_bounds_money_and_sources() -> None:
    # 1 000 000 元 = 100万元 exactly; 12 345 元 is not a whole 万 and stays in 元
    assert money_zh(1_000_000) == "100万元" and money_zh(12_345) == "12345元" and money_zh(150_000) == "15万元"
    assert range_zh("投资额", 1_000_000, True, 2_000_000, False, "元") == "投资额 100万元（含）至 200万元（不含）"
    assert range_zh("单体规模", None, None, 800, True, "架") == "单体规模 800 架以下（含）"
    assert range_zh("PUE", 1.7, False, None, None, "1") == "PUE 超过 1.7（不含）"
    assert where_zh("storage 4 2023-01…2023-03 (meter/reported)") == "储能 4 2023-01…2023-03（计量值/报送值）"
    assert where_zh("declared by the applicant") == "申请人申报"
    assert where_zh("something new") == "something new"


def test_application_trace_has_chinese_on_every_line(world: Any) -> None:
    asset_id = storage_with_pool(world, ["2023-03"], 5_000)
    out = apply_storage(world, asset_id, "2023-03")  # 1 000 kWh × 0.8 元/kWh = 800 元
    assert all(line["condition"] and line["condition_zh"] for line in out.trace)
    texts = [line["condition_zh"] for line in out.trace]
    assert texts[0].startswith("证明材料日期在政策有效期内")
    assert out.trace[0]["condition"].startswith("pack in force on the evidence date")
    assert texts[1] == f"实际放电量 来源：储能 {asset_id} 2023-03…2023-03（报送值）"
    assert "补助金额 = 实际放电量 × 0.8 元/kWh" in texts
