"""A measure cites the technology catalogue (acceptance walk of #9, §4 "technology catalogue … linked to
measures"): filed and shown with the technology, an unknown code is a 422 naming the field, the technology lists
the measures citing it (in the reader's scope only), and the project made from the measure carries it. An audit
of an enterprise below the pack's audit threshold is accepted with a note (both stores)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dualcarbon.equipment.models import Technology
from dualcarbon.store.db import session_scope

from ..conftest import Api
from .test_audits_api import CHECKLIST, TWO_MEASURES, diagnosis, measure, register_agency


def add_technologies(api: Api) -> None:
    # TEST DATA: invented catalogue entries, not from an official catalogue.
    with session_scope(api.world.engine) as session:
        session.add_all(
            [
                Technology(code="TEST-M01", name="测试永磁电机技术", field="电机系统", source_batch="TEST DATA"),
                Technology(code="TEST-W01", name="测试余热回收技术", field="余热余压", source_batch="TEST DATA"),
            ]
        )


def test_measure_cites_a_technology_and_the_project_carries_it(api: Api) -> None:
    register_agency(api)
    add_technologies(api)
    cited = [dict(TWO_MEASURES[0], technology_code="TEST-M01"), TWO_MEASURES[1]]

    unknown = [TWO_MEASURES[0], dict(TWO_MEASURES[1], technology_code="NOPE-9")]
    refused = api("POST", "/api/v1/audits", "agency", json=diagnosis(api.world.codes["a"], unknown))
    assert refused.status_code == 422, refused.text
    assert "measures[1].technology_code" in refused.text and "NOPE-9" in refused.text

    created = api("POST", "/api/v1/audits", "agency", json=diagnosis(api.world.codes["a"], cited))
    assert created.status_code == 201, created.text
    report = created.json()
    assert [(m["technology_code"], m["technology_name"]) for m in report["measures"]] == [
        ("TEST-M01", "测试永磁电机技术"),
        (None, None),
    ]
    assert api("POST", f"/api/v1/audits/{report['id']}/submit", "agency").status_code == 200
    assert api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=CHECKLIST).status_code == 200

    # the technology's read lists the measure, for readers of enterprise a only
    tech = api("GET", "/api/v1/technologies/TEST-M01", "city").json()
    assert [(c["report_id"], c["position"], c["enterprise_name"]) for c in tech["cited_by"]] == [
        (report["id"], 1, report["enterprise_name"])
    ]
    assert api("GET", "/api/v1/technologies/TEST-M01", "ent_b").json()["cited_by"] == []
    listed = api("GET", "/api/v1/technologies", "ent_a", params={"q": "测试"}).json()
    assert {t["code"]: len(t["cited_by"]) for t in listed} == {"TEST-M01": 1, "TEST-W01": 0}

    project = api("POST", "/api/v1/projects", "agency", json={"measure_id": report["measures"][0]["id"]})
    assert project.status_code == 201, project.text
    assert (project.json()["technology_code"], project.json()["technology_name"]) == ("TEST-M01", "测试永磁电机技术")
    plain = api("POST", "/api/v1/projects", "agency", json={"measure_id": report["measures"][1]["id"]})
    assert plain.json()["technology_code"] is None


def audit(code: str, baseline: float, tce: float) -> dict[str, Any]:
    return {
        "kind": "audit",
        "credit_code": code,
        "year": 2026,
        "title": "能源审计报告",
        "baseline_energy_tce": baseline,
        "measures": [measure("锅炉改造", 100_000, tce)],
    }


def test_audit_below_the_threshold_carries_a_note(api: Api) -> None:
    register_agency(api)
    code = api.world.codes["a"]
    # 200 ÷ 3 000 = 6.7 % ≥ 5 %: accepted by the filing rule; 3 000 tce/a < 5 000: outside the audit obligation
    small = api("POST", "/api/v1/audits", "agency", json=audit(code, 3000, 200)).json()
    submitted = api("POST", f"/api/v1/audits/{small['id']}/submit", "agency")
    assert submitted.status_code == 200, submitted.text
    note = submitted.json()["obligation_note"]
    assert note["rule_id"] == "sh-baiyi-2022.energy-audit" and note["document"] == "沪经信节〔2022〕167号"
    assert note["condition"] == "5000 tce/a ≤ annual_energy_tce" and note["baseline_energy_tce"] == 3000
    assert "自愿" in note["text_zh"] and "3,000.00 tce" in note["text_zh"]
    assert "voluntary" in note["text_en"]
    # at and above the threshold (inclusive) no note; a diagnosis of 2 000 tce (rule undetermined: 规上 unknown) none
    for baseline in (5000, 8000):
        body = api("POST", "/api/v1/audits", "agency", json=audit(code, baseline, baseline * 0.06)).json()
        assert body["obligation_note"] is None, baseline
    assert api("POST", "/api/v1/audits", "agency", json=diagnosis(code, TWO_MEASURES)).json()["obligation_note"] is None


def test_report_page_shows_note_and_technology(
    api: Api, fetch_pages: Callable[[list[str], list[str]], dict[str, list[Any]]]
) -> None:
    register_agency(api)
    add_technologies(api)
    body = audit(api.world.codes["a"], 3000, 200)
    body["measures"][0]["technology_code"] = "TEST-W01"
    report = api("POST", "/api/v1/audits", "agency", json=body).json()
    pages = fetch_pages(["agency"], [f"/audits/{report['id']}", "/audits/new", "/technologies?q=TEST"])
    status, html = pages[f"agency/audits/{report['id']}"]
    assert status == 200
    assert "obligation-note" in html and "本报告按自愿开展受理" in html
    assert "TEST-W01 测试余热回收技术" in html
    status, html = pages["agency/audits/new"]
    assert status == 200 and "measure-technology" in html and "TEST-M01 测试永磁电机技术" in html
    status, html = pages["agency/technologies?q=TEST"]
    assert status == 200 and f"#{report['id']} " in html
