"""Every document rendered to PDF, its text extracted (pdftotext) and checked, page 1 turned into PNG
(pdftoppm) under the test's tmp dir for review (both stores)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dualcarbon.app.api import create_app
from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.access import SYSTEM, Grant, Principal
from dualcarbon.documents import service
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.reference.tables import shipped_reference
from dualcarbon.registry.models import Enterprise
from dualcarbon.reports import service_workflow
from dualcarbon.store.db import session_scope

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))
HASH = "0123456789abcdef" * 4


def pdf_text(pdf: bytes, tmp_path: Path, name: str) -> str:
    """The PDF's text (layout kept); page 1 saved as ``<name>-1.png`` beside it."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / name)], check=True)
    assert (tmp_path / f"{name}-1.png").stat().st_size > 1000
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", text)  # pdftotext spaces CJK and figures unevenly and wraps cells: compare flat


@pytest.fixture
def api(world: Any, tmp_path: Path) -> Iterator[Any]:
    app = create_app(world.url, data_dir=tmp_path)
    with TestClient(app) as client:

        def call(method: str, url: str, user: str, **kw: Any) -> httpx.Response:
            return client.request(method, url, headers=world.auth(user), **kw)

        yield call
    app.state.engine.dispose()


def published_catalog(world: Any) -> int:
    with session_scope(world.engine) as session:
        catalog = Catalog(
            region_code="330300",
            edition="2023",
            half="2024-H1",
            basis="policy",
            state="published",
            published_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
            snapshot_hash=HASH,
            issue_no=1,
        )
        for key, tier, value in (("b", "benchmark", 100.5), ("a", "below_baseline", 130.25)):
            enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes[key])).one()
            evidence = {
                "output": {"quantity": 1_200_000, "unit": "t"},
                "reference": {"benchmark": None, "baseline": None},
            }
            catalog.entries.append(
                CatalogEntry(
                    enterprise_id=enterprise.id,
                    product="水泥熟料",
                    benchmark_row_id="BM2023-061",
                    value=value,
                    unit="kgce/t",
                    tier=tier,
                    evidence=evidence,
                )
            )
        session.add(catalog)
        session.flush()
        return catalog.id


def test_target_progress_report_over_http(api: Any, world: Any, tmp_path: Path) -> None:
    seeded = api("POST", "/api/v1/targets/seed", "city", json={"pack": "longgang", "region_code": "330300"}).json()
    intensity = next(t for t in seeded if t["kind"] == "value_added_energy_intensity_decline")
    api("PATCH", f"/api/v1/targets/{intensity['id']}", "city", json={"lock_version": 0, "base_year": 2021})
    api(
        "POST",
        f"/api/v1/targets/{intensity['id']}/years",
        "city",
        json={"year": 2022, "achieved": 4, "lock_version": 1},
    )
    answer = api("GET", "/api/v1/documents/target_progress?region_code=330300", "city")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    text = pdf_text(answer.content, tmp_path, "target-progress")
    assert "温州市节能降碳目标进度报告" in text
    # 1 − 0.91/0.96 = 5.21 % a year still needed; 4 / 9 = 44.44 % done → red
    assert "剩余1年需年均下降5.21%" in text and "44.44%" in text and "红色预警" in text
    assert "第1页共" in text
    assert api("GET", "/api/v1/documents/target_progress?region_code=330300", "ent_a").status_code == 404
    assert api("GET", "/api/v1/documents/nonsense?region_code=330300", "city").status_code == 422
    missing = api("GET", "/api/v1/documents/target_progress", "city")
    assert missing.status_code == 422 and "region_code" in missing.text


