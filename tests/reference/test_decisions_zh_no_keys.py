"""#7 §5: a pack's Chinese decision text (shown on Chinese pages) names facts by their titles, never by their
ids (``connected_to_platform``), and says 是/否 rather than ``true``/``false``."""

from __future__ import annotations

import re

import pytest

from dualcarbon.reference.policy import list_packs, load_pack

RAW_WORD = re.compile(r"\b(?:true|false|[a-z]+(?:_[a-z0-9]+)+)\b")


@pytest.mark.parametrize("pack_id", list_packs())
def test_chinese_decision_text_has_no_raw_keys(pack_id: str) -> None:
    pack = load_pack(pack_id)
    for owner in [*pack.rules, *pack.warning_schemes]:
        for decision in owner.decisions:
            for name in ("question_zh", "decision_zh", "reason_zh"):
                text = getattr(decision, name)
                assert not RAW_WORD.search(text), f"{pack_id} {owner.id} {name}: {text}"
