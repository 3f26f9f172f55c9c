"""English names of the data labels people see (sectors, key fields, products, indicators, units, carriers,
policy schemes and their rules, warning and award levels, declared facts).

One table, ``reference/data/glossary_en.csv`` (columns ``zh,en,kind,source``), read once per process. The
pages show these names in English mode (through ``ui/web/formatting.data_label``); Chinese mode shows the data
as written. ``source`` says where an English name comes from — the carriers' ``name_en`` column, the NBS
yearbook names of the GB/T 4754 divisions, or our own translation where the official text has no English (the
benchmark tables' products and indicators, the policy packs' titles): a reader's aid, never a legal name.
A label the glossary does not know is shown as written, so a new product is never hidden;
``tests/reference/test_glossary_coverage.py`` fails when a shipped table or pack has a label without a row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

#: ``scheme``: a policy pack's, rule's, obligation's, target's or warning scheme's title; ``level``: a warning
#: level's or award band's label; ``fact``: a declared fact's title (the subsidy form and trace); ``choice``: one
#: of the values a text fact allows (并网模式: 全额上网 …).
KINDS = ("sector", "field", "product", "indicator", "unit", "carrier", "scheme", "level", "fact", "choice")


_CHINESE = re.compile(r"[\u3400-\u9fff]")


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


@lru_cache(maxsize=1)
def _unit_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    units = {entry.zh: entry.en for entry in glossary() if entry.kind == "unit"}
    return re.compile("|".join(re.escape(zh) for zh in sorted(units, key=len, reverse=True))), units


def _compound_unit(text: str) -> str | None:
    """``kgce/万元`` → ``kgce/10⁴ yuan``: each Chinese unit inside a compound unit by its row (longest first);
    None when a Chinese character is left over (a unit the glossary does not know)."""
    pattern, units = _unit_pattern()
    translated = pattern.sub(lambda match: units[match.group(0)], text)
    return None if _CHINESE.search(translated) else translated


def english(text: str | None, kind: str = "") -> str | None:
    """The English name of a Chinese data label (of ``kind`` when given, else of any kind); None if unknown.
    A compound unit (kind ``unit``) without a row of its own is read part by part."""
    if not text:
        return None
    index = _index()
    found = index.get((kind, text)) or index.get(("", text))
    if found is None and kind == "unit" and _CHINESE.search(text):
        return _compound_unit(text)
    return found


def in_language(text: str | None, language: str, kind: str = "") -> str:
    """``text`` as shown in ``language``: its English name in English mode when the glossary has one."""
    if text is None:
        return ""
    if language != "en":
        return text
    return english(text, kind) or text
