"""Every data label the shipped reference tables and policy packs can put on an English page has a glossary row.

English pages translate data labels through one table (reference/data/glossary_en.csv, via
``ui/web/formatting.data_label``); a label without a row would reach an English page in Chinese. These tests
list every distinct label of the shipped tables and packs, by kind, and name the ones without a row — so a new
benchmark row, GB/T 4754 division or pack rule fails here before anyone sees it untranslated.

A label with no Chinese character (``kgce/t``, ``kWh/t``) is already readable in English and needs no row.
Pack ``parameters`` count as schemes: the targets page shows the targets made from them by their titles.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from dualcarbon.core import units
from dualcarbon.reference import shipped_reference
from dualcarbon.reference.glossary import KINDS, english, glossary
from dualcarbon.reference.policy import list_packs, load_pack
from dualcarbon.reference.policy_incentives import FixedAward, RuleFact, Tier, WarningBand

_CHINESE = re.compile(r"[\u3400-\u9fff]")
_DATA = Path(str(resources.files("dualcarbon.reference") / "data"))


def _needs_row(text: str) -> bool:
    return bool(_CHINESE.search(text))


def _table(name: str) -> list[dict[str, str]]:
    with (_DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def table_labels() -> Iterator[tuple[str, str, str]]:
    """(kind, label, where) for every data label of the shipped reference tables shown on pages."""
    reference = shipped_reference()
    for edition in reference.editions():
        for row in reference.benchmark_rows(edition):
            yield "sector", row.sector, row.row_id
            yield "field", row.field, row.row_id
            yield "product", row.product, row.row_id
            yield "indicator", row.indicator, row.row_id
            yield "unit", row.unit, row.row_id
    for row in _table("industry_divisions_gbt4754.csv"):  # the region dashboard's sectors (GB/T 4754 大类)
        yield "sector", row["name_zh"], row["row_id"]
    for row in _table("product_aliases.csv"):  # the names respondents write, and what they resolve to
        yield "product", row["alias"], f"product_aliases {row['alias']}"
        yield "field", row["field"], f"product_aliases {row['alias']}"
        if row["product"]:
            yield "product", row["product"], f"product_aliases {row['alias']}"
    for row in _table("carriers.csv"):
        yield "carrier", row["name_zh"], f"carriers {row['id']}"
        yield "unit", row["default_unit"], f"carriers {row['id']}"
    for spelling in units._ALIASES:  # every Chinese unit spelling a form may carry (吨, 万千瓦时, 万元 …)
        yield "unit", spelling, "core/units.py"


def demo_labels() -> Iterator[tuple[str, str, str]]:
    """(kind, label, where) for the products and units the demo city's enterprises write (demo/profiles.py)."""
    from dualcarbon.demo.profiles import FIELDS

    for field in FIELDS:
        yield "product", field.product, f"demo field {field.key}"
        yield "unit", field.output_unit, f"demo field {field.key}"
        yield "unit", field.capacity_unit, f"demo field {field.key}"
        for share in field.mix:
            yield "unit", share.unit, f"demo field {field.key}"


def _pack_labels(node: object, where: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(node, BaseModel):
        kind = "fact" if isinstance(node, RuleFact) else "scheme"
        if isinstance(node, Tier | FixedAward | WarningBand):
            kind = "level"
        for attribute in ("title_zh", "label_zh"):
            text = getattr(node, attribute, "")
            if isinstance(text, str) and text:
                yield kind, text, f"{where} {type(node).__name__}.{attribute}"
        if isinstance(node, RuleFact):
            for choice in node.choices:  # codes (national, green_factory) need no row; Chinese choices do
                yield "choice", choice, f"{where} RuleFact.choices"
        unit = getattr(node, "unit", None)
        if isinstance(unit, str) and unit:  # 家, 个, 项 beside a target's figure
            yield "unit", unit, f"{where} {type(node).__name__}.unit"
        for name in type(node).model_fields:
            yield from _pack_labels(getattr(node, name), where)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _pack_labels(item, where)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _pack_labels(item, where)


def pack_labels() -> Iterator[tuple[str, str, str]]:
    """(kind, label, where) for the titles and labels of every shipped policy pack."""
    for pack_id in list_packs():
        yield from _pack_labels(load_pack(pack_id), pack_id)


def _missing(labels: Iterator[tuple[str, str, str]]) -> list[str]:
    missing: dict[tuple[str, str], str] = {}
    for kind, text, where in labels:
        text = text.strip()
        if _needs_row(text) and english(text, kind) is None:
            missing.setdefault((kind, text), where)
    return [f"{kind} {text!r} ({where})" for (kind, text), where in sorted(missing.items())]


def test_the_walk_finds_the_labels_it_checks() -> None:
    # the checks below would pass on an empty walk: make sure they see the tables and packs
    kinds = {kind for kind, _, _ in table_labels()} | {kind for kind, _, _ in pack_labels()}
    assert kinds == {"sector", "field", "product", "indicator", "unit", "carrier", "scheme", "level", "fact", "choice"}
    divisions = {text for kind, text, _ in table_labels() if kind == "sector"}
    assert "有色金属冶炼和压延加工业" in divisions and len(divisions) >= 31 + 11
    assert sum(1 for kind, _, _ in pack_labels() if kind == "scheme") >= 9  # at least each pack's title


def test_every_table_label_has_an_english_row() -> None:
    assert _missing(table_labels()) == []


def test_every_demo_product_and_unit_has_an_english_row() -> None:
    assert _missing(demo_labels()) == []


def test_every_pack_title_and_level_has_an_english_row() -> None:
    assert _missing(pack_labels()) == []


def test_a_label_without_a_row_is_reported() -> None:
    fake = iter([("product", "某新产品", "test"), ("unit", "kgce/t", "test"), ("sector", "钢铁", "test")])
    assert _missing(fake) == ["product '某新产品' (test)"]  # ASCII units need no row; 钢铁 has one


def test_rows_are_unique_and_of_known_kinds() -> None:
    seen: set[tuple[str, str]] = set()
    for entry in glossary():
        assert entry.kind in KINDS, entry
        assert (entry.kind, entry.zh) not in seen, entry  # a second row for a label would never be used
        seen.add((entry.kind, entry.zh))
        assert not _needs_row(entry.en), entry  # the English name has no Chinese left in it


def test_a_compound_unit_is_read_part_by_part() -> None:
    assert english("kgce/万元", "unit") == "kgce/10⁴ yuan"  # no row of its own: 万元 has one
    assert english("吨/小时", "unit") == "t/h"
    assert english("万吨/年", "unit") == "10⁴ t/a"  # its own row
    assert english("kgce/某单位", "unit") is None  # a part the glossary does not know: shown as written
    assert english("万元宝", "product") is None  # only units are read part by part (万元 is one)
