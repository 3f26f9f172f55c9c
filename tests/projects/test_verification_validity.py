"""A verification that fails the M&V criteria (acceptance walk #9 row 21: a 2-week metered baseline, R² 0,
"saving" 59.5 % stored as the project's verified 94,965 tce/a) is kept but not claimable: the project stays
completed with no verified saving, so neither the library totals nor a subsidy (which takes only a verified
project's ``verified_tce_per_year``) count it. A later, valid verification makes it verified. The adjustment's
approver is the regulator who verifies (no free text); the regulator-only 403 is Chinese first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ..conftest import Api
from .test_projects_api import daily


def days(start: date, count: int, energy: Any) -> list[dict[str, Any]]:
    return [{"period_start": (start + timedelta(days=i)).isoformat(), "energy": energy(i)} for i in range(count)]


def completed_project(api: Api, name: str) -> int:
    made = api("POST", "/api/v1/projects", "ent_a", json={"credit_code": api.world.codes["a"], "name": name})
    assert made.status_code == 201, made.text
    pid = int(made.json()["id"])
    for user, action in (("city", "approve"), ("ent_a", "start"), ("ent_a", "complete")):
        moved = api("POST", f"/api/v1/projects/{pid}/transition", user, json={"action": action})
        assert moved.status_code == 200, moved.text
    return pid


def test_a_failing_model_is_kept_but_not_claimable(api: Api) -> None:
    pid = completed_project(api, "电机系统改造")
    # 14 baseline days with no relation to anything (R² of the mean model = 0), 14 reporting days lower:
    # a 60 % "saving" from a mean model (R² is not judged for it: no factor to explain) on a baseline that fails
    # baseline_min_days (MV-014)
    wobble = [10.0, 2.0, 9.0, 1.0, 8.0, 3.0, 10.0, 2.0, 9.0, 1.0, 8.0, 3.0, 10.0, 2.0]
    body = {
        "interval": "day",
        "baseline": days(date(2026, 1, 1), 14, lambda i: wobble[i]),
        "reporting": days(date(2026, 3, 1), 14, lambda i: wobble[i] * 0.4),
        "adjustments": [{"reason": "停产检修（非常规）", "energy": 1.0}],
    }
    out = api("POST", f"/api/v1/projects/{pid}/verification", "city", json=body)
    assert out.status_code == 200, out.text
    result = out.json()
    codes = [w["code"] for w in result["invalid_reasons"]]
    assert result["valid"] is False and "baseline_too_short" in codes and "r2_below_threshold" not in codes
    assert result["result"]["savings_pct"] == pytest.approx(60.0, rel=1e-6)  # computed, shown, not claimable
    assert result["verified_tce_per_year"] > 0 and result["claimable_tce_per_year"] is None
    assert result["state"] == "completed"
    stored = api("GET", f"/api/v1/projects/{pid}", "city").json()
    assert stored["state"] == "completed" and stored["verified_tce_per_year"] is None
    record = api("GET", f"/api/v1/projects/{pid}/verification", "city").json()
    assert record["valid"] is False and record["claimable_tce_per_year"] is None
    assert [w["code"] for w in record["invalid_reasons"]] == codes
    assert record["adjustments"][0]["approved_by"] == "city"  # the regulator who made the call
    totals = api("GET", "/api/v1/projects/totals?region_code=330300", "city").json()
    assert totals["verified_tce_per_year"] == 0

    # better data: a year of baseline → valid, verified, counted; a further verification is refused (409)
    good = {
        "interval": "day",
        "baseline": daily(date(2025, 1, 1), 365, 0.0),
        "reporting": daily(date(2026, 3, 1), 30, 0.1),
    }
    again = api("POST", f"/api/v1/projects/{pid}/verification", "city", json=good)
    assert again.status_code == 200, again.text
    valid = again.json()
    assert valid["valid"] is True and valid["state"] == "verified"
    assert valid["claimable_tce_per_year"] == pytest.approx(valid["verified_tce_per_year"], rel=1e-9)
    stored = api("GET", f"/api/v1/projects/{pid}", "city").json()
    assert stored["verified_tce_per_year"] == pytest.approx(valid["verified_tce_per_year"], rel=1e-6)
    record = api("GET", f"/api/v1/projects/{pid}/verification", "city").json()
    assert record["adjustments"] == []  # the replaced verification's adjustment is not carried over
    totals = api("GET", "/api/v1/projects/totals?region_code=330300", "city").json()
    assert totals["verified_tce_per_year"] == pytest.approx(valid["verified_tce_per_year"], rel=1e-6)
    assert api("POST", f"/api/v1/projects/{pid}/verification", "city", json=good).status_code == 409


def test_the_approver_is_not_free_text_and_only_a_regulator_verifies(api: Api) -> None:
    pid = completed_project(api, "照明改造")
    body = {
        "interval": "day",
        "baseline": days(date(2025, 1, 1), 365, lambda i: 5.0 + i % 3),
        "reporting": days(date(2026, 3, 1), 30, lambda i: 4.5 + i % 3),
        "adjustments": [{"reason": "新增设备", "energy": 1.0, "approved_by": "someone"}],
    }
    assert api("POST", f"/api/v1/projects/{pid}/verification", "city", json=body).status_code == 422
    del body["adjustments"][0]["approved_by"]
    denied = api("POST", f"/api/v1/projects/{pid}/verification", "ent_a", json=body)
    assert denied.status_code == 403
    assert denied.json()["message"] == "该操作须由企业所在地区的主管部门（监管人员）执行"  # a Chinese reader
    english = api.client.request(
        "POST",
        f"/api/v1/projects/{pid}/verification",
        json=body,
        headers={**api.world.auth("ent_a"), "Accept-Language": "en"},
    )
    message = english.json()["message"]  # an English reader gets the English half alone
    assert english.status_code == 403 and "needs the regulator" in message and "主管部门" not in message
