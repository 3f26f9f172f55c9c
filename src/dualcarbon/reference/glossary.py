"""English names of the data labels people see (sectors, key fields, products, indicators, units, carriers).

One table, ``reference/data/glossary_en.csv`` (columns ``zh,en,kind,source``), read once per process. The
pages show these names in English mode; Chinese mode shows the data as written. ``source`` says where an
English name comes from — the carriers' ``name_en`` column, or our own translation where the official text
has no English (the benchmark tables' products and indicators): a reader's aid, never a legal name.
A label the glossary does not know is shown as written, so a new product is never hidden.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

KINDS = ("sector", "field", "product", "indicator", "unit", "carrier")


@dataclass(frozen=True)
class GlossaryEntry:
    zh: str
    en: str
    kind: str
    source: str


@lru_cache(maxsize=1)
def glossary() -> tuple[GlossaryEntry, ...]:
    """Every entry of ``glossary_en.csv``, in file order (loaded once)."""
    path = Path(str(resources.files("dualcarbon.reference") / "data" / "glossary_en.csv"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(
            GlossaryEntry(row["zh"].strip(), row["en"].strip(), row["kind"].strip(), row["source"].strip())
            for row in csv.DictReader(handle)
            if row.get("zh", "").strip() and row.get("en", "").strip()
        )


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for entry in glossary():
        found.setdefault((entry.kind, entry.zh), entry.en)
        found.setdefault(("", entry.zh), entry.en)  # any kind, first entry wins
    return found


def english(text: str | None, kind: str = "") -> str | None:
    """The English name of a Chinese data label (of ``kind`` when given, else of any kind); None if unknown."""
    if not text:
        return None
    index = _index()
    return index.get((kind, text)) or index.get(("", text))


def in_language(text: str | None, language: str, kind: str = "") -> str:
    """``text`` as shown in ``language``: its English name in English mode when the glossary has one."""
    if text is None:
        return ""
    if language != "en":
        return text
    return english(text, kind) or text
