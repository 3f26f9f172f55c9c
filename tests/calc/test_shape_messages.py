"""A contract input of the wrong JSON shape (a list, null, text or a number where an object belongs) is refused
with a message a person can act on — never pydantic's wording with our internal class names
("instance of EnergyInput")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()
INTERNAL = ("instance of", "Input", "Item", "dictionary")


@pytest.mark.parametrize(
    "kind, payload, field, got",
    [
        ("energy", [], "input", "a list"),
        ("energy", None, "input", "null"),
        ("energy", "x", "input", "text"),
        ("carbon", 3, "input", "a number"),
        ("energy", {"items": [1]}, "items[0]", "a number"),
        ("energy", {"items": [["电力", 1, "t"]]}, "items[0]", "a list"),
        ("energy", {"items": [True]}, "items[0]", "true/false"),
    ],
)
def test_a_value_that_is_not_an_object_says_so_in_plain_words(
    kind: str, payload: Any, field: str, got: str, tmp_path: Path
) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    result = runner.invoke(app, ["calc", kind, str(path)])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(f"error: {field}: 此项须为 JSON 对象"), result.stderr
    assert " / must be a JSON object" in result.stderr
    assert f"got {got}" in result.stderr
    assert not any(word in result.stderr for word in INTERNAL), result.stderr


def test_the_api_answers_the_same_words(client: TestClient, world: Any) -> None:
    answer = client.post("/api/v1/calc/energy", headers=world.auth("ent_a"), json={"items": [1]})
    assert answer.status_code == 422
    body = answer.json()
    assert body["field"] == "items[0]" and body["message"] == "此项须为 JSON 对象（{…}），实为数字"
    english = client.post(
        "/api/v1/calc/energy", headers={**world.auth("ent_a"), "Accept-Language": "en"}, json={"items": [1]}
    ).json()
    assert "must be a JSON object ({…}), got a number" in english["message"]
    assert not any(word in body["message"] for word in INTERNAL), body
