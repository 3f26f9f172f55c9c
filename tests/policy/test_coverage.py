"""Seed coverage, checked not assumed: every numbered rule of the five seed documents points to a pack entry whose
number equals the seed's, with the clause quoted (docs/policy-coverage.yaml → docs/policy-coverage.md).

Regenerate the table of docs/policy-coverage.md after editing the YAML: ``python tests/policy/test_coverage.py``.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dualcarbon.reference.policy import PolicyPack, load_pack

ROOT = Path(__file__).resolve().parents[2]
COVERAGE = ROOT / "docs" / "policy-coverage.yaml"
DOC = ROOT / "docs" / "policy-coverage.md"
SEEDS = Path("/work/shared/seeds")
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _coverage() -> dict[str, Any]:
    return yaml.safe_load(COVERAGE.read_text(encoding="utf-8"))


ROWS: list[dict[str, Any]] = _coverage()["rows"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _seed_text(seed: str) -> str:
    found = sorted(SEEDS.glob(f"{seed}_*.txt"))
    if not found:
        pytest.skip(f"seed {seed} not available at {SEEDS}")
    return _squash(found[0].read_text(encoding="utf-8"))


def _entry(pack: PolicyPack, entry_id: str) -> dict[str, Any]:
    """The pack (its own id) or its obligation / target / schedule / parameter / money rule ``entry_id``, as JSON."""
    if entry_id == pack.id:
        return pack.model_dump(mode="json", by_alias=True)
    for group in (pack.obligations, pack.targets, pack.schedules, pack.parameters, pack.rules):
        for item in group:
            if item.id == entry_id:
                return item.model_dump(mode="json", by_alias=True)
    raise AssertionError(f"{pack.id} has no entry '{entry_id}'")


def _walk(node: Any, path: str) -> tuple[Any, list[str]]:
    """The value at ``path`` (``amount.tiers[0].rate``) and the source texts met on the way, outermost first."""
    sources: list[str] = []
    for name, index in _STEP.findall(path):
        if isinstance(node, dict) and isinstance(node.get("source"), dict):
            sources.append(node["source"].get("text", ""))
        if index:
            node = node[int(index)]
        else:
            assert isinstance(node, dict) and name in node, f"no '{name}' at {path}"
            node = node[name]
    if isinstance(node, dict) and isinstance(node.get("source"), dict):
        sources.append(node["source"].get("text", ""))
    return node, sources


def _row_id(row: dict[str, Any]) -> str:
    return f"{row['seed']}:{row.get('id') or row.get('status')}:{row.get('path', '')}:{row['number']}"


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_row_is_quoted_from_its_seed(row: dict[str, Any]) -> None:
    assert _squash(row["quote"]) in _seed_text(row["seed"]), f"quote not in seed {row['seed']}: {row['quote']}"
    assert str(row["number"]).replace(" ", "") and row["clause"]


@pytest.mark.parametrize("row", [r for r in ROWS if "id" in r], ids=_row_id)
def test_row_points_to_the_pack_value(row: dict[str, Any]) -> None:
    pack = load_pack(row["pack"])
    value, sources = _walk(_entry(pack, row["id"]), row["path"])
    number = row["number"]
    if isinstance(number, str):
        assert isinstance(value, str) and _squash(number) in _squash(value), f"{number!r} not in {value!r}"
    else:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{value!r} is not a number"
        assert math.isclose(float(value), float(number), rel_tol=1e-12, abs_tol=1e-12), f"{value} ≠ {number}"
    if "quote_in" in row:
        _, sources = _walk(_entry(pack, row["quote_in"]), "id")
    if sources:  # the clause: the deepest source on the path quotes the seed's words
        assert _squash(row["quote"]) in _squash(sources[-1]), f"quote not in the source of {row['id']}"


@pytest.mark.parametrize("row", [r for r in ROWS if r.get("status") == "omitted"], ids=_row_id)
def test_omitted_rows_are_listed_in_the_pack(row: dict[str, Any]) -> None:
    packs = {"000": "longgang-2022", "001": "putian-2024", "002": "liaocheng-2023"}
    packs |= {"003": "shanghai-baiyi-2022", "004": "yunnan-2022"}
    omitted = load_pack(packs[row["seed"]]).omitted
    assert any(row["omitted"] in line for line in omitted), f"'{row['omitted']}' not in the pack's omitted list"
    assert row["reason"]


def test_every_row_is_placed() -> None:
    statuses = {row.get("status", "encoded") for row in ROWS}
    assert statuses <= {"encoded", "omitted", "not_a_rule"}
    assert all(("id" in row) == (row.get("status", "encoded") == "encoded") for row in ROWS)
    # every rule of the eight 政策引导 items and every shipped parameter of the five packs is in the table
    mapped = {(row["pack"], row["id"]) for row in ROWS if "id" in row}
    for name in ("longgang-2022", "shanghai-baiyi-2022", "yunnan-2022", "putian-2024", "liaocheng-2023"):
        pack = load_pack(name)
        numeric_obligations = [
            o for o in pack.obligations if any(c.min is not None or c.max is not None for c in o.when)
        ]
        numeric_parameters = [p for p in pack.parameters if not isinstance(p.value, str)]
        for group in (numeric_obligations, pack.targets, pack.schedules, numeric_parameters, pack.rules):
            for item in group:
                assert (name, item.id) in mapped, f"{item.id} of {name} is in no row of policy-coverage.yaml"


def render_table() -> str:
    seeds = _coverage()["seeds"]
    lines = ["| seed | clause | 原文（摘） | number | where (pack · entry · path) |", "|---|---|---|---|---|"]
    for row in sorted(ROWS, key=lambda r: r["seed"]):
        number = f"{row['number']}" + (f" {row['unit']}" if row.get("unit") else "")
        if "id" in row:
            where = f"`{row['pack']}` · `{row['id']}` · `{row['path']}`" + (" (added)" if row.get("added") else "")
        elif row["status"] == "omitted":
            where = f"omitted — {row['reason']}"
        else:
            where = f"not a rule — {row['reason']}"
        quote = row["quote"].replace("|", "｜")
        lines.append(f"| {row['seed']} {seeds[row['seed']][:6]} | {row['clause']} | {quote} | {number} | {where} |")
    return "\n".join(lines)


def test_doc_table_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split(START)[1].split(END)[0].strip()
    assert table == render_table(), "regenerate: python tests/policy/test_coverage.py"


if __name__ == "__main__":
    doc = DOC.read_text(encoding="utf-8")
    head, rest = doc.split(START)
    DOC.write_text(f"{head}{START}\n{render_table()}\n{END}{rest.split(END)[1]}", encoding="utf-8")
    sys.exit(0)
