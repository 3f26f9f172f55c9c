"""Caps across applications (both stores): what an enterprise, a project or a cap group already got counts.

The shipped 龙港 storage rule has no cap (“the text sets no duration and no cap”), so these tests give it caps
in a patched copy of the pack: 储能放电量补贴 0.8 元/kWh, 1 000 kWh a month → 800 元 an application.

* per enterprise_year 1 500 元: month 1 approved 800; month 2 applied for 800 (nothing granted when it was
  filed), at approval 1 500 − 800 = 700 left → reduced to 700; month 3 applied after → 1 500 − 1 500 = 0 元.
* per project 1 000 元 (the storage system across its months): month 1 approved 800; month 2 → 200 元.
* a cap group shared with the pv rule: an approved 300 元 pv grant leaves 1 500 − 300 = 1 200 元.
* two approvals at once under a cap of 1 000 元: one gets 800, the other what is left, 200 — never 1 600.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference import policy as policy_module
from dualcarbon.reference.policy_incentives import Cap
from dualcarbon.reference.policy_rules import Source
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_review
from dualcarbon.subsidies.models import BudgetPool, SubsidyApplication
from dualcarbon.subsidies.schemas import DecisionIn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers
sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import apply_storage as apply
from subsidy_helpers import storage_with_pool, who

from race_helpers import race

CLAUSE = "测试条款：每家企业每年补助不超过 1500 元"
_original_load = policy_module.load_pack


def capped(monkeypatch: pytest.MonkeyPatch, *caps: Cap, pv_group: str = "") -> None:
    """Give the 龙港 storage rule ``caps`` (and the pv rule a cap of ``pv_group``) for this test."""

    def load(name: Any) -> Any:
        pack = _original_load(name)
        if pack.id != "longgang-2022":
            return pack
        rules = []
        for rule in pack.rules:
            if rule.key == "storage":
                rule = rule.model_copy(update={"caps": caps})
            elif rule.key == "pv" and pv_group:
                rule = rule.model_copy(update={"caps": (Cap(per="enterprise_year", max_yuan=10**6, group=pv_group),)})
            rules.append(rule)
        return pack.model_copy(update={"rules": tuple(rules)})

    monkeypatch.setattr(policy_module, "load_pack", load)


def year_cap(max_yuan: float, group: str = "") -> Cap:
    return Cap(
        per="enterprise_year",
        max_yuan=max_yuan,
        group=group,
        source=Source(document="测试", clause=CLAUSE, text="test cap"),
    )


def approve(world: Any, app_id: int) -> Any:
    with session_scope(world.engine) as session:
        return service_review.decide(session, who(session, "city"), app_id, DecisionIn(action="approve"))


def cap_lines(out: Any) -> list[dict[str, Any]]:
    return [line for line in out.trace if "cap" in line]


def test_enterprise_year_cap_counts_earlier_grants(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    capped(monkeypatch, year_cap(1500))
    asset = storage_with_pool(world, ["2023-03", "2023-04", "2023-05"], 100_000)
    first, second = apply(world, asset, "2023-03"), apply(world, asset, "2023-04")
    assert (first.amount_yuan, second.amount_yuan) == (800.0, 800.0)  # nothing granted yet when filed
    assert approve(world, first.id).amount_yuan == 800.0
    approved = approve(world, second.id)
    assert approved.amount_yuan == 700.0  # 1 500 − 800 granted = 700 left
    line = cap_lines(approved)[-1]
    assert line["clause"] == CLAUSE and line["passed"] is False
    assert line["cap"] == {
        "per": "enterprise_year",
        "per_zh": "每家单位每年",
        "group": None,
        "max_yuan": 1500.0,
        "used_yuan": 800.0,
        "remaining_yuan": 700.0,
    }
    assert f"#{first.id}" in line["note"] and "reduced to 700" in line["note"]
    third = apply(world, asset, "2023-05")
    assert third.eligible and third.amount_yuan == 0.0  # 1 500 − (800 + 700) = 0 left
    capline = next(t for t in third.trace if str(t["condition"]).startswith("amount ≤ cap 1500"))
    assert "less 1500 元 granted before (room 0 元)" in capline["condition"]
    assert capline["clause"] == CLAUSE and f"#{second.id}" in capline["note"]
    assert (capline["cap"]["used_yuan"], capline["cap"]["remaining_yuan"]) == (1500.0, 0.0)
    assert third.facts["granted_enterprise_year_yuan"] == 1500.0
    with pytest.raises(InvalidInput):
        approve(world, third.id)  # nothing left: amount 0 cannot be approved
    with session_scope(world.engine, write=False) as session:
        assert session.scalars(select(BudgetPool.committed_yuan)).one() == 1500.0  # 800 + 700 drawn


def test_project_cap_across_months_of_one_storage(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    capped(monkeypatch, Cap(per="project", max_yuan=1000))
    asset = storage_with_pool(world, ["2023-03", "2023-04"], 100_000)
    first = apply(world, asset, "2023-03")
    approve(world, first.id)
    second = apply(world, asset, "2023-04")
    assert second.amount_yuan == 200.0  # 1 000 − 800 granted on storage:<asset>
    line = cap_lines(second)[-1]
    assert line["cap"]["used_yuan"] == 800.0 and line["cap"]["remaining_yuan"] == 200.0
    assert f"storage:{asset}" in line["condition"]


def test_cap_group_counts_the_other_rule(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    capped(monkeypatch, year_cap(1500, group="energy"), pv_group="energy")
    asset = storage_with_pool(world, ["2023-03"], 100_000)
    first = apply(world, asset, "2023-03")
    with session_scope(world.engine) as session:  # an approved pv grant of the same enterprise, same year
        row = session.get(SubsidyApplication, first.id)
        assert row is not None
        pv = SubsidyApplication(
            **{c: getattr(row, c) for c in ("enterprise_id", "region_code", "pack_id", "year", "facts", "result")},
            rule_key="pv",
            rule_id="longgang-2022.subsidy.pv",
            evidence_kind="pv_generation",
            evidence={"asset_id": 99},
            fact_sources={},
            eligible=True,
            amount_yuan=300.0,
            state="approved",
            submitted_by="test",
        )
        session.add(pv)
    approved = approve(world, first.id)
    assert approved.amount_yuan == 800.0  # 1 500 − 300 = 1 200 left: the whole 800
    line = cap_lines(approved)[-1]
    assert line["cap"]["group"] == "energy" and line["cap"]["used_yuan"] == 300.0
    assert line["cap"]["remaining_yuan"] == 1200.0 and "cap group energy" in line["note"]


def test_two_approvals_at_once_stay_within_the_cap(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    capped(monkeypatch, year_cap(1000))
    asset = storage_with_pool(world, ["2023-03", "2023-04"], 100_000)
    ids = [apply(world, asset, m).id for m in ("2023-03", "2023-04")]
    targets = iter(ids)
    picked: dict[int, int] = {}

    def prepare(session: Any) -> object:
        picked[threading.get_ident()] = next(targets)
        return session.get(SubsidyApplication, picked[threading.get_ident()])

    def act(session: Any) -> None:
        service_review.decide(
            session, who(session, "city"), picked[threading.get_ident()], DecisionIn(action="approve")
        )

    assert race(world.engine, 2, act, prepare) == {"ok": 2}
    with session_scope(world.engine, write=False) as session:
        amounts = sorted(session.scalars(select(SubsidyApplication.amount_yuan)).all())
        assert amounts == [200.0, 800.0]  # never 800 + 800 = 1 600 > 1 000
        assert session.scalars(select(BudgetPool.committed_yuan)).one() == 1000.0
