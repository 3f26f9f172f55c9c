"""Seeding a pack that has no ``targets`` section (Yunnan: its goals are parameters) is a clear 422 naming the
parameters to set targets from — it used to answer an empty list, which read like "already seeded"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dualcarbon.app.api import create_app


@pytest.fixture
def client(world: Any, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(world.url, data_dir=tmp_path)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


def test_a_pack_without_targets_is_refused_with_its_parameters(client: TestClient, world: Any) -> None:
    answer = client.post(
        "/api/v1/targets/seed", headers=world.auth("city"), json={"pack": "yunnan", "region_code": "330300"}
    )
    assert answer.status_code == 422, answer.text
    text = answer.text
    assert answer.json()["field"] == "pack"
    assert "政策包 yunnan-2022 没有可导入的目标" in text  # the caller's language (zh)
    assert "yunnan.target.benchmark_capacity_share_2025" in text  # what to set the target from instead
    # the parameter route it points to works: value, unit and clause come from the pack
    made = client.post(
        "/api/v1/targets",
        headers=world.auth("city"),
        json={
            "region_code": "330300",
            "kind": "benchmark_capacity_share",
            "pack": "yunnan",
            "parameter": "yunnan.target.benchmark_capacity_share_2025",
            "target_year": 2025,
        },
    )
    assert made.status_code == 201, made.text
    assert (made.json()["value"], made.json()["unit"]) == (30, "%")


def test_a_pack_with_targets_still_seeds_and_repeats_as_nothing_new(client: TestClient, world: Any) -> None:
    body = {"pack": "putian-2024", "region_code": "330300"}
    first = client.post("/api/v1/targets/seed", headers=world.auth("city"), json=body)
    assert first.status_code == 200 and len(first.json()) == 3  # green factories, supply chains, parks
    again = client.post("/api/v1/targets/seed", headers=world.auth("city"), json=body)
    assert again.status_code == 200 and again.json() == []