def test_catalog_notice_and_yunnan_annexes(world: Any, tmp_path: Path) -> None:
    catalog_id = published_catalog(world)
    with session_scope(world.engine, write=False) as session:
        notice, name = service.render(session, ADMIN, "catalog_notice", {"catalog_id": str(catalog_id)})
        annexes = {
            n: service.render(session, ADMIN, "yunnan_annex", {"catalog_id": str(catalog_id), "annex": n})[0]
            for n in ("1", "2", "3")
        }
    assert name == f"catalog-notice-{catalog_id}.pdf"
    text = pdf_text(notice, tmp_path, "catalog-notice")
    assert "温州市重点领域企业能效清单目录（2024-H1）公示" in text
    assert "龙湾乙水泥有限公司" in text and "130.25kgce/t" in text
    assert "能效先进名单（1条）" in text and "能效落后名单（1条）" in text
    assert HASH in text
    one = pdf_text(annexes["1"], tmp_path, "annex-1")
    assert "附件1：温州市高耗能行业重点领域企业能效调查情况表" in one and "1,200,000t" in one and "空" in one
    two = pdf_text(annexes["2"], tmp_path, "annex-2")
    assert "企业名录" in two and "共2家企业" in two and world.codes["a"] in two
    three = pdf_text(annexes["3"], tmp_path, "annex-3")
    assert "能效基准水平以下（1条）" in three and "能效标杆水平以上（1条）" in three


def test_enterprise_annual_report(world: Any, tmp_path: Path) -> None:
    content = {
        "energy_lines": [
            {"carrier": "电力", "quantity": 100, "unit": "万kWh"},
            {"carrier": "原煤", "quantity": 1000, "unit": "t"},
        ]
    }
    with session_scope(world.engine) as session:
        report = service_workflow.create_report(session, SYSTEM, world.codes["a"], "year", 2024, 0, content)
        report_id = report.id
    with session_scope(world.engine, write=False) as session:
        pdf, _ = service.render(session, ADMIN, "enterprise_annual", {"report_id": str(report_id)})
    text = pdf_text(pdf, tmp_path, "annual")
    assert "2024年度能源利用状况及碳排放报告" in text and "鹿城甲阀门有限公司" in text
    # 当量值: 1 000 000 kWh × 0.1229 kgce/kWh = 122.9 tce; 1000 t × 0.7143 tce/t = 714.3 tce → 837.20 tce
    assert "837.20" in text and "122.90" in text and "714.30" in text
    from dualcarbon.accounts.models import User
    from dualcarbon.accounts.service_auth import principal_for
    from dualcarbon.core.errors import NotFound

    with session_scope(world.engine, write=False) as session:  # another enterprise's user: not found
        ent_b = principal_for(session, session.scalars(select(User).where(User.username == "ent_b")).one())
        with pytest.raises(NotFound):
            service.render(session, ent_b, "enterprise_annual", {"report_id": str(report_id)})


def test_monitoring_monthly_report(world: Any, tmp_path: Path) -> None:
    a = world.codes["a"]
    register = tmp_path / "meters.csv"
    register.write_text(
        f"credit_code,meter_code,carrier,unit,kind,multiplier,counted\n{a},C1,electricity,kWh,interval,1,true\n",
        encoding="utf-8",
    )
    # 4 quarter-hours of 2500 kWh on 2024-03-01 and 2 of 2500 kWh on 2024-02-01: March 10 000, February 5 000 kWh
    stamps = [f"2024-03-01T00:{m:02d}:00" for m in (0, 15, 30, 45)] + ["2024-02-01T00:00:00", "2024-02-01T00:15:00"]
    table = pa.table({"credit_code": [a] * 6, "meter_code": ["C1"] * 6, "ts": stamps, "value": ["2500"] * 6})
    reference = shipped_reference()
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, ADMIN, register, reference)
        assert service_ingest.ingest_table(session, ADMIN, table, source="file").accepted == 6
    with session_scope(world.engine) as session:
        pdf, _ = service.render(session, ADMIN, "monitoring_monthly", {"region_code": "330300", "month": "2024-03"})
    text = pdf_text(pdf, tmp_path, "monitoring")
    assert "温州市2024年3月能耗在线监测月报" in text
    # 10 000 kWh × 0.1229 kgce/kWh = 1.229 tce (当量值); February 0.6145 tce → +100 %
    assert "1.23tce" in text and "较2024年2月增长100%" in text
    assert "电力" in text and "10,000kWh" in text
    assert "本月综合能耗前1家，共1家有数据" in text and "鹿城甲阀门有限公司" in text
    with pytest.raises(Exception, match="YYYY-MM"):
        with session_scope(world.engine) as session:
            service.render(session, ADMIN, "monitoring_monthly", {"region_code": "330300", "month": "March"})


