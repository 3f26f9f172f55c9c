"""The one glossary table of English data labels (reference/data/glossary_en.csv)."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from dualcarbon.reference import shipped_reference
from dualcarbon.reference.glossary import KINDS, english, glossary, in_language


def test_columns_and_kinds() -> None:
    path = Path(str(resources.files("dualcarbon.reference") / "data" / "glossary_en.csv"))
    with path.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["zh", "en", "kind", "source"]
    entries = glossary()
    assert entries is glossary()  # loaded once
    assert {entry.kind for entry in entries} <= set(KINDS)
    assert all(entry.source for entry in entries)  # every English name says where it comes from


def test_every_benchmark_label_has_an_english_name() -> None:
    reference = shipped_reference()
    for edition in reference.editions():
        for row in reference.benchmark_rows(edition):
            for kind, text in (("sector", row.sector), ("field", row.field), ("product", row.product)):
                assert english(text, kind), (edition, row.row_id, kind, text)
            assert english(row.indicator, "indicator"), (row.row_id, row.indicator)


def test_carriers_come_from_their_table() -> None:
    assert english("原煤", "carrier") == "raw coal"
    assert english("电力", "carrier") == shipped_reference().carrier("电力").name_en


def test_shown_in_the_page_language() -> None:
    assert in_language("水泥熟料", "en", "product") == "cement clinker"
    assert in_language("水泥熟料", "zh", "product") == "水泥熟料"  # Chinese mode shows the data as written
    assert in_language("某新产品", "en", "product") == "某新产品"  # unknown: shown as written, never hidden
    assert in_language(None, "en") == ""
