"""Agencies, diagnosis/audit filing, the regulator's acceptance, obligations and goals over HTTP (both stores)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

from ..conftest import Api

AGENCY_CODE = make_credit_code("91330300MA2AG0001")


def measure(description: str, investment: float, tce: float, **extra: Any) -> dict[str, Any]:
    return {"description": description, "investment_yuan": investment, "saving_tce_per_year": tce, **extra}


def diagnosis(code: str, measures: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "diagnosis",
        "credit_code": code,
        "year": 2024,
        "title": "2024 年节能诊断报告",
        "baseline_energy_tce": 2000,
        "balance": [
            {"carrier": "电力", "stage": "input", "tce": 1500},
            {"carrier": "电力", "stage": "end_use", "tce": 1380},
        ],
        "measures": measures,
        **extra,
    }


TWO_MEASURES = [
    # payback = 200 000 元 ÷ (100 tce/a × 1 000 元/tce) = 2.0 years
    measure(
        "空压机变频改造",
        200_000,
        100,
        energy_price_yuan_per_tce=1000,
        project_type="motor_system",
        saving_tco2_per_year=260,
    ),
    # no price: the entered payback is kept
    measure("窑炉余热回收", 90_000, 30, payback_years=1.5, project_type="waste_heat"),
]


def register_agency(api: Api) -> int:
    body = {
        "name": "温州节能诊断服务中心",
        "credit_code": AGENCY_CODE,
        "region_code": "330300",
        "qualifications": ["节能诊断服务机构"],
        "contact": "0577-00000000",
        "members": ["agency"],
    }
    created = api("POST", "/api/v1/agencies", "city", json=body)
    assert created.status_code == 201, created.text
    agency_id = int(created.json()["id"])
    assigned = api("POST", f"/api/v1/agencies/{agency_id}/enterprises/{api.world.codes['a']}", "city")
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["enterprises"] == [api.world.codes["a"]]
    return agency_id


def filed_and_submitted(api: Api, measures: list[dict[str, Any]] = TWO_MEASURES) -> dict[str, Any]:
    created = api(
        "POST", "/api/v1/audits", "agency", json=diagnosis(api.world.codes["a"], measures, due_date="2099-12-31")
    )
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    submitted = api("POST", f"/api/v1/audits/{report_id}/submit", "agency")
    assert submitted.status_code == 200, submitted.text
    return dict(submitted.json())


CHECKLIST = {
    "checklist": [
        {"item": "能量平衡表完整", "passed": True, "note": "输入与终端使用已分列"},
        {"item": "措施可实施、测算依据充分", "passed": True},
    ]
}


def test_agency_files_a_diagnosis_and_the_regulator_accepts_it(api: Api) -> None:
    agency_id = register_agency(api)
    report = filed_and_submitted(api)
    assert (report["state"], report["state_zh"], report["agency_id"]) == ("submitted", "已提交", agency_id)
    paybacks = [m["payback_years"] for m in report["measures"]]
    assert paybacks == [pytest.approx(2.0), pytest.approx(1.5)]
    # potential = (100 + 30) tce/a ÷ 2 000 tce × 100 = 6.5 %
    assert report["potential_pct"] == pytest.approx(6.5)
    accepted = api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=CHECKLIST)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["state"], body["state_zh"]) == ("accepted", "已验收")
    assert [(c["item"], c["passed"], c["checked_by"]) for c in body["checklist"]] == [
        ("能量平衡表完整", True, "city"),
        ("措施可实施、测算依据充分", True, "city"),
    ]
    # the enterprise scores the service; the agency's evaluation counts it
    assert api("POST", f"/api/v1/audits/{report['id']}/feedback", "ent_a", json={"score": 4}).status_code == 200
    evaluation = api("GET", f"/api/v1/agencies/{agency_id}/evaluation?year=2024", "city").json()
    assert evaluation["filed"] == 1 and evaluation["accepted"] == 1
    assert evaluation["quality_pct"] == 100.0  # 1 accepted ÷ 1 decided
    assert evaluation["timeliness_pct"] == 100.0  # submitted before 2099-12-31
    assert evaluation["feedback_mean"] == 4.0
    with session_scope(api.world.engine, write=False) as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "audit_report")).all()
        assert list(actions) == [
            "audit_report.create",
            "audit_report.submit",
            "audit_report.acceptance",
            "audit_report.feedback",
        ]
        assert verify_audit_chain(session) == []


def test_a_failed_checklist_item_returns_the_report(api: Api) -> None:
    register_agency(api)
    report = filed_and_submitted(api)
    checklist = {"checklist": [{"item": "能量平衡表完整", "passed": False, "note": "缺少输送分配环节"}]}
    returned = api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=checklist)
    assert returned.status_code == 200
    assert returned.json()["state"] == "returned"
    assert returned.json()["return_reason"] == "能量平衡表完整：缺少输送分配环节"
    evaluation = api("GET", f"/api/v1/agencies/{report['agency_id']}/evaluation", "city").json()
    assert evaluation["quality_pct"] == 0.0  # 0 accepted ÷ 1 decided


def test_a_diagnosis_with_one_proposal_is_refused_in_chinese(api: Api) -> None:
    register_agency(api)
    created = api("POST", "/api/v1/audits", "agency", json=diagnosis(api.world.codes["a"], TWO_MEASURES[:1]))
    assert created.status_code == 201
    refused = api("POST", f"/api/v1/audits/{created.json()['id']}/submit", "agency")
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "measures"
    assert "至少提出 2 项可实施的节能改造方案，本报告只有 1 项" in body["message"]
    assert "沪经信节〔2022〕167号" in body["message"]  # the rule's source, from the pack
    assert api("GET", f"/api/v1/audits/{created.json()['id']}", "agency").json()["state"] == "draft"


def test_an_audit_below_the_potential_is_refused(api: Api) -> None:
    register_agency(api)
    body = diagnosis(api.world.codes["a"], TWO_MEASURES) | {"kind": "audit", "baseline_energy_tce": 4000}
    created = api("POST", "/api/v1/audits", "agency", json=body)
    # potential = 130 ÷ 4 000 × 100 = 3.25 % < the pack's 5 %
    assert created.json()["potential_pct"] == pytest.approx(3.25)
    refused = api("POST", f"/api/v1/audits/{created.json()['id']}/submit", "agency")
    assert refused.status_code == 422
    assert "节能潜力须不少于 5%，本报告为 3.25%" in refused.json()["message"]


def test_scope_and_roles(api: Api) -> None:
    register_agency(api)
    report = filed_and_submitted(api)
    url = f"/api/v1/audits/{report['id']}"
    assert api("GET", url, "ent_a").status_code == 200
    assert api("GET", url, "ent_b").status_code == 404  # another enterprise's report is not revealed
    assert api("GET", url, "longwan").status_code == 404  # regulator of another district
    assert api("POST", f"{url}/acceptance", "agency", json=CHECKLIST).status_code == 403  # agencies do not accept
    assert api("POST", f"{url}/acceptance", "longwan", json=CHECKLIST).status_code == 404
    listed = api("GET", "/api/v1/audits", "ent_b").json()
    assert listed["total"] == 0
    # an agency cannot file for an enterprise it is not assigned to
    other = api("POST", "/api/v1/audits", "agency", json=diagnosis(api.world.codes["b"], TWO_MEASURES))
    assert other.status_code == 404
    # only regulators register agencies
    assert (
        api(
            "POST", "/api/v1/agencies", "ent_a", json={"name": "x", "credit_code": AGENCY_CODE, "region_code": "330300"}
        ).status_code
        == 403
    )


def test_stale_version_is_409(api: Api) -> None:
    register_agency(api)
    report = filed_and_submitted(api)
    seen = report["lock_version"]
    first = api(
        "POST", f"/api/v1/audits/{report['id']}/return", "city", json={"reason": "补充数据", "lock_version": seen}
    )
    assert first.status_code == 200
    again = api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=CHECKLIST | {"lock_version": seen})
    assert again.status_code == 409


def test_an_empty_checklist_says_the_list_must_not_be_empty(api: Api) -> None:
    register_agency(api)
    report = filed_and_submitted(api)
    refused = api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json={"checklist": []})
    assert refused.status_code == 422
    assert (refused.json()["message"], refused.json()["field"]) == ("验收清单至少须有 1 项，不能为空", "checklist")


def test_obligations_status_and_goal(api: Api) -> None:
    register_agency(api)
    report = filed_and_submitted(api)
    api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=CHECKLIST)
    status = api("GET", "/api/v1/audits/obligations?year=2024&region_code=330300&pack=shanghai-baiyi-2022", "city")
    assert status.status_code == 200, status.text
    items = {(i["credit_code"], i["obligation"]): i for i in status.json()["items"]}
    # no approved annual reports: the consumption rules are undetermined, so every 规上 enterprise is listed
    a = items[(api.world.codes["a"], "energy_saving_diagnosis")]
    assert (a["finding"], a["status"], a["status_zh"], a["report_id"]) == (
        "undetermined",
        "accepted",
        "已验收",
        report["id"],
    )
    b = items[(api.world.codes["b"], "energy_saving_diagnosis")]
    assert (b["status"], b["report_id"]) == ("not_started", None)
    # no pack named: 330300 has no pack of its own with audit rules, so the first shipped one is used and said so
    default = api("GET", "/api/v1/audits/obligations?year=2024&region_code=330300", "city").json()
    assert (default["pack"], default["pack_basis"], default["total"]) == (
        "shanghai-baiyi-2022",
        "fallback",
        status.json()["total"],
    )
    assert default["pack_choices"] == ["shanghai-baiyi-2022"] and default["pack_title_zh"]
    goals = api("GET", "/api/v1/audits/goals?year=2024&region_code=330300", "city").json()
    diag = next(g for g in goals if g["target_id"] == "longgang-2022.target.diagnoses-per-year")
    # 1 accepted diagnosis of Longgang's 40 a year: 1 ÷ 40 × 100 = 2.5 %
    assert (diag["target"], diag["accepted"], diag["share_pct"], diag["met"]) == (40, 1, 2.5, False)


def test_a_diagnosis_with_one_proposal_is_refused_in_english_with_the_rule(api: Api) -> None:
    register_agency(api)
    created = api("POST", "/api/v1/audits", "agency", json=diagnosis(api.world.codes["a"], TWO_MEASURES[:1]))
    english = {**api.world.auth("agency"), "Accept-Language": "en"}
    refused = api.client.request("POST", f"/api/v1/audits/{created.json()['id']}/submit", headers=english)
    assert refused.status_code == 422
    message = refused.json()["message"]
    # the English half alone, with the pack's English rendering of the requirement it applies
    assert "at least 2 implementable proposals, this one has 1" in message
    assert "policy pack shanghai-baiyi-2022: " in message and "2" in message.split("shanghai-baiyi-2022: ")[1]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in message)