def _application(state: str) -> Any:
    from dualcarbon.calc import subsidy
    from dualcarbon.subsidies.schemas import ApplicationOut

    facts = {
        "investment_yuan": 2_000_000,
        "annual_saving_tce": 30,
        "intensity_drop_pct": 0,
        "productivity_rise_pct": 20,
    }
    result = subsidy.run({"pack": "longgang", "rule": "retrofit", "facts": facts}, shipped_reference())
    return ApplicationOut(
        id=7,
        applicant_credit_code="91330302MA2AA0001A",
        applicant_name="鹿城甲阀门有限公司",
        region_code="330302",
        pack=result["pack"],
        rule="retrofit",
        rule_id=result["rule_id"],
        rule_title_zh="节能改造项目补助",
        clause=result["trace"][0]["clause"],
        year=2024,
        evidence={"kind": "project"},
        evidence_kind_zh="已核定节能量的改造项目",
        facts=facts,
        fact_sources={},
        eligible=result["eligible"],
        amount_yuan=result["amount_yuan"],
        trace=result["trace"],
        decisions=[],
        claims=[],
        state=state,
        state_zh="已批准",
        payee=None,
        submitted_by="ent_a",
        submitted_at="2024-05-01T02:00:00+00:00",
        decided_by="city",
        decided_at="2024-06-03T01:30:00+00:00",
        decision_note=None,
        pool_id=None,
        payment=None,
        lock_version=1,
    )


def test_subsidy_decision_letter_with_its_trace(tmp_path: Path) -> None:
    from dualcarbon.core.errors import InvalidInput
    from dualcarbon.documents import service_content

    context = service_content.subsidy_letter(_application("approved"))
    text = pdf_text(service.html_to_pdf(service.render_html("subsidy_decision", context)), tmp_path, "subsidy")
    # Longgang retrofit: 200 万元 opens the 17 % band → 2 000 000 × 17 % = 340 000 元 (cap 500 万 not reached)
    assert "关于鹿城甲阀门有限公司节能改造项目补助申请的批准决定" in text and "同意给予补助340,000元" in text
    # the trace, step by step (table cells wrap, so only short cells are compared)
    assert "规则longgang-2022.subsidy.retrofit" in text and "2,000,000" in text
    # in Chinese (condition_zh), not the contract's English (30 tce/a ≤ annual_saving_tce); “以上” includes the number
    assert "年节能量30吨标准煤/年以上（含）" in text and "单位增加值能耗下降4%以上（含）" in text
    assert "补助金额=一年内生产性设备与信息化投入×17%" in text and "补助金额不超过每个项目上限500万元" in text
    assert "annual_saving_tce" not in text
    assert "2024-06-0309:30" in text  # decided 01:30 UTC = 09:30 in Beijing
    with pytest.raises(InvalidInput, match="decided"):
        service_content.subsidy_letter(_application("in_review"))


def test_decision_letter_explains_the_pack_decisions_in_chinese(tmp_path: Path) -> None:
    # 200 万元 is the endpoint of two bands: the letter explains the pack's reading in Chinese (decision_zh …);
    # a result stored before the Chinese existed (English only) gets it from the pack by its question
    from dualcarbon.calc import subsidy
    from dualcarbon.documents import service_content

    application = _application("approved")
    result = subsidy.run({"pack": "longgang", "rule": "retrofit", "facts": application.facts}, shipped_reference())
    assert len(result["decisions"]) == 4 and result["decisions"][1]["decision_zh"] == "17 %"
    english_only = [{k: v for k, v in d.items() if not k.endswith("_zh")} for d in result["decisions"]]
    for decisions in (result["decisions"], english_only):
        context = service_content.subsidy_letter(application.model_copy(update={"decisions": decisions}))
        text = pdf_text(service.html_to_pdf(service.render_html("subsidy_decision", context)), tmp_path, "why")
        assert "政策解释说明" in text and "恰为200万元时——适用14%还是17%？→17%" in text
        assert "两个“A至B”档共有的端点归入以它为起点的那一档" in text and "（30tce/a或4%）且20%" in text
        assert "exactly" not in text and "not eligible" not in text


