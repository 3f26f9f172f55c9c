"""``POST /api/v1/readings`` and ``GET /api/v1/meters/{id}/rollups`` on both stores: receipts and scope."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_json_readings_with_an_enterprise_token(client: TestClient, world: Any, meters: dict[str, int]) -> None:
    body = {
        "readings": [
            {"meter": "E1", "ts": "2024-03-01T00:00:00", "value": 100},
            {"meter": "E1", "ts": "2024-03-01T00:15:00", "value": 110},
            {"meter": "E1", "ts": "2024-03-01T00:15:00", "value": 110},
            {"meter": "E1", "ts": "2024-03-01T00:30:00", "value": "110"},  # a string is not a number
            {"meter": "NOPE", "ts": "2024-03-01T00:30:00", "value": 1},
        ]
    }
    response = client.post("/api/v1/readings", json=body, headers=world.auth("ent_a"))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert set(receipt) == {"accepted", "duplicate", "conflict", "rejected", "problems"}
    assert (receipt["accepted"], receipt["duplicate"], receipt["conflict"], receipt["rejected"]) == (2, 1, 0, 2)
    assert [p["row"] for p in receipt["problems"]] == [4, 5]

    rollups = client.get(
        f"/api/v1/meters/{meters['a/E1']}/rollups",
        params={"interval": "hour", "from": "2024-03-01", "to": "2024-03-01"},
        headers=world.auth("ent_a"),
    )
    assert rollups.status_code == 200, rollups.text
    data = rollups.json()
    first = data["periods"][0]
    contract = {"start", "energy", "unit", "tce", "tce_equal", "tco2", "completeness", "flags"}  # issue #8 §4
    assert set(first) == contract | {"cost_yuan", "cost_reason"}  # cost beside tce and CO₂ (issue #10 §4)
    assert first["cost_yuan"] is None and first["cost_reason"]  # no tariff for this region: null with a reason
    assert first["energy"] == 20.0 and first["completeness"] == 0.25  # (110 − 100) × 2 over 1 of 4 intervals
    assert data["from"] == "2024-03-01" and data["to"] == "2024-03-01" and len(data["periods"]) == 24


def test_another_enterprises_meter_is_rejected_and_hidden(
    client: TestClient, world: Any, meters: dict[str, int]
) -> None:
    b = world.codes["b"]
    body = {"enterprise": b, "readings": [{"meter": "E1", "ts": "2024-03-01T00:00:00", "value": 1}]}
    response = client.post("/api/v1/readings", json=body, headers=world.auth("ent_a"))
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == (0, 1)
    params = {"interval": "day", "from": "2024-03-01", "to": "2024-03-01"}
    hidden = client.get(f"/api/v1/meters/{meters['b/E1']}/rollups", params=params, headers=world.auth("ent_a"))
    assert hidden.status_code == 404
    seen = client.get(f"/api/v1/meters/{meters['b/E1']}/rollups", params=params, headers=world.auth("admin"))
    assert seen.status_code == 200
    listed = client.get("/api/v1/meters", headers=world.auth("ent_a")).json()
    assert sorted(m["code"] for m in listed) == ["E1", "E2", "E3", "E4", "G1"]


def test_csv_body_and_malformed_json(client: TestClient, world: Any, meters: dict[str, int]) -> None:
    a, b = world.codes["a"], world.codes["b"]
    csv_body = f"credit_code,meter_code,ts,value\n{a},G1,2024-03-01 00:00,2.5\n{b},E1,2024-03-01 00:00,1\n"
    response = client.post(
        "/api/v1/readings", content=csv_body.encode(), headers={**world.auth("ent_a"), "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["rejected"]) == (1, 1)
    bad = client.post(
        "/api/v1/readings", content=b"{not json", headers={**world.auth("ent_a"), "Content-Type": "application/json"}
    )
    assert bad.status_code == 422
    assert client.post("/api/v1/readings", json={"readings": []}).status_code == 401
