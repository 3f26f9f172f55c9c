"""Extreme inputs an integrator can send (issue #8 acceptance walk): huge numbers, times far outside any meter's
life, over-long integers and deeply nested JSON. Each is a rejected row or a 422 — never a 500, never a stored value
that later breaks the rollups of its enterprise. Both stores."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from dualcarbon.monitoring import service_mqtt


def test_out_of_range_times_and_values_are_rejected_and_rollups_still_read(
    client: TestClient, world: Any, meters: dict[str, int]
) -> None:
    readings = [
        {"meter": "E1", "ts": "2024-03-01T00:00:00", "value": 100},  # 1 accepted
        {"meter": "E1", "ts": "2024-03-01T00:15:00", "value": 110},  # 2 accepted
        {"meter": "E1", "ts": "0001-01-01T00:00:00", "value": 1},  # 3 before year 1 once in UTC
        {"meter": "E1", "ts": "9999-12-31T23:59:59", "value": 1},  # 4 its month ends after 9999
        {"meter": "E1", "ts": "1899-12-31T23:00:00Z", "value": 1},  # 5 just before the range
        {"meter": "E1", "ts": "2024-03-01T00:30:00", "value": 1.7e308},  # 6 finite, but × multiplier is not
        {"meter": "E1", "ts": "2024-03-01T00:45:00", "value": 10**30},  # 7 rounded by a double
        {"meter": "E1", "ts": "2024-03-01T01:00:00", "value": 10**400},  # 8 float() overflows
        {"meter": "E1", "ts": "2024-03-01T01:15:00", "value": -(2**53) - 2},  # 9 just beyond −2^53
        {"meter": "E1", "ts": "2024-03-01T01:30:00", "value": 2**53},  # 10 the largest accepted (but a drop)
    ]
    response = client.post("/api/v1/readings", json={"readings": readings}, headers=world.auth("ent_a"))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert (receipt["accepted"], receipt["rejected"]) == (3, 7)
    reasons = {p["row"]: p["reason"] for p in receipt["problems"]}
    assert [r.split(":")[0] for _, r in sorted(reasons.items())] == [
        "ts",
        "ts",
        "ts",
        "value",
        "value",
        "value",
        "value",
    ]
    assert all(p["reason_zh"] for p in receipt["problems"])  # every reason has its Chinese sentence
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]

    for interval, start, end in (("hour", "2024-03-01", "2024-03-01"), ("month", "2024-03-01", "2024-03-31")):
        rollups = client.get(
            f"/api/v1/meters/{meters['a/E1']}/rollups",
            params={"interval": interval, "from": start, "to": end},
            headers=world.auth("ent_a"),
        )
        assert rollups.status_code == 200, rollups.text
        energies = [p["energy"] for p in rollups.json()["periods"] if p["energy"] is not None]
        assert energies and all(abs(e) < 1e300 for e in energies)


def test_over_long_integers_and_deep_nesting_are_bad_json_not_500(client: TestClient, world: Any) -> None:
    headers = {**world.auth("ent_a"), "Content-Type": "application/json"}
    too_long = b'{"readings": [{"meter": "E1", "ts": "2024-03-01T00:00:00", "value": 1' + b"0" * 5000 + b"}]}"
    deep = b'{"readings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for body in (too_long, deep):
        response = client.post("/api/v1/readings", content=body, headers=headers)
        assert response.status_code == 422, response.text[:200]
        assert response.json()["field"] == "readings"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": "2024-01-01T00:00:00", "value": 1' + b"0" * 400 + b"}",  # float() would overflow
    ],
)
def test_mqtt_huge_integer_is_a_rejected_row_not_a_crash(payload: bytes) -> None:
    rows = service_mqtt.readings_of_message("dualcarbon/X/M", payload)
    assert rows == [{"credit_code": "X", "meter_code": "M", "ts": "2024-01-01T00:00:00", "value": "inf"}]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": "2024-01-01T00:00:00", "value": 1' + b"0" * 5000 + b"}",  # beyond Python's 4,300-digit limit
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the JSON decoder recurses
    ],
)
def test_mqtt_payloads_that_broke_the_decoder_are_malformed(payload: bytes) -> None:
    with pytest.raises(ValueError):
        service_mqtt.readings_of_message("dualcarbon/X/M", payload)
