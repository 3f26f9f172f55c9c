"""Inputs the fuzzing run found to give 500s answer 422 with the JSON error shape instead (issue #7 §4)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

BIG = [2**31, 2**63, 10**30]  # beyond the store's 32-bit ids; beyond SQLite's 64 bits


PATHS = [  # (path with {n}, the field the error names)
    ("/api/v1/catalogs/{n}", "catalog_id"),
    ("/api/v1/reports/{n}", "report_id"),
    ("/api/v1/reports/1/versions/{n}/diff/1", "a"),
    ("/api/v1/appeals/{n}", "appeal_id"),
    ("/api/v1/reports?offset={n}", "offset"),
    ("/api/v1/enterprises?offset={n}", "offset"),
    ("/api/v1/reports?year={n}", "year"),
    ("/api/v1/appeals?catalog_id={n}", "catalog_id"),
]


def test_numbers_beyond_the_store_are_invalid_input(client: TestClient, world: Any) -> None:
    for path, field in PATHS:
        for number in BIG:
            response = client.get(path.format(n=number), headers=world.auth("admin"))
            assert response.status_code == 422, (path, number, response.text)
            assert response.json()["error"] == "InvalidInput" and response.json()["field"] == field


def test_the_largest_id_the_store_holds_is_simply_not_found(client: TestClient, world: Any) -> None:
    response = client.get(f"/api/v1/reports/{2**31 - 1}", headers=world.auth("admin"))
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/login"])
def test_a_body_that_is_not_utf8_is_invalid_input(client: TestClient, path: str) -> None:
    body = b'{"username": "\xff\xfe", "password": "x"}'
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "InvalidInput",
        "message": "the request body is not UTF-8 text",
        "field": "body",
    }


def test_a_body_route_answers_the_same_for_non_utf8(client: TestClient, world: Any) -> None:
    response = client.post(
        f"/api/v1/enterprises/{world.codes['a']}/reports",
        content=b'{"year": "\xff"}',
        headers={**world.auth("ent_a"), "content-type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["field"] == "body"


def test_a_nul_character_is_invalid_input_on_every_backend(client: TestClient, world: Any) -> None:
    # PostgreSQL text cannot hold NUL; SQLite can, and finds nothing
    postgres = world.url.startswith("postgresql")
    for path in ("/api/v1/enterprises?q=a%00b", "/api/v1/obligations?year=2023&region_code=33%00"):
        response = client.get(path, headers=world.auth("admin"))
        if postgres:
            assert response.status_code == 422, response.text
            assert response.json()["error"] == "InvalidInput" and "NUL" in response.json()["message"]
        else:
            assert response.status_code in (200, 404), response.text


def test_a_new_user_with_an_empty_region_is_invalid_input(client: TestClient, world: Any) -> None:
    body = {"username": "nobody", "role": "public", "region_code": "", "password": "correct-horse-battery-9"}
    response = client.post("/api/v1/users", headers=world.auth("admin"), json=body)
    assert response.status_code == 422 and response.json()["field"] == "region_code"


def test_every_path_parameter_is_declared(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{method.upper()} {path}: declares {declared}"


def test_a_bilingual_message_gives_each_reader_its_own_half() -> None:
    from dualcarbon.core.errors import InvalidInput, zh_en

    both = InvalidInput(zh_en("读数超出范围", "the value is out of range"), field="value")
    assert both.message_in("en") == "the value is out of range"
    assert both.message_in("zh") == "读数超出范围"
    # Text that is not in the 中文 / English form stays whole, for either reader.
    assert InvalidInput("ratio 1 / 2 is wrong").message_in("en") == "ratio 1 / 2 is wrong"
    assert InvalidInput(zh_en("甲", "乙 / b")).message_in("en") == "甲 / 乙 / b"
    # A separate Chinese text wins for a Chinese reader.
    assert InvalidInput(zh_en("甲", "a"), zh="中文说明").message_in("zh") == "中文说明"
