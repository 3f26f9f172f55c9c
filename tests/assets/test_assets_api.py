"""The asset registers over HTTP on both stores: PV mounting-height compliance (龙港: ≤ 30 cm on a sloped roof,
≤ 2.6 m on a flat one), generation and CO₂ avoided, roof coverage against the targets, data-centre PUE and its
checks, green designations counted against Putian's and Liaocheng's targets, and a green award applied for."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dualcarbon.app.api import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "subsidies"))
from subsidy_helpers import Api, add_meter


@pytest.fixture
def api(world: Any, tmp_path: Path) -> Iterator[Api]:
    app = create_app(world.url, data_dir=tmp_path)
    with TestClient(app) as client:
        yield Api(client, world)
    app.state.engine.dispose()


def pv(api: Api, user: str = "ent_a", key: str = "a", **fields: Any) -> Any:
    body = {
        "credit_code": api.world.codes[key],
        "name": "屋顶光伏",
        "roof_type": "sloped",
        "module_height_m": 0.3,
        "capacity_kwp": 100,
        "connection_mode": "自发自用、余量上网",
        **fields,
    }
    return api("POST", "/api/v1/assets/pv", user, json=body)


def test_pv_height_compliance_and_bad_input(api: Api, tmp_path: Path) -> None:
    at_limit = pv(api).json()  # 0.30 m = 30 cm: “不应超过” — the limit itself complies
    assert (at_limit["height_limit_m"], at_limit["height_compliant"]) == (pytest.approx(0.3), True)
    above = pv(api, name="b", module_height_m=0.31).json()
    assert above["height_compliant"] is False
    flat = pv(api, name="c", roof_type="flat", module_height_m=2.6).json()
    assert (flat["height_limit_m"], flat["height_compliant"]) == (pytest.approx(2.6), True)
    assert "4、保障措施" in flat["height_clause"]
    no_limits = pv(api, name="d", pack="putian-2024").json()  # Putian sets no mounting limit: not assessed
    assert no_limits["height_compliant"] is None
    wrong_mode = pv(api, name="e", connection_mode="自发自用")
    assert wrong_mode.status_code == 422 and wrong_mode.json()["field"] == "connection_mode"
    other_meter = add_meter(api.world, tmp_path, "B-PV", key="b")
    refused = pv(api, name="f", meter_id=other_meter)
    assert refused.status_code == 422 and refused.json()["field"] == "meter_id"
    assert pv(api, user="ent_b").status_code == 404  # enterprise b cannot register for a
    assert api("GET", f"/api/v1/assets/pv/{at_limit['id']}", "ent_b").status_code == 404


def test_pv_reported_generation_and_co2_avoided(api: Api) -> None:
    pv_id = pv(api, roof_type="flat", module_height_m=1.0).json()["id"]
    months = {
        "quantity": "generation",
        "months": [{"month": "2023-05", "kwh": 10000}, {"month": "2023-06", "kwh": 12000}],
    }
    assert api("POST", f"/api/v1/assets/pv/{pv_id}/reported", "ent_a", json=months).status_code == 200
    out = api(
        "GET",
        f"/api/v1/assets/pv/{pv_id}/performance",
        "ent_a",
        params={"period_from": "2023-05", "period_to": "2023-06"},
    ).json()
    assert out["generation"]["total_kwh"] == pytest.approx(22000.0)
    # 浙江 2023 average grid factor 0.4974 kgCO₂/kWh (GRID-019): 22 000 kWh × 0.4974 ÷ 1 000 = 10.9428 t
    assert out["grid_factors"][0]["row_id"] == "GRID-019"
    assert out["co2_avoided_t"] == pytest.approx(10.9428)
    gap = api(
        "GET",
        f"/api/v1/assets/pv/{pv_id}/performance",
        "ent_a",
        params={"period_from": "2023-05", "period_to": "2023-07"},
    ).json()
    assert gap["generation"]["missing_months"] == ["2023-07"] and gap["co2_avoided_t"] is None


def test_roof_coverage_against_longgang_targets(api: Api) -> None:
    pv(
        api,
        name="a1",
        roof_category="existing",
        usable_roof_m2=1000,
        covered_roof_m2=500,
        capacity_kwp=500,
        grid_connected_on="2023-03-01",
    )
    pv(
        api,
        name="a2",
        roof_category="existing",
        usable_roof_m2=1000,
        covered_roof_m2=700,
        capacity_kwp=300,
        grid_connected_on="2023-06-01",
    )
    pv(
        api,
        name="a3",
        roof_category="new_factory",
        usable_roof_m2=800,
        covered_roof_m2=800,
        capacity_kwp=200,
        grid_connected_on="2024-02-01",
    )
    report = api("GET", "/api/v1/assets/pv/coverage", "city", params={"pack": "longgang-2022", "region_code": "330300"})
    lines = {line["kind"]: line for line in report.json()["lines"]}
    # existing roofs: (500 + 700) ÷ (1 000 + 1 000) × 100 = 60 % — the target is “60%以上”, at least 60
    assert lines["rooftop_pv_share_existing"]["achieved"] == pytest.approx(60.0)
    assert lines["rooftop_pv_share_existing"]["met"] is True
    assert lines["rooftop_pv_share_new_factories"]["achieved"] == pytest.approx(100.0)  # 800 ÷ 800
    # new capacity within the plan (to 2023-12-31): 500 + 300 = 800 kW of 40 000 kW; a3 (2024) is outside
    assert lines["new_pv_capacity"]["achieved"] == pytest.approx(800.0)
    assert lines["new_pv_capacity"]["met"] is False
    # the basis in Chinese for the targets panel on Chinese pages, the English one kept
    assert lines["new_pv_capacity"]["basis"].startswith("Σ capacity 800 kWp of 2 system(s)")
    assert lines["new_pv_capacity"]["basis_zh"].endswith("并网的 2 个系统装机容量合计 800 kWp")
    assert lines["rooftop_pv_share_existing"]["basis_zh"].startswith("已覆盖面积合计 1200 m² ÷ 可利用面积合计 2000 m²")
    assert (
        api(
            "GET", "/api/v1/assets/pv/coverage", "ent_a", params={"pack": "longgang", "region_code": "330300"}
        ).status_code
        == 404
    )


def datacentre(api: Api, total: list[float], it: list[float], **fields: Any) -> Any:
    body = {"credit_code": api.world.codes["a"], "name": "数据中心", **fields}
    dc_id = api("POST", "/api/v1/assets/datacentres", "ent_a", json=body).json()["id"]
    for quantity, values in (("total", total), ("it", it)):
        months = [{"month": f"2023-0{i + 1}", "kwh": v} for i, v in enumerate(values)]
        answer = api(
            "POST",
            f"/api/v1/assets/datacentres/{dc_id}/reported",
            "ent_a",
            json={"quantity": quantity, "months": months},
        )
        assert answer.status_code == 200, answer.text
    return api(
        "GET",
        f"/api/v1/assets/datacentres/{dc_id}/pue",
        "ent_a",
        params={"period_from": "2023-01", "period_to": "2023-02"},
    ).json()


def test_datacentre_pue_grade_and_policy_checks(api: Api) -> None:
    # (150 000 + 160 000) ÷ (100 000 + 100 000) = 1.55: above GB 40879 grade 3 (1.50), Yunnan retrofit (> 1.5)
    first = datacentre(api, [150_000, 160_000], [100_000, 100_000], racks=2000)
    assert first["pue"] == pytest.approx(1.55)
    assert first["checks"]["gb40879_grade"] is None
    assert first["checks"]["retrofit_required"] is True
    assert first["checks"]["close_candidate"] is False  # 1.55 is not above 1.7
    # 360 000 ÷ 200 000 = 1.8 > 1.7, 500 racks ≤ 800, in operation 2010-01-01 → 2023-02-28: 13 years ≥ 10
    old = datacentre(api, [180_000, 180_000], [100_000, 100_000], racks=500, in_operation_since="2010-01-01")
    assert old["pue"] == pytest.approx(1.8)
    assert old["checks"]["close_candidate"] is True
    # 120 000 ÷ 100 000 = 1.2: grade 1 (≤ 1.20)
    good = datacentre(api, [120_000, 120_000], [100_000, 100_000], new_build=True, size="large")
    assert good["checks"]["gb40879_grade"] == 1 and good["checks"]["new_build_allowed"] is True


def designation(api: Api, user: str = "city", **fields: Any) -> Any:
    body = {
        "credit_code": api.world.codes["a"],
        "kind": "green_factory",
        "level": "national",
        "year": 2022,
        "name": "甲阀门绿色工厂",
        **fields,
    }
    return api("POST", "/api/v1/assets/designations", user, json=body)


def test_designations_counted_against_targets_and_awarded(api: Api) -> None:
    national = designation(api).json()
    designation(api, credit_code=api.world.codes["b"], level="provincial", name="乙水泥绿色工厂", year=2023)
    designation(api, level="city", name="甲阀门市级绿色工厂", year=2023, reassessment_due="2020-01-01")
    designation(api, credit_code=None, region_code="330303", kind="green_park", level="provincial", name="龙湾园区")
    assert designation(api, user="ent_a", name="x").status_code == 403  # listings are recorded by the regulator
    assert designation(api).status_code == 422  # the same listing twice
    counts = api(
        "GET", "/api/v1/assets/designations/counts", "city", params={"pack": "putian", "region_code": "330300"}
    )
    lines = {line["target_id"]: line for line in counts.json()["targets"]}
    # Putian “省级以上绿色工厂15家”: national + provincial = 2 (the city-level one is not counted)
    factories = lines["putian-2024.target.green-factories"]
    assert (factories["counted"], factories["met"], factories["levels_counted"]) == (
        2,
        False,
        ["national", "provincial"],
    )
    assert lines["putian-2024.target.green-parks"]["counted"] == 1
    liaocheng = api(
        "GET", "/api/v1/assets/designations/counts", "city", params={"pack": "liaocheng", "region_code": "330300"}
    ).json()
    by_id = {line["target_id"]: line for line in liaocheng["targets"]}
    assert by_id["liaocheng-2023.target.green-factories"]["counted"] == 3  # “市级以上”: every level
    listed = api("GET", "/api/v1/assets/designations", "ent_a").json()
    assert {d["name"] for d in listed} == {"甲阀门绿色工厂", "甲阀门市级绿色工厂"}  # own only
    assert [d["reassessment_overdue"] for d in listed if d["level"] == "city"] == [True]

    body = {
        "credit_code": api.world.codes["a"],
        "pack": "longgang",
        "rule": "green",
        "year": 2023,
        "evidence": {"kind": "designation", "designation_id": national["id"]},
    }
    award = api("POST", "/api/v1/subsidies/applications", "ent_a", json=body)
    assert award.status_code == 201, award.text
    assert award.json()["amount_yuan"] == pytest.approx(1_000_000)  # 国家级绿色工厂 100万元
    assert api("POST", "/api/v1/subsidies/applications", "ent_a", json=body).status_code == 409  # never twice