def test_decision_letter_shows_choice_labels_not_codes(tmp_path: Path) -> None:
    # a green award: the trace keeps level/kind as codes (national, green_factory); the letter prints 国家级, 绿色工厂
    from dualcarbon.calc import subsidy
    from dualcarbon.documents import service_content

    facts = {"level": "national", "kind": "green_factory"}
    result = subsidy.run({"pack": "longgang", "rule": "green", "facts": facts}, shipped_reference())
    application = _application("paid").model_copy(
        update={
            "rule": "green",
            "rule_id": result["rule_id"],
            "rule_title_zh": "绿色创建奖励",
            "facts": facts,
            "amount_yuan": result["amount_yuan"],
            "trace": result["trace"],
        }
    )
    assert application.trace[0]["value"] == "national"
    context = service_content.subsidy_letter(application)
    text = pdf_text(service.html_to_pdf(service.render_html("subsidy_decision", context)), tmp_path, "green")
    assert "同意给予补助1,000,000元" in text
    assert "级别为国家级、省级、市级之一" in text and "固定奖励（类别绿色工厂，级别国家级）" in text
    assert "national" not in text and "green_factory" not in text


def test_yunnan_annexes_as_excel_and_the_cli(
    api: Any, world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from dualcarbon.app.cli import app
    from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV

    catalog_id = published_catalog(world)
    answer = api("GET", f"/api/v1/documents/yunnan_annex?catalog_id={catalog_id}&annex=2&format=xlsx", "city")
    assert answer.status_code == 200, answer.text
    path = tmp_path / "annex-2.xlsx"
    path.write_bytes(answer.content)
    sheet = load_workbook(path)["附件2"]
    assert sheet["A1"].value == "附件2：温州市高耗能行业重点领域企业名录"
    assert [sheet.cell(row=4, column=c).value for c in range(1, 4)] == ["序号", "企业名称", "统一社会信用代码"]
    assert {sheet.cell(row=r, column=3).value for r in (5, 6)} == {world.codes["a"], world.codes["b"]}
    pdf_only = api("GET", "/api/v1/documents/target_progress?region_code=330300&format=xlsx", "city")
    assert pdf_only.status_code == 422 and "format" in pdf_only.text

    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    out = tmp_path / "annex-1.xlsx"
    done = CliRunner().invoke(
        app, ["documents", "render", "yunnan_annex", "--catalog-id", str(catalog_id), "--annex", "1", "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    rows = list(load_workbook(out)["附件1"].iter_rows(min_row=5, values_only=True))
    # 水泥熟料 of both enterprises: 1 200 000 t each; 标杆/基准 blank in the shipped table → empty cells
    assert sorted((r[1], r[5], r[7], r[9]) for r in rows) == [
        ("鹿城甲阀门有限公司", 1_200_000, 130.25, None),
        ("龙湾乙水泥有限公司", 1_200_000, 100.5, None),
    ]
    bad = CliRunner().invoke(
        app, ["documents", "render", "yunnan_annex", "--catalog-id", str(catalog_id), "--annex", "4", "-o", str(out)]
    )
    assert bad.exit_code == 2 and "annex" in bad.output


def test_subsidy_letter_quotes_a_packs_note_without_its_english_gloss() -> None:
    from dualcarbon.documents import service_content

    application = _application("approved")
    trace = [
        {**application.trace[0], "note": "最低档 100万元 of the retrofit tiers"},
        {**application.trace[1], "note": "counted: none", "note_zh": "已计入本项补助下已批准及已拨付的申请：无"},
        *application.trace[2:],
    ]
    context = service_content.subsidy_letter(application.model_copy(update={"trace": trace}))
    assert context["step_notes"][:2] == ["最低档 100万元", "已计入本项补助下已批准及已拨付的申请：无"]
    assert len(context["step_notes"]) == len(trace)
