"""Fuzz every API operation from the OpenAPI document (schemathesis): no input may give a 5xx or invalid JSON.

For each operation schemathesis generates requests that follow the schema (positive) and requests that
break it (negative: wrong types, numbers out of range, missing fields …), sent through the ASGI app with
the bearer token of each role of the seeded world (each on its own copy of it): an enterprise user, the
administrator, a district regulator, a regional reviewer (expert) and a service agency. Every answer must
be below 500, and a JSON answer must be strict JSON (no ``NaN``/``Infinity``, which Python's encoder
writes but JSON does not allow). A scoped caller's successful answer must not name an enterprise outside
their scope (its credit code or name): the scope of every read is checked on whatever the fuzzer reaches.

The run is bounded (``EXAMPLES`` per operation and mode) so that it stays within about a minute per token
and backend on two cores; a wider run: ``DUALCARBON_FUZZ_EXAMPLES=200 pytest tests/app/test_schemathesis.py``
(``DUALCARBON_FUZZ_USERS=ent_a,agency`` to fuzz as some of the users only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from dualcarbon.app.api import create_app

from ..conftest import ENTERPRISES

EXAMPLES = int(os.environ.get("DUALCARBON_FUZZ_EXAMPLES", "4"))
# user → the enterprises (keys of the seeded world) the user may see; None: all of them
SCOPES: dict[str, set[str] | None] = {
    "ent_a": {"a"},
    "admin": None,
    "lucheng": {"a"},  # regulator of 鹿城区 330302
    "expert": {"a", "b"},  # reviewer of 温州市 330300
    "agency": {"a"},  # service agency assigned to enterprise a
}
_CHOSEN = os.environ.get("DUALCARBON_FUZZ_USERS")
USERS = [u for u in SCOPES if _CHOSEN is None or u in _CHOSEN.split(",")]


@pytest.fixture
def api(world: Any) -> Iterator[FastAPI]:
    app = create_app(world.url)
    yield app
    app.state.engine.dispose()


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _operations(app: FastAPI) -> list[Any]:
    """Every operation of the document; those that may end the caller's own access (revoking a token,
    disabling a user) last, so that they cannot leave the rest of the run answering 401."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: op.method.upper() == "DELETE" or op.path.endswith("/disable"))


def _strategy(operation: Any, headers: dict[str, str]) -> st.SearchStrategy[Any]:
    modes = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            modes.append(operation.as_strategy(mode, headers=headers))
        except Exception:  # e.g. an operation with nothing that can be made invalid: positive cases only
            continue
    return st.one_of(*modes)


def _outside(username: str) -> dict[str, str]:
    """Texts naming an enterprise outside the user's scope (credit code, name) → the enterprise key."""
    scope = SCOPES[username]
    if scope is None:
        return {}
    hidden = {key: (code, name) for key, (code, name, *_rest) in ENTERPRISES.items() if key not in scope}
    return {text: key for key, texts in hidden.items() for text in texts}


@pytest.mark.timeout(max(600, EXAMPLES * 150))  # a wide run must not be cut by the suite's 600 s limit
@pytest.mark.parametrize("username", USERS)
def test_no_input_gives_a_server_error_or_invalid_json(api: FastAPI, world: Any, username: str) -> None:
    headers = world.auth(username)
    outside = _outside(username)
    failures: list[str] = []
    operations = _operations(api)
    assert len(operations) > 40  # the document lists every operation (a broken one would raise above)

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, headers))
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers)
            problem = None
            if response.status_code >= 500:
                problem = f"status {response.status_code}"
            elif "json" in response.headers.get("content-type", [""])[0]:
                try:
                    _strict_json(response.text)
                except ValueError as exc:
                    problem = f"invalid JSON ({exc})"
            if problem is None and response.status_code < 300:
                body = response.content  # bytes: an xlsx or PDF answer is not text
                leaked = sorted({key for text, key in outside.items() if text.encode() in body})
                if leaked:
                    problem = f"names enterprise(s) {leaked} outside the scope of {username}"
            if problem:
                label = f"{case.operation.method.upper()} {case.operation.path}"
                failures.append(f"{label}: {problem}\n    {case.as_curl_command()}\n    {response.text[:300]}")

        fuzz()

    assert not failures, "\n".join(failures)
