"""Every shipped policy pack validates; parameters, aliases, money rules and warning schemes are checked."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy import PolicyPack, list_packs, load_pack, packs_dir, resolve_pack
from dualcarbon.reference.policy_files import parse_pack_text

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "policy-pack.schema.json"


@pytest.mark.parametrize("pack_id", list_packs())
def test_every_shipped_pack_validates_and_cites_its_clauses(pack_id: str) -> None:
    pack = load_pack(pack_id)
    assert pack.id == pack_id
    for item in (*pack.obligations, *pack.targets, *pack.schedules, *pack.parameters, *pack.rules):
        assert item.source.clause and item.source.text, item.id
    for scheme in pack.warning_schemes:
        assert scheme.source.text and scheme.source.confidence


def test_the_expected_jurisdictions_are_shipped() -> None:
    assert {
        "longgang-2022",
        "shanghai-baiyi-2022",
        "yunnan-2022",
        "putian-2024",
        "liaocheng-2023",
        "fujian-2025",
    } <= set(list_packs())


def test_yunnan_parameters() -> None:
    pack = load_pack("yunnan-2022")
    assert pack.parameter("yunnan.retrofit.deadline_years_max") == 3
    assert pack.parameter_entry("yunnan.retrofit.deadline_years_max").source.clause == "三（一）制定技术改造实施方案"
    assert pack.parameter("yunnan.datacentre.new_large_pue_max") == 1.3
    assert pack.parameter("yunnan.datacentre.retrofit_pue_above") == 1.5
    assert pack.parameter("yunnan.target.benchmark_capacity_share_2025") == 30
    assert pack.catalog_schedule is not None and pack.catalog_schedule.due_date(2026, "H2") == date(2026, 7, 15)


def test_missing_parameter_names_pack_and_id() -> None:
    with pytest.raises(InvalidInput) as info:
        load_pack("yunnan-2022").parameter("yunnan.nothing")
    assert "yunnan-2022" in info.value.message and "yunnan.nothing" in info.value.message
    assert info.value.field == "parameter"


def test_aliases_and_status() -> None:
    assert resolve_pack("longgang").id == "longgang-2022"
    assert resolve_pack("shanghai").id == "shanghai-baiyi-2022"
    longgang = load_pack("longgang-2022")
    assert longgang.status_on(date(2023, 12, 31)) == "in_force" and longgang.status_on(date(2024, 1, 1)) == "expired"
    assert load_pack("yunnan-2022").status_on(date(2024, 1, 1)) == "draft"
    with pytest.raises(InvalidInput):
        resolve_pack("atlantis")


def test_longgang_has_the_eight_policy_items() -> None:
    pack = load_pack("longgang-2022")
    assert {rule.key for rule in pack.rules} == {"pv", "storage", "retrofit", "emc", "loan", "green", "diagnosis"}
    assert pack.parameter("longgang.pv.mount_height_max_sloped_roof") == 30  # item 1: cm
    assert pack.parameter("longgang.pv.mount_height_max_flat_roof") == 2.6  # item 1: m
    clauses = {rule.source.clause for rule in pack.rules} | {p.source.clause for p in pack.parameters}
    guidance = {clause for clause in clauses if clause.startswith("4、保障措施 （二）")}  # 加大政策引导
    assert {clause.split("）")[1][:1] for clause in guidance} == set("12345678")


def test_json_schema_file_is_current() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    current = PolicyPack.model_json_schema(by_alias=True)
    assert {k: v for k, v in published.items() if k not in ("$schema", "$id")} == json.loads(json.dumps(current))


def _pack_with_rule(rule: dict[str, Any]) -> str:
    data = {
        "schema": "dualcarbon.policy-pack/1",
        "id": "test-city",
        "title_zh": "测试",
        "jurisdiction": "测试市",
        "document": {"title": "测试"},
        "rules": [rule],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _rule(**changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": "r",
        "key": "retrofit",
        "title_zh": "改造",
        "facts": {"investment_yuan": {"type": "number", "unit": "元"}},
        "eligible": {"all": [{"fact": "investment_yuan", "min": 0, "min_inclusive": False, "unit": "元"}]},
        "amount": {
            "kind": "tiers",
            "base": "investment_yuan",
            "tiers": [
                {"max": 100, "max_inclusive": False, "rate": 10, "rate_unit": "%"},
                {"min": 100, "min_inclusive": True, "rate": 20, "rate_unit": "%"},
            ],
        },
        "source": {"clause": "1", "text": "t"},
    }
    rule.update(changes)
    return rule


def test_a_good_minimal_rule_parses() -> None:
    pack = parse_pack_text(_pack_with_rule(_rule()))
    assert pack.incentive("retrofit").amount.tiers[1].rate == 20


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "amount": {
                    "kind": "tiers",
                    "base": "investment_yuan",
                    "tiers": [
                        {"max": 100, "max_inclusive": True, "rate": 10, "rate_unit": "%"},
                        {"min": 100, "min_inclusive": True, "rate": 20, "rate_unit": "%"},
                    ],
                }
            },
            "the boundary 100 is inclusive in two tiers",
        ),
        (
            {"eligible": {"all": [{"fact": "saving", "min": 1, "min_inclusive": True, "unit": "tce"}]}},
            "undeclared fact 'saving'",
        ),
        ({"eligible": {"any": [{"fact": "investment_yuan", "min": 1, "unit": "元"}]}}, "'min' needs 'min_inclusive"),
        ({"amount": {"kind": "rate", "base": "investment_yuan", "rate": 1}}, "a 'rate' amount needs 'rate_unit'"),
    ],
)
def test_broken_rules_are_refused_with_line_and_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_pack_text(_pack_with_rule(_rule(**changes)), "x.yaml")
    assert message in info.value.message
    assert info.value.field is not None and info.value.field.startswith("x.yaml line ")
    assert "rules[0]" in info.value.field


def test_warning_bands_must_not_share_a_boundary() -> None:
    text = (packs_dir() / "completion-rate-warning.yaml").read_text(encoding="utf-8")
    broken = text.replace("{level: red, max: 50, max_inclusive: true", "{level: red, max: 50, max_inclusive: false")
    with pytest.raises(InvalidInput) as info:
        parse_pack_text(broken)
    assert "must belong to exactly one level" in info.value.message
