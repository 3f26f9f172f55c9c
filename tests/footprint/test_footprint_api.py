"""Footprint studies over HTTP on both stores: computed from an approved annual report (hand-worked), access by
role and scope, publish with lock_version, the region's paged register, a missing factor, audit rows."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dualcarbon.app.api import create_app
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parent))  # footprint_helpers (importlib mode)
from footprint_helpers import approved_report, import_steel_factor

from ..conftest import Api

URL = "/api/v1/footprints"


@pytest.fixture
def api(world: Any, tmp_path: Path) -> Iterator[Api]:
    """The API client (tests/conftest.py) over an app whose data directory holds an imported steel factor."""
    data_dir = tmp_path / "data"
    import_steel_factor(data_dir)
    app = create_app(world.url, data_dir=data_dir)
    with TestClient(app) as client:
        yield Api(client, world)
    app.state.engine.dispose()


def study(world: Any, **over: Any) -> dict[str, Any]:
    body = {
        "credit_code": world.codes["b"],
        "year": 2024,
        "product": "产品甲",
        "process_tco2": 200,
        "process_source": "企业温室气体排放核算报告 2024（碳酸盐分解）",
        "materials": [{"material": "钢材", "quantity": 500, "unit": "t"}],
    }
    return body | over


def test_compute_publish_and_register(api: Api, world: Any) -> None:
    report_id = approved_report(world)
    made = api("POST", URL, "ent_b", json=study(world))
    assert made.status_code == 201, made.text
    got = made.json()
    result = got["result"]
    # energy: heat 10,000 GJ × 0.11 tCO₂/GJ = 1,100 tCO₂; process 200 (entered) → 1,300 tCO₂
    assert result["enterprise_energy_tco2"] == pytest.approx(1100.0)
    assert result["enterprise_process_tco2"] == pytest.approx(200.0)
    # by mass 600 / (600 + 400) = 0.6 → 0.6 × 1,300 = 780; steel 500 t × 2,000 kg/t = 1,000 t → 1,780 tCO₂e
    assert result["allocation_share"] == pytest.approx(0.6) and result["allocated_tco2"] == pytest.approx(780.0)
    assert got["total_tco2e"] == pytest.approx(1780.0) and result["complete"] is True
    assert got["per_unit_tco2e"] == pytest.approx(1780.0 / 600.0)  # 2.966667 tCO₂e/t
    assert result["report_id"] == report_id and result["allocation_method_zh"] == "按质量分配（物理关系）"
    assert result["reference_versions"]["material_emission_factors"] != "shipped"
    energy = result["trace"][0]
    assert energy["step"] == "enterprise_energy" and energy["label"] == "热力（购入/输出热力）"
    assert f"report #{report_id} v1" in energy["reference"]
    assert got["state"] == "draft" and got["lock_version"] == 0
    sid = got["id"]

    # scope: another enterprise sees nothing; the city regulator and the expert read it
    assert api("GET", f"{URL}/{sid}", "ent_a").status_code == 404
    assert api("GET", f"{URL}/{sid}", "city").status_code == 200
    assert api("GET", f"{URL}/{sid}", "expert").status_code == 200
    assert [s["id"] for s in api("GET", URL, "ent_b", params={"credit_code": world.codes["b"]}).json()] == [sid]
    assert api("GET", URL, "ent_a", params={"credit_code": world.codes["b"]}).status_code == 404
    # a reviewer may read but not publish; a stale version loses; then the enterprise publishes
    assert api("POST", f"{URL}/{sid}/publish", "expert", json={"lock_version": 0}).status_code == 403
    assert api("POST", f"{URL}/{sid}/publish", "ent_b", json={"lock_version": 5}).status_code == 409
    published = api("POST", f"{URL}/{sid}/publish", "ent_b", json={"lock_version": 0})
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published" and published.json()["lock_version"] == 1
    assert api("POST", f"{URL}/{sid}/publish", "ent_b", json={"lock_version": 1}).status_code == 409

    # the register: published footprints of the region's subtree, paged; out of scope → 404
    page = api("GET", f"{URL}/register", "city", params={"region_code": "330300", "limit": 10}).json()
    assert page["total"] == 1 and page["items"][0]["id"] == sid and page["items"][0]["total_tco2e"] == 1780.0
    found = api("GET", f"{URL}/register", "province", params={"region_code": "330000", "search": "产品甲"}).json()
    assert found["total"] == 1
    assert (
        api("GET", f"{URL}/register", "city", params={"region_code": "330300", "search": "产品乙"}).json()["total"] == 0
    )
    lucheng = api("GET", f"{URL}/register", "province", params={"region_code": "330302"}).json()
    assert lucheng["total"] == 0
    assert api("GET", f"{URL}/register", "lucheng", params={"region_code": "330303"}).status_code == 404
    assert api("GET", f"{URL}/register", "ent_b", params={"region_code": "330303"}).status_code == 404

    with session_scope(world.engine) as session:
        actions = dict(
            session.execute(
                select(AuditLog.action, func.count())
                .where(AuditLog.entity == "footprint_study")
                .group_by(AuditLog.action)
            ).all()
        )
    assert actions == {"footprint.create": 1, "footprint.publish": 1}


def test_missing_factor_economic_allocation_and_bad_input(api: Api, world: Any) -> None:
    approved_report(world)
    # 电解铝 (MEF-102) ships blank and is not imported: listed as missing, no total, publish refused
    body = study(
        world,
        product="产品乙",
        allocation="economic",
        values_10k_yuan={"产品甲": 300, "产品乙": 700},
        materials=[{"material": "电解铝", "quantity": 2, "unit": "t"}],
    )
    made = api("POST", URL, "longwan", json=body)
    assert made.status_code == 201, made.text
    got = made.json()
    # by value 700 / 1,000 = 0.7 → 0.7 × 1,300 = 910 tCO₂ known; the aluminium is missing
    assert got["result"]["allocated_tco2"] == pytest.approx(910.0)
    assert got["total_tco2e"] is None and got["complete"] is False
    assert got["result"]["known_tco2e"] == pytest.approx(910.0)
    assert [m["material"] for m in got["result"]["missing"]] == ["电解铝"]
    refused = api("POST", f"{URL}/{got['id']}/publish", "longwan", json={"lock_version": 0})
    assert refused.status_code == 422 and refused.json()["field"] == "materials"
    # the cited IPCC row (MEF-001) is a process factor, narrower than cradle-to-gate: a total, but incomplete
    ipcc = api(
        "POST",
        URL,
        "ent_b",
        json=study(world, materials=[{"material": "钢", "quantity": 10, "unit": "t", "row_id": "MEF-001"}]),
    )
    assert ipcc.status_code == 201, ipcc.text
    # 0.6 × 1,300 = 780 + 10 t × 1,060 kg/t ÷ 1,000 = 10.6 → 790.6 tCO₂e, complete False, not publishable
    assert ipcc.json()["total_tco2e"] == pytest.approx(790.6) and ipcc.json()["complete"] is False
    refused = api("POST", f"{URL}/{ipcc.json()['id']}/publish", "ent_b", json={"lock_version": 0})
    assert refused.status_code == 422 and refused.json()["field"] == "result"

    bad = [
        (study(world, product="产品丙"), "product"),
        (study(world, year=2023), "year"),
        (study(world, process_source=None), "process_source"),
        (study(world, allocation="economic"), "values_10k_yuan.产品甲"),
        (study(world, materials=[{"material": "钢材", "quantity": 5, "unit": "kWh"}]), "materials[0].unit"),
    ]
    for body, field in bad:
        answer = api("POST", URL, "ent_b", json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["field"] == field
    assert api("POST", URL, "ent_a", json=study(world)).status_code == 404  # not its enterprise
    assert api("POST", URL, "expert", json=study(world)).status_code == 403  # a reviewer writes nothing


def test_a_report_not_approved_is_not_used(api: Api, world: Any) -> None:
    from footprint_helpers import HEAT_REPORT, who

    from dualcarbon.reports import service_workflow as reports

    with session_scope(world.engine) as session:
        reports.create_report(session, who(session, "ent_b"), world.codes["b"], "year", 2025, 0, HEAT_REPORT)
    answer = api("POST", URL, "ent_b", json=study(world, year=2025))
    assert answer.status_code == 422 and answer.json()["field"] == "year"
