"""An application's page in English has no Chinese made by the platform: trace conditions name facts by their
English titles (not their keys), choices and 元 by their glossary names, evidence sources in English (also those
stored in Chinese by an earlier version); a Chinese page keeps its Chinese and loses the packs' English asides.

What stays Chinese on English pages is what is quoted: clause citations, names, a reviewer's note.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.assets import service_common, service_pv
from dualcarbon.assets.schemas import PvIn, ReportedIn
from dualcarbon.domain.rules_zh import (
    claim_zh,
    condition_en,
    subject_zh,
    trace_condition,
    where_en,
    where_zh,
    without_english_aside,
)
from dualcarbon.reference import shipped_reference
from dualcarbon.reference.policy import load_pack
from dualcarbon.reference.policy_incentives import Cap
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_applications
from dualcarbon.subsidies.models import SubsidyApplication
from dualcarbon.subsidies.schemas import ApplicationIn, ApplicationOut
from dualcarbon.subsidies.service_caps import CapUse, _counted_zh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import apply_storage, storage_with_pool, who

HAN = re.compile(r"[\u3400-\u9fff]")


def _pv_application(world: Any) -> ApplicationOut:
    """Enterprise a's PV system (自发自用、余量上网, on the city platform) reporting 1 000 kWh in May 2023, applied
    for under the 龙港 pv rule: 1 000 kWh × 0.1 元/kWh = 100 元."""
    with session_scope(world.engine) as session:
        ent_a = who(session, "ent_a")
        spec = PvIn(
            credit_code=world.codes["a"],
            name="1号厂房屋顶光伏",
            roof_type="flat",
            module_height_m=2.6,
            capacity_kwp=500,
            connection_mode="自发自用、余量上网",
            connected_to_platform=True,
        )
        pv = service_pv.create_pv(session, ent_a, spec)
        months = ReportedIn.model_validate({"quantity": "generation", "months": [{"month": "2023-05", "kwh": 1000}]})
        service_common.report_months(session, ent_a, "pv", pv.id, months)
    body = ApplicationIn.model_validate(
        {
            "credit_code": world.codes["a"],
            "pack": "longgang",
            "rule": "pv",
            "year": 2023,
            "evidence": {"kind": "pv_generation", "asset_id": pv.id, "period_from": "2023-05", "period_to": "2023-05"},
        }
    )
    with session_scope(world.engine) as session:
        return service_applications.apply(session, who(session, "ent_a"), body, shipped_reference())


def test_english_conditions_name_facts_choices_and_money_in_english() -> None:
    rule = load_pack("longgang-2022").incentive("pv")
    amount = {"rule": rule.id, "clause": rule.source.clause, "condition": "amount = generation_kwh × 0.1 元/kWh"}
    assert condition_en(amount, rule) == "amount = Actual generation × 0.1 yuan/kWh"
    mode = {"rule": rule.id, "clause": rule.source.clause, "condition": "mode = 自发自用、余量上网"}
    assert condition_en(mode, rule) == "Grid-connection mode = self-consumption, surplus to the grid"
    provenance = {"rule": rule.id, "clause": "facts", "condition": "mode from PV 3 并网模式"}  # stored in Chinese
    assert condition_en(provenance, rule) == "Grid-connection mode from pv 3 grid-connection mode"
    # a tier's label is a glossary row (level); without the rule the stored condition is shown as it is
    retrofit = load_pack("longgang-2022").incentive("retrofit")
    label = retrofit.amount.tiers[1].label_zh
    tier = {"condition": "tier of investment_yuan: 2000000 元 ≤ investment_yuan", "note": label}
    shown = trace_condition(tier, "en", retrofit)
    assert not HAN.search(shown) and "investment_yuan" not in shown and "2000000 yuan ≤" in shown, shown
    assert trace_condition(tier, "en").startswith(f"{tier['condition']}（¥2–5 million")
    # 元/份 (a diagnosis report) by the glossary's units
    diagnosis = load_pack("longgang-2022").incentive("diagnosis")
    line = {"condition": "amount = accepted_reports × 5000 元/份"}
    assert condition_en(line, diagnosis).endswith("× 5000 yuan/report"), condition_en(line, diagnosis)


def test_sources_subjects_and_asides() -> None:
    assert where_en("PV 12 并网模式") == "pv 12 grid-connection mode"
    assert where_en("PV 12 接入市级平台") == "pv 12 connected to the city platform"
    assert where_en("declared by the applicant") == "declared by the applicant"
    assert where_zh("pv 12 grid-connection mode") == "光伏 12 并网模式"
    assert where_zh("pv 12 connected to the city platform") == "光伏 12 接入市级平台"
    assert subject_zh("project:11") == "项目 11" and subject_zh("thing:1") == "thing:1"
    assert claim_zh("storage:1:2023-01") == "储能 1 2023-01" and claim_zh("audit_report:3") == "诊断报告 3"
    note = "本政策自 12 月 1 日起施行，有效期至 2023 年 12 月 31 日 (the year of entry into force is not in our copy)"
    assert without_english_aside(note) == "本政策自 12 月 1 日起施行，有效期至 2023 年 12 月 31 日"
    assert without_english_aside("第三条 (1) 款") == "第三条 (1) 款" and without_english_aside("valid") == "valid"
    assert without_english_aside("实际投运 — a project that discharged nothing is not in operation") == "实际投运"
    assert without_english_aside("最低档 100万元 of the retrofit tiers") == "最低档 100万元"
    stored = {"condition": "1000000 元 ≤ investment_yuan", "condition_zh": "实际投资额 100万元以上（含）"}
    shown = trace_condition({**stored, "note": "最低档 100万元 of the retrofit tiers"}, "zh")
    assert shown == "实际投资额 100万元以上（含）（最低档 100万元）", shown
    use = CapUse(Cap(per="project", max_yuan=5_000_000), ("retrofit",), 0.0, ())
    assert _counted_zh(use, "project:11") == "已计入本项补助下已批准及已拨付的申请，对象 项目 11：无"


def test_every_condition_of_an_application_reads_in_english(world: Any) -> None:
    storage = apply_storage(world, storage_with_pool(world, ["2023-03"], 5_000), "2023-03")
    pv = _pv_application(world)
    assert pv.fact_sources["mode"] == f"pv {pv.evidence['asset_id']} grid-connection mode"
    assert f"并网模式 来源：光伏 {pv.evidence['asset_id']} 并网模式" in [line["condition_zh"] for line in pv.trace]
    pack = load_pack("longgang-2022")
    for out in (storage, pv):
        rule = pack.incentive(out.rule)
        for line in out.trace:
            english = condition_en(line, rule)
            assert not HAN.search(english) and not re.search(r"\b[a-z]+_[a-z_]+\b", english), english


def _pages(world: Any, fetch_pages: Any, app_id: int) -> tuple[str, str]:
    path = f"/subsidies/{app_id}"
    pages = fetch_pages(["city"], [path, f"/web/lang/en?next={path}"])  # the second sets dc_lang=en
    (zh_status, zh_html), (en_status, en_html) = pages["city" + path], pages[f"city/web/lang/en?next={path}"]
    assert zh_status == 200 and en_status == 200, (zh_html[-800:], en_html[-800:])
    return zh_html, en_html


def test_the_application_page_in_both_languages(world: Any, fetch_pages: Any) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    out = _pv_application(world)
    asset = out.evidence["asset_id"]
    with session_scope(world.engine) as session:  # a source as an earlier version stored it, in Chinese
        row = session.get(SubsidyApplication, out.id)
        assert row is not None
        trace = [
            {**line, "condition": f"connected_to_platform from PV {asset} 接入市级平台"}
            if str(line.get("condition", "")).startswith("connected_to_platform from")
            else line
            for line in row.result["trace"]
        ]
        row.result = {**row.result, "trace": trace}
        row.fact_sources = {**row.fact_sources, "connected_to_platform": f"PV {asset} 接入市级平台"}
    zh_html, en_html = _pages(world, fetch_pages, out.id)
    assert "补助金额 = 实际发电量 × 0.1 元/kWh" in zh_html
    assert f"光伏 {asset} 并网模式" in zh_html and "grid-connection mode" not in zh_html
    assert "amount = Actual generation × 0.1 yuan/kWh" in en_html
    assert "Grid-connection mode = self-consumption, surplus to the grid" in en_html
    assert f"Grid-connection mode from pv {asset} grid-connection mode" in en_html
    assert f"pv {asset} connected to the city platform" in en_html  # the legacy Chinese source, in English
    # (the pack's own English decisions may name a fact key: connected_to_platform stands for both …)
    for leaked in ("元/kWh", "generation_kwh", "connected_to_platform from", '"mode = ', "并网模式", "接入市级平台"):
        assert leaked not in en_html, leaked
