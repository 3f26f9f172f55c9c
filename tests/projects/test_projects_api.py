"""The project library over HTTP (both stores): measures become projects, the lifecycle, verified saving,
documents with hashes, plans, scope and races."""

from __future__ import annotations

import hashlib
import io
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from dualcarbon.domain.identifiers import make_credit_code

from ..conftest import Api

MEASURES = [
    {
        "description": "空压机变频改造",
        "investment_yuan": 200_000,
        "saving_tce_per_year": 100,
        "saving_tco2_per_year": 260,
        "energy_price_yuan_per_tce": 1000,
        "project_type": "motor_system",
    },
    {
        "description": "窑炉余热回收",
        "investment_yuan": 90_000,
        "saving_tce_per_year": 30,
        "payback_years": 1.5,
        "project_type": "waste_heat",
    },
]


def accepted_measures(api: Api) -> list[int]:
    """An agency files a diagnosis with two measures for enterprise a; the city regulator accepts it."""
    agency = {
        "name": "温州节能诊断服务中心",
        "credit_code": make_credit_code("91330300MA2AG0001"),
        "region_code": "330300",
        "members": ["agency"],
    }
    agency_id = api("POST", "/api/v1/agencies", "city", json=agency).json()["id"]
    api("POST", f"/api/v1/agencies/{agency_id}/enterprises/{api.world.codes['a']}", "city")
    body = {
        "kind": "diagnosis",
        "credit_code": api.world.codes["a"],
        "year": 2024,
        "title": "节能诊断",
        "baseline_energy_tce": 2000,
        "measures": MEASURES,
    }
    report = api("POST", "/api/v1/audits", "agency", json=body).json()
    assert api("POST", f"/api/v1/audits/{report['id']}/submit", "agency").status_code == 200
    checklist = {"checklist": [{"item": "措施可实施", "passed": True}]}
    assert api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=checklist).status_code == 200
    return [m["id"] for m in report["measures"]]


def daily(start: date, days: int, reduction: float) -> list[dict[str, Any]]:
    """E = 5 + 0.2 × P tce a day, times (1 − reduction), plus a small deterministic wobble (mean ≈ 0)."""
    out = []
    for i in range(days):
        production = 20.0 + (i % 7) * 2.0 + (i % 3)
        wobble = 0.05 * (((i * 37) % 11) - 5) / 5.0
        out.append(
            {
                "period_start": (start + timedelta(days=i)).isoformat(),
                "production": production,
                "energy": (5.0 + 0.2 * production) * (1.0 - reduction) + wobble,
            }
        )
    return out


def test_measures_become_projects_and_a_completed_one_gets_a_verified_saving(api: Api) -> None:
    first, second = accepted_measures(api)
    created = api(
        "POST",
        "/api/v1/projects",
        "agency",
        json={"measure_id": first, "deadline": "2026-12-31", "milestones": [{"name": "设备到货", "due": "2026-03-31"}]},
    )
    assert created.status_code == 201, created.text
    project = created.json()
    assert (project["origin"], project["project_type"], project["project_type_zh"]) == (
        "measure",
        "motor_system",
        "电机系统",
    )
    assert (project["investment_yuan"], project["saving_tce_per_year"], project["saving_tco2_per_year"]) == (
        200_000,
        100,
        260,
    )
    assert (project["name"], project["deadline"], project["state"]) == ("空压机变频改造", "2026-12-31", "proposed")
    assert api("POST", "/api/v1/projects", "agency", json={"measure_id": first}).status_code == 409  # once
    assert (
        api("POST", "/api/v1/projects", "ent_a", json={"measure_id": second, "deadline": "2027-06-30"}).status_code
        == 201
    )
    plan = api("GET", f"/api/v1/plans/{api.world.codes['a']}", "ent_a").json()
    # 一企一策: both projects, 100 + 30 = 130 tce/a expected
    assert [p["measure_id"] for p in plan["projects"]] == [first, second]
    assert plan["expected_tce_per_year"] == 130
    assert [p["credit_code"] for p in api("GET", "/api/v1/plans", "city").json()] == [api.world.codes["a"]]
    assert api("GET", "/api/v1/plans", "ent_b").json() == []

    pid = project["id"]
    assert api("POST", f"/api/v1/projects/{pid}/transition", "agency", json={"action": "approve"}).status_code == 403
    for user, action in (("city", "approve"), ("agency", "start")):
        moved = api("POST", f"/api/v1/projects/{pid}/transition", user, json={"action": action})
        assert moved.status_code == 200, moved.text
    done = api(
        "POST", f"/api/v1/projects/{pid}/transition", "ent_a", json={"action": "complete", "completed_on": "2026-06-30"}
    )
    assert (done.json()["state"], done.json()["completed_on"]) == ("completed", "2026-06-30")

    baseline = daily(date(2025, 6, 1), 365, 0.0)  # ≥ 329 days (mv_criteria MV-014): a valid verification
    reporting = daily(date(2026, 7, 1), 30, 0.10)
    body = {
        "interval": "day",
        "baseline": baseline,
        "reporting": reporting,
        "adjustments": [{"reason": "新增一台烘干机（非常规）", "energy": 3.0}],
    }
    assert api("POST", f"/api/v1/projects/{pid}/verification", "ent_a", json=body).status_code == 403
    verified = api("POST", f"/api/v1/projects/{pid}/verification", "city", json=body)
    assert verified.status_code == 200, verified.text
    out = verified.json()
    result = out["result"]
    assert set(result) >= {
        "model",
        "r2",
        "cvrmse_pct",
        "nmbe_pct",
        "avoided_energy",
        "savings_pct",
        "fsu_pct",
        "warnings",
    }
    # true avoided energy: 10 % of Σ (5 + 0.2 P) over the 30 reporting days (the wobble is not scaled)
    truth = sum((5.0 + 0.2 * p["production"]) * 0.10 for p in daily(date(2026, 7, 1), 30, 0.0))
    assert result["model"]["kind"] == "production"
    assert result["avoided_energy"] == pytest.approx(truth, rel=0.05)
    # verified = (avoided + 3.0 tce adjustment) × 365 ÷ 30 days
    assert out["reporting_days"] == 30
    assert out["verified_tce_per_year"] == pytest.approx((result["avoided_energy"] + 3.0) * 365 / 30, rel=1e-6)
    assert out["valid"] is True and out["invalid_reasons"] == []
    assert out["claimable_tce_per_year"] == pytest.approx(out["verified_tce_per_year"], rel=1e-6)
    stored = api("GET", f"/api/v1/projects/{pid}", "ent_a").json()
    assert stored["state"] == "verified"
    assert stored["verified_tce_per_year"] == pytest.approx(out["verified_tce_per_year"], rel=1e-6)
    record = api("GET", f"/api/v1/projects/{pid}/verification", "city").json()
    assert record["adjustments"][0]["approved_by"] == "city" and record["verified_by"] == "city"
    # a second verification finds it verified already
    assert api("POST", f"/api/v1/projects/{pid}/verification", "city", json=body).status_code == 409
    totals = api("GET", "/api/v1/projects/totals?region_code=330300", "city").json()
    assert totals["projects"] == 2 and totals["expected_tce_per_year"] == 130
    assert totals["verified_tce_per_year"] == pytest.approx(out["verified_tce_per_year"], rel=1e-6)
    assert not math.isnan(totals["investment_yuan"]) and totals["investment_yuan"] == 290_000


