"""Subsidy applications over HTTP on both stores: a PV system's metered generation → amount = kWh × the pack's
rate (龙港 0.1 元/千瓦时), the trace; the same kWh month never funded twice; budget pool exhaustion; scope.

Meter PV1 of enterprise a (鹿城区 330302): daily interval meter, 100 kWh a day in May, July and August 2023 and
120 kWh a day in June 2023, so

    May–June 2023:  31 × 100 + 30 × 120 = 3 100 + 3 600 = 6 700 kWh → 6 700 × 0.1 = 670 元
    July–August:    31 × 100 + 31 × 100 = 6 200 kWh                  → 620 元
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dualcarbon.app.api import create_app
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import Api, add_meter, daily_readings


@pytest.fixture
def api(world: Any, tmp_path: Path) -> Iterator[Api]:
    app = create_app(world.url, data_dir=tmp_path)
    with TestClient(app) as client:
        yield Api(client, world)
    app.state.engine.dispose()


def pv_system(api: Api, tmp_path: Path, **extra: Any) -> int:
    meter_id = add_meter(api.world, tmp_path, "PV1")
    daily_readings(api.world, "PV1", date(2023, 5, 1), 31, 100.0)
    daily_readings(api.world, "PV1", date(2023, 6, 1), 30, 120.0)
    daily_readings(api.world, "PV1", date(2023, 7, 1), 62, 100.0)
    body = {
        "credit_code": api.world.codes["a"],
        "name": "1号厂房屋顶光伏",
        "roof_type": "flat",
        "module_height_m": 2.6,
        "capacity_kwp": 500,
        "connection_mode": "自发自用、余量上网",
        "grid_connected_on": "2023-04-20",
        "connected_to_platform": True,
        "meter_id": meter_id,
        **extra,
    }
    created = api("POST", "/api/v1/assets/pv", "ent_a", json=body)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def pv_application(api: Api, pv_id: int, first: str, last: str, user: str = "ent_a") -> Any:
    body = {
        "credit_code": api.world.codes["a"],
        "pack": "longgang",
        "rule": "pv",
        "year": 2023,
        "evidence": {"kind": "pv_generation", "asset_id": pv_id, "period_from": first, "period_to": last},
    }
    return api("POST", "/api/v1/subsidies/applications", user, json=body)


def pool(api: Api, total: float) -> None:
    body = {"pack": "longgang-2022", "rule": "pv", "year": 2023, "region_code": "330300", "total_yuan": total}
    created = api("POST", "/api/v1/subsidies/pools", "city", json=body)
    assert created.status_code == 201, created.text


def decide(api: Api, app_id: int, action: str, user: str = "city", **extra: Any) -> Any:
    return api("POST", f"/api/v1/subsidies/applications/{app_id}/decision", user, json={"action": action, **extra})


def test_pv_generation_amount_review_payment(api: Api, tmp_path: Path) -> None:
    pv_id = pv_system(api, tmp_path)
    filed = pv_application(api, pv_id, "2023-05", "2023-06")
    assert filed.status_code == 201, filed.text
    app = filed.json()
    assert app["facts"]["generation_kwh"] == pytest.approx(6700.0)  # 31 × 100 + 30 × 120
    assert app["eligible"] is True
    assert app["amount_yuan"] == pytest.approx(670.0)  # 6 700 kWh × 0.1 元/kWh
    assert app["claims"] == [f"pv:{pv_id}:2023-05", f"pv:{pv_id}:2023-06"]
    assert app["fact_sources"]["generation_kwh"].endswith("(meter)")
    conditions = [line["condition"] for line in app["trace"]]
    assert "amount = generation_kwh × 0.1 元/kWh" in conditions
    assert any(c.startswith("pack in force") for c in conditions)
    assert app["state"] == "submitted" and app["state_zh"] == "已申报"

    pool(api, 1000)
    assert decide(api, app["id"], "review").json()["state"] == "in_review"
    approved = decide(api, app["id"], "approve", note="材料齐全")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    pools = api("GET", "/api/v1/subsidies/pools", "city").json()
    assert pools[0]["committed_yuan"] == pytest.approx(670.0)
    assert pools[0]["remaining_yuan"] == pytest.approx(330.0)  # 1 000 − 670

    paid = api(
        "POST",
        f"/api/v1/subsidies/applications/{app['id']}/payment",
        "city",
        json={"paid_on": "2024-03-01", "voucher": "LG-2024-001"},
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "paid" and paid.json()["payment"]["amount_yuan"] == pytest.approx(670.0)

    with session_scope(api.world.engine, write=False) as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.entity == "subsidy_application").order_by(AuditLog.id)
        ).all()
        assert actions == ["subsidy.apply", "subsidy.review", "subsidy.approve", "subsidy.pay"]
        assert verify_audit_chain(session) == []


def test_the_same_kwh_month_is_never_funded_twice(api: Api, tmp_path: Path) -> None:
    pv_id = pv_system(api, tmp_path)
    first = pv_application(api, pv_id, "2023-05", "2023-06")
    assert first.status_code == 201, first.text
    overlapping = pv_application(api, pv_id, "2023-06", "2023-07")  # June is already claimed
    assert overlapping.status_code == 409, overlapping.text
    assert f"pv:{pv_id}:2023-06" in overlapping.text
    # the regulator's own filing for the enterprise is refused too
    assert pv_application(api, pv_id, "2023-05", "2023-05", user="lucheng").status_code == 409
    # a rejection releases the claims: the months may be applied for again
    assert decide(api, first.json()["id"], "reject").status_code == 422  # a rejection needs its reason
    rejected = decide(api, first.json()["id"], "reject", note="发电量待核实")
    assert rejected.status_code == 200 and rejected.json()["claims"] == []
    again = pv_application(api, pv_id, "2023-06", "2023-07")
    assert again.status_code == 201, again.text
    # June 120 × 30 + July 100 × 31 = 3 600 + 3 100 = 6 700 kWh → 670 元
    assert again.json()["amount_yuan"] == pytest.approx(670.0)


def test_pool_exhaustion_is_refused_with_a_message(api: Api, tmp_path: Path) -> None:
    pv_id = pv_system(api, tmp_path)
    first = pv_application(api, pv_id, "2023-05", "2023-06").json()  # 670 元
    second = pv_application(api, pv_id, "2023-07", "2023-08").json()  # 620 元
    assert second["amount_yuan"] == pytest.approx(620.0)  # (31 + 31) × 100 kWh × 0.1
    assert decide(api, first["id"], "approve").status_code == 409  # no pool yet
    pool(api, 1000)
    assert decide(api, first["id"], "approve").status_code == 200
    refused = decide(api, second["id"], "approve")  # 670 + 620 = 1 290 > 1 000
    assert refused.status_code == 409
    assert "330.00" in refused.text  # what is left: 1 000 − 670
    after = api("GET", f"/api/v1/subsidies/applications/{second['id']}", "city").json()
    assert after["state"] == "submitted" and after["pool_id"] is None
    assert api("GET", "/api/v1/subsidies/pools", "city").json()[0]["committed_yuan"] == pytest.approx(670.0)


def test_scope_and_roles(api: Api, tmp_path: Path) -> None:
    pv_id = pv_system(api, tmp_path)
    app_id = pv_application(api, pv_id, "2023-05", "2023-06").json()["id"]
    url = f"/api/v1/subsidies/applications/{app_id}"
    assert api("GET", url, "ent_b").status_code == 404  # another enterprise: not found
    assert api("GET", url, "longwan").status_code == 404  # a regulator of another district
    assert api("GET", url, "city").status_code == 200
    assert api("GET", "/api/v1/subsidies/applications", "ent_b").json()["total"] == 0
    assert api("GET", "/api/v1/subsidies/applications", "ent_a").json()["total"] == 1
    assert decide(api, app_id, "approve", user="ent_a").status_code == 403  # the applicant cannot approve
    assert decide(api, app_id, "approve", user="expert").status_code == 403  # a reviewer reads, not decides
    # enterprise b cannot apply with enterprise a's PV system
    body = {
        "credit_code": api.world.codes["b"],
        "pack": "longgang",
        "rule": "pv",
        "year": 2023,
        "evidence": {"kind": "pv_generation", "asset_id": pv_id, "period_from": "2023-07", "period_to": "2023-07"},
    }
    assert api("POST", "/api/v1/subsidies/applications", "ent_b", json=body).status_code == 404


def test_bad_input_names_the_field(api: Api, tmp_path: Path) -> None:
    pv_id = pv_system(api, tmp_path)
    missing = pv_application(api, pv_id, "2023-08", "2023-09")  # no readings in September
    assert missing.status_code == 422 and "2023-09" in missing.text
    outside = pv_application(api, pv_id, "2024-01", "2024-01")
    assert outside.status_code == 422  # no data, and the pack expired on 2023-12-31
    declared = {
        "credit_code": api.world.codes["a"],
        "pack": "longgang",
        "rule": "pv",
        "year": 2023,
        "evidence": {"kind": "pv_generation", "asset_id": pv_id, "period_from": "2023-05", "period_to": "2023-05"},
        "declared_facts": {"generation_kwh": 1e9},
    }
    refused = api("POST", "/api/v1/subsidies/applications", "ent_a", json=declared)
    assert refused.status_code == 422 and "generation_kwh" in refused.text
