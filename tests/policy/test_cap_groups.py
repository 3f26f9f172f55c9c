"""Caps in a pack: a ``group`` joins the caps of several rules into one ledger; one cap per scope in a rule."""

from __future__ import annotations

from typing import Any

import pytest

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.reference.policy_files import parse_pack_text
from dualcarbon.subsidies.service_caps import ledger_rules

RULE: dict[str, Any] = {
    "id": "r",
    "key": "retrofit",
    "title_zh": "改造",
    "facts": {"investment_yuan": {"type": "number", "unit": "元"}},
    "eligible": {"all": [{"fact": "investment_yuan", "min": 0, "min_inclusive": False, "unit": "元"}]},
    "amount": {"kind": "rate", "base": "investment_yuan", "rate": 10, "rate_unit": "%"},
    "source": {"clause": "1", "text": "t"},
}


def pack_text(*caps: dict[str, Any]) -> str:
    import yaml

    data = {
        "schema": "dualcarbon.policy-pack/1",
        "id": "test-city",
        "title_zh": "测试",
        "jurisdiction": "测试市",
        "document": {"title": "测试"},
        "rules": [{**RULE, "caps": list(caps)}],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_group_is_read_and_the_fujian_rules_share_one() -> None:
    pack = parse_pack_text(pack_text({"per": "enterprise_year", "max_yuan": 100, "group": "retrofit-all"}))
    assert pack.incentive("retrofit").caps[0].group == "retrofit-all"
    fujian = resolve_pack("fujian")
    settlement, prepay = fujian.incentive("retrofit"), fujian.incentive("retrofit-prepay")
    assert ledger_rules(fujian, settlement, settlement.caps[0]) == ("retrofit", "retrofit-prepay")
    assert ledger_rules(fujian, prepay, prepay.caps[0]) == ("retrofit", "retrofit-prepay")
    longgang = resolve_pack("longgang")
    retrofit = longgang.incentive("retrofit")
    assert ledger_rules(longgang, retrofit, retrofit.caps[0]) == ("retrofit",)  # no group: the rule alone


@pytest.mark.parametrize(
    ("caps", "message"),
    [
        (
            [{"per": "enterprise", "max_yuan": 100}, {"per": "enterprise", "max_yuan": 50}],
            "two caps with the same 'per'",
        ),
        ([{"per": "year", "max_yuan": 100, "group": "Not Valid"}], "group"),
    ],
)
def test_bad_caps_are_refused_naming_the_problem(caps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_pack_text(pack_text(*caps))