def test_documents_are_kept_with_their_hash(api: Api, tmp_path: Path) -> None:
    project = api(
        "POST",
        "/api/v1/projects",
        "ent_a",
        json={"credit_code": api.world.codes["a"], "name": "光伏屋顶", "project_type": "photovoltaic"},
    ).json()
    content = "可行性研究报告".encode()
    uploaded = api(
        "POST",
        f"/api/v1/projects/{project['id']}/documents",
        "ent_a",
        files={"file": ("../可研报告.pdf", content, "application/pdf")},
    )
    assert uploaded.status_code == 200, uploaded.text
    document = uploaded.json()["documents"][0]
    assert (document["filename"], document["size_bytes"]) == ("可研报告.pdf", len(content))
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert (tmp_path / "projects" / str(project["id"]) / document["sha256"]).read_bytes() == content
    got = api("GET", f"/api/v1/projects/{project['id']}/documents/{document['id']}", "ent_a")
    assert got.status_code == 200 and got.content == content
    assert api("GET", f"/api/v1/projects/{project['id']}/documents/{document['id']}", "ent_b").status_code == 404
    empty = api("POST", f"/api/v1/projects/{project['id']}/documents", "ent_a", files={"file": ("a.txt", b"")})
    assert empty.status_code == 422 and empty.json()["field"] == "file"


def test_scope_race_and_bad_input(api: Api) -> None:
    project = api(
        "POST",
        "/api/v1/projects",
        "ent_a",
        json={"credit_code": api.world.codes["a"], "name": "电机改造", "project_type": "motor_system"},
    ).json()
    url = f"/api/v1/projects/{project['id']}"
    assert api("GET", url, "ent_b").status_code == 404
    assert api("GET", url, "longwan").status_code == 404
    assert api("GET", "/api/v1/projects", "ent_b").json()["total"] == 0
    assert (
        api("POST", "/api/v1/projects", "ent_b", json={"credit_code": api.world.codes["a"], "name": "x"}).status_code
        == 404
    )
    bad = api(
        "POST",
        "/api/v1/projects",
        "ent_a",
        json={"credit_code": api.world.codes["a"], "name": "x", "investment_yuan": -1},
    )
    assert bad.status_code == 422
    seen = project["lock_version"]
    assert api("POST", f"{url}/transition", "city", json={"action": "approve", "lock_version": seen}).status_code == 200
    stale = api("POST", f"{url}/transition", "city", json={"action": "exit", "lock_version": seen})
    assert stale.status_code == 409
    wrong = api("POST", f"{url}/transition", "ent_a", json={"action": "complete"})
    assert wrong.status_code == 409 and "不能执行该操作" in wrong.json()["message"]


def test_case_compilation_export(api: Api) -> None:
    for name, demo in (("余热发电示范", True), ("普通照明改造", False)):
        created = api(
            "POST",
            "/api/v1/projects",
            "ent_a",
            json={"credit_code": api.world.codes["a"], "name": name, "project_type": "waste_heat"},
        ).json()
        if demo:
            flag = api("PUT", f"/api/v1/projects/{created['id']}/demonstration", "city", json={"demonstration": True})
            assert flag.status_code == 200 and flag.json()["demonstration"] is True
    response = api("GET", "/api/v1/projects/cases.xlsx", "city")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["示范项目"]
    names = [row[3] for row in sheet.iter_rows(min_row=4, values_only=True) if row[3]]
    assert names == ["余热发电示范"]
