"""Scope attacks on the newer subjects (monitoring, projects, audits, subsidies, alerts, targets, budgets,
documents): a caller asks for, or writes, what belongs to an enterprise or a region outside their scope.

World (tests/conftest.py): enterprise a in 鹿城区 330302, b in 龙湾区 330303 (both 温州 330300), c in 西湖区
330106 (杭州). ent_a is a's user, the agency is assigned to a only, lucheng regulates 330302 only.
Each request must be refused (403/404), or — for a list that filters by what the caller may see — answer
without naming the other enterprise (its credit code or name). A 422 is not accepted: it would mean the
request never reached the scope check, and the test would prove nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import ENTERPRISES, Api

B_CODE, B_NAME = ENTERPRISES["b"][0], ENTERPRISES["b"][1]
YEAR = 2025

# (method, url, json body or None, whether a filtered 200 is an acceptable answer)
ENTERPRISE_ATTACKS: list[tuple[str, str, Any, bool]] = [
    ("GET", f"/api/v1/meters?enterprise={B_CODE}", None, True),
    ("GET", f"/api/v1/enterprises/{B_CODE}/monitoring/prefill?year={YEAR}", None, False),
    ("GET", f"/api/v1/projects?credit_code={B_CODE}", None, True),
    ("GET", f"/api/v1/alerts?enterprise={B_CODE}", None, True),
    ("GET", f"/api/v1/budgets/{B_CODE}/{YEAR}", None, False),
    ("PUT", f"/api/v1/budgets/{B_CODE}/{YEAR}", {"budget_tce": 1000.0}, False),
    ("GET", f"/api/v1/plans/{B_CODE}", None, False),
]
REGION_ATTACKS: list[tuple[str, str, Any, bool]] = [
    ("GET", "/api/v1/projects?region_code=330303", None, True),
    ("GET", "/api/v1/projects/totals?region_code=330303", None, True),
    ("GET", "/api/v1/projects/shares?region_code=330303", None, False),
    ("GET", f"/api/v1/audits/obligations?year={YEAR}&region_code=330303", None, False),
    ("GET", f"/api/v1/audits/goals?year={YEAR}&region_code=330303", None, False),
    ("GET", "/api/v1/targets?region_code=330303", None, True),
    ("GET", "/api/v1/alerts?region=330303", None, True),
]
CASES = [(user, *attack) for user in ("ent_a", "agency", "lucheng") for attack in ENTERPRISE_ATTACKS] + [
    ("lucheng", *attack) for attack in REGION_ATTACKS
]


@pytest.mark.parametrize(("user", "method", "url", "body", "filtered_ok"), CASES)
def test_outside_scope_is_refused(api: Api, user: str, method: str, url: str, body: Any, filtered_ok: bool) -> None:
    answer = api(method, url, user, json=body) if body is not None else api(method, url, user)
    if answer.status_code in (403, 404):
        assert answer.json().get("message"), answer.text  # refused with a reason
        return
    assert filtered_ok and answer.status_code == 200, (answer.status_code, answer.text[:400])
    assert B_CODE not in answer.text and B_NAME not in answer.text, answer.text[:400]


@pytest.mark.parametrize("url", [f"/api/v1/meters?enterprise={B_CODE}", f"/api/v1/budgets/{B_CODE}/{YEAR}"])
def test_the_owner_scope_is_not_refused(api: Api, url: str) -> None:
    """The same requests as the owner's regulator pass the scope check (so the refusals above are scope, not
    a broken request): 200, or 404 only for an object that does not exist yet."""
    answer = api("GET", url, "longwan")
    assert answer.status_code in (200, 404), answer.text[:300]
    if answer.status_code == 404:
        assert "budget" in answer.text.lower() or "预算" in answer.text, answer.text[:300]
