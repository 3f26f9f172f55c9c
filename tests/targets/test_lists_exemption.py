"""Shanghai's exemption list (豁免企业清单) over HTTP on both stores: enterprises whose energy-saving target is met
and green factories from the designations register, one row per enterprise with each reason.

温州 330300: enterprise a (鹿城) has an energy_saved target of 100 tce met (120 recorded for 2023) and a
provincial green factory of 2022; enterprise b (龙湾) a national green factory of 2021 whose 动态复核 was due
2023-06-30, and a green product (not a factory: not listed); enterprise c (杭州 西湖) is a green factory outside
the region. A green factory first listed in 2024 is not on the 2023 list.
"""

from __future__ import annotations

from typing import Any

from ..conftest import Api


def designate(api: Api, key: str, kind: str, level: str, year: int, user: str = "city", **extra: Any) -> None:
    body = {"credit_code": api.world.codes[key], "kind": kind, "level": level, "year": year, "name": f"{key}-{year}"}
    made = api("POST", "/api/v1/assets/designations", user, json={**body, **extra})
    assert made.status_code == 201, made.text


def test_exemption_lists_met_targets_and_green_factories(api: Api) -> None:
    codes = api.world.codes
    target = api(
        "POST",
        "/api/v1/targets",
        "city",
        json={
            "scope": "enterprise",
            "credit_code": codes["a"],
            "kind": "energy_saved",
            "title_zh": "2023 年节能 100 吨标准煤",
            "value": 100,
            "unit": "tce",
            "target_year": 2023,
        },
    )
    assert target.status_code == 201, target.text
    tid = target.json()["id"]
    recorded = api(
        "POST", f"/api/v1/targets/{tid}/years", "city", json={"year": 2023, "achieved": 120, "lock_version": 0}
    )
    assert recorded.status_code == 200, recorded.text
    designate(api, "a", "green_factory", "provincial", 2022)
    designate(api, "b", "green_factory", "national", 2021, reassessment_due="2023-06-30")
    designate(api, "b", "green_product", "national", 2022)
    designate(api, "b", "green_factory", "city", 2024)
    designate(api, "c", "green_factory", "national", 2022, user="province")

    got = api("GET", "/api/v1/lists/exemption?region_code=330300&year=2023", "city")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["title_zh"] == "豁免企业清单（节能目标完成、绿色工厂、零碳工厂）"
    rows = {item["credit_code"]: item for item in body["items"]}
    assert set(rows) == {codes["a"], codes["b"]} and body["total"] == 2  # c is in 杭州, not 温州
    a, b = rows[codes["a"]], rows[codes["b"]]
    assert a["values"]["target_met"] is True and a["values"]["achieved"] == 120.0
    assert a["values"]["green_factory"] == "省级 2022"
    assert a["reasons"] == ["节能目标已完成：2023 年节能 100 吨标准煤", "省级绿色工厂（2022 年认定：a-2022）"]
    assert "target_met" not in b["values"] and b["values"]["green_factory"] == "国家级 2021"
    assert b["reasons"] == ["国家级绿色工厂（2021 年认定：b-2021）；动态复核日期 2023-06-30 已过，需核实复核结果"]
    assert b["values"]["reassessment_overdue"] is True
    assert any("零碳工厂" in note for note in body["notes"])
    # a 零碳工厂 (zero-carbon factory) exempts as well, beside c's green factory
    designate(api, "c", "zero_carbon_factory", "provincial", 2023, user="province")
    hangzhou = api("GET", "/api/v1/lists/exemption?region_code=330100&year=2023", "province").json()
    (c,) = hangzhou["items"]
    assert c["reasons"] == ["国家级绿色工厂（2022 年认定：c-2022）", "省级零碳工厂（2023 年认定：c-2023）"]
    assert c["values"]["zero_carbon_factory"] == "省级 2023" and c["values"]["green_factory"] == "国家级 2022"

    later = api("GET", "/api/v1/lists/exemption?region_code=330300", "city").json()
    b_now = next(item for item in later["items"] if item["credit_code"] == codes["b"])
    assert len(b_now["reasons"]) == 2 and b_now["reasons"][1] == "市级绿色工厂（2024 年认定：b-2024）"
    # a district regulator sees only its district; an enterprise user may not read the list
    lucheng = api("GET", "/api/v1/lists/exemption?region_code=330302&year=2023", "lucheng").json()
    assert [item["credit_code"] for item in lucheng["items"]] == [codes["a"]]
    assert api("GET", "/api/v1/lists/exemption?region_code=330300", "ent_a").status_code in (403, 404)
