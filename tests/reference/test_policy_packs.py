"""Policy packs: the shipped packs load, quote their documents verbatim, and bad packs are refused clearly."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy import list_packs, load_pack, packs_dir, parse_pack

SEEDS = Path("/work/shared/seeds")
SEED_OF_PACK = {"shanghai-baiyi-2022": "003_1704d109569681a5.txt", "longgang-2022": "000_adc12596cdbd6fa5.txt"}


def test_shipped_packs_load() -> None:
    assert {"national", "shanghai-baiyi-2022", "longgang-2022"} <= set(list_packs())
    for name in list_packs():
        pack = load_pack(name)
        assert pack.id == name
        for rule in pack.obligations:
            assert rule.source.text and rule.source.clause


def test_shanghai_numbers_from_the_seed() -> None:
    pack = load_pack("shanghai-baiyi-2022")
    schedule = pack.rule("sh-baiyi-2022.schedule.retrofit-completion")
    # 四.4: 2022 and 2025 ≥ 20 %, 2023 and 2024 ≥ 30 %; together 100 %.
    assert schedule.values == {2022: 20, 2023: 30, 2024: 30, 2025: 20}  # type: ignore[union-attr]
    target = pack.rule("sh-baiyi-2022.target.annual-saving")
    assert (target.value, target.unit) == (1, "%/a")  # type: ignore[union-attr]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _quoted_texts(pack_file: Path) -> list[str]:
    """Every 'text' under a 'source' of a pack, split at the elisions (……) and alternatives ( / )."""
    data = yaml.safe_load(pack_file.read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str) and "clause" in node:
                found.extend(part for chunk in node["text"].split(" / ") for part in chunk.split("……"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return [part.strip() for part in found if part.strip()]


@pytest.mark.parametrize("pack_id", sorted(SEED_OF_PACK))
def test_every_quoted_clause_is_in_the_document(pack_id: str) -> None:
    seed = SEEDS / SEED_OF_PACK[pack_id]
    if not seed.exists():
        pytest.skip("seed documents not available")
    document = _squash(seed.read_text(encoding="utf-8"))
    for quote in _quoted_texts(packs_dir() / f"{pack_id}.yaml"):
        if quote.startswith("本文件未规定"):  # our own statement that the document has no convention
            continue
        assert _squash(quote) in document, quote


def _pack() -> dict[str, Any]:
    return {
        "schema": "dualcarbon.policy-pack/1",
        "id": "example",
        "title_zh": "示例",
        "jurisdiction": "示例市",
        "document": {"title": "示例"},
        "obligations": [
            {
                "id": "example.audit",
                "obligation": "energy_audit",
                "title_zh": "能源审计",
                "when": [{"fact": "annual_energy_tce", "min": 2000, "min_inclusive": True, "unit": "tce/a"}],
                "source": {"clause": "一", "text": "示例条文"},
            }
        ],
    }


def _refused(change: dict[str, Any]) -> InvalidInput:
    data = copy.deepcopy(_pack())
    data["obligations"][0]["when"][0] = {**data["obligations"][0]["when"][0], **change}
    with pytest.raises(InvalidInput) as error:
        parse_pack(data)
    return error.value


def test_boundary_must_be_stated() -> None:
    error = _refused({"min_inclusive": None})
    assert "min_inclusive" in error.message
    assert error.field == "policy pack: obligations[0].when[0]"


def test_range_must_be_well_ordered() -> None:
    assert "not well ordered" in _refused({"max": 1000, "max_inclusive": False}).message
    assert "empty" in _refused({"max": 2000, "max_inclusive": False}).message


def test_threshold_needs_a_compatible_unit() -> None:
    assert "unit" in _refused({"unit": ""}).message
    assert "cannot convert" in _refused({"unit": "kWh"}).message
    assert "unknown unit" in _refused({"unit": "bananas"}).message


def test_unknown_fact_and_wrong_condition_kind() -> None:
    assert "unknown fact" in _refused({"fact": "employees"}).message
    message = _refused({"fact": "above_designated_size"}).message
    assert "equals" in message


def test_duplicate_ids_and_unknown_fields_are_refused() -> None:
    data = copy.deepcopy(_pack())
    data["obligations"].append(copy.deepcopy(data["obligations"][0]))
    with pytest.raises(InvalidInput, match="duplicate rule id"):
        parse_pack(data)
    data = copy.deepcopy(_pack())
    data["obligations"][0]["threshold"] = 5
    with pytest.raises(InvalidInput) as error:
        parse_pack(data)
    assert error.value.field == "policy pack: obligations[0].threshold"


def test_source_text_is_required() -> None:
    data = copy.deepcopy(_pack())
    del data["obligations"][0]["source"]["text"]
    with pytest.raises(InvalidInput) as error:
        parse_pack(data)
    assert error.value.field == "policy pack: obligations[0].source.text"


def test_pack_file_name_must_match_id(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(_pack(), allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInput, match="differs from the file name"):
        load_pack(path)
    good = tmp_path / "example.yaml"
    good.write_text(yaml.safe_dump(_pack(), allow_unicode=True), encoding="utf-8")
    assert load_pack(good).obligations[0].when[0].min == 2000


def test_unknown_pack() -> None:
    with pytest.raises(InvalidInput, match="no policy pack 'atlantis'"):
        load_pack("atlantis")


def test_catalog_schedule_of_the_national_pack() -> None:
    schedule = load_pack("national").catalog_schedule
    assert schedule is not None
    # The 云南 plan: changes reported by 15 January and 15 July; each catalog from the previous year's reports.
    assert [(h.half, h.due_month, h.due_day) for h in schedule.halves] == [("H1", 1, 15), ("H2", 7, 15)]
    assert str(schedule.due_date(2025, "H2")) == "2025-07-15" and schedule.data_year(2025) == 2024
    seed = SEEDS / "004_e986ae801942dd91.txt"
    if seed.exists():
        assert _squash(schedule.source.text) in _squash(seed.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"halves": [{"half": "H1", "due_month": 2, "due_day": 30}, {"half": "H2", "due_month": 7, "due_day": 15}]},
            "no day 30 in month 2",
        ),
        (
            {"halves": [{"half": "H1", "due_month": 1, "due_day": 15}, {"half": "H1", "due_month": 7, "due_day": 15}]},
            "H1 and H2 once each",
        ),
        ({"data_year_offset": 1}, "less than or equal to 0"),
    ],
)
def test_catalog_schedule_is_checked(change: dict[str, Any], message: str) -> None:
    source = {"clause": "二（二）", "text": "示例条文"}
    schedule = {
        "halves": [{"half": "H1", "due_month": 1, "due_day": 15}, {"half": "H2", "due_month": 7, "due_day": 15}],
        "data_year_offset": -1,
        "source": source,
        "data_year_source": source,
    }
    with pytest.raises(InvalidInput) as error:
        parse_pack({**_pack(), "catalog_schedule": {**schedule, **change}})
    assert message in error.value.message
    assert error.value.field is not None and error.value.field.startswith("policy pack: catalog_schedule")
