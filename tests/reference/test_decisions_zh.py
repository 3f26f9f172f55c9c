"""Every decision (政策解释说明) of every shipped pack has its Chinese, and the Chinese is what a Chinese page shows."""

from __future__ import annotations

import re

import pytest

from dualcarbon.domain.decisions_zh import decision_line, decision_parts, with_zh
from dualcarbon.reference.policy import list_packs, load_pack
from dualcarbon.reference.policy_incentives import Decision

CJK = re.compile(r"[\u4e00-\u9fff]")


def _decisions(pack_id: str) -> list[tuple[str, Decision]]:
    pack = load_pack(pack_id)
    owners = [*pack.rules, *pack.warning_schemes]
    return [(owner.id, decision) for owner in owners for decision in owner.decisions]


@pytest.mark.parametrize("pack_id", list_packs())
def test_every_decision_has_its_chinese(pack_id: str) -> None:
    for owner, decision in _decisions(pack_id):
        for name in ("question", "decision", "reason"):
            chinese = getattr(decision, f"{name}_zh")
            assert chinese.strip(), f"{pack_id} {owner}: '{decision.question}' has no {name}_zh"
            # quoted clause words of the English (“…”) are kept exactly in the Chinese
            for quoted in re.findall(r"“([^”]+)”", getattr(decision, name)):
                assert quoted in chinese, f"{pack_id} {owner}: {name}_zh lost “{quoted}”"
        assert CJK.search(decision.question_zh + decision.reason_zh), (pack_id, owner, decision.question)


def test_the_shipped_decisions_are_all_counted() -> None:
    counts = {pack_id: len(_decisions(pack_id)) for pack_id in list_packs()}
    expected = {"longgang-2022": 12, "hangzhou-warning": 5, "completion-rate-warning": 3, "fujian-2025": 1}
    assert {k: v for k, v in counts.items() if v} == expected


def test_the_longgang_500_wan_decision_reads_in_chinese() -> None:
    retrofit = load_pack("longgang-2022").incentive("retrofit")
    first = retrofit.decisions[0].model_dump()
    assert first["decision"] == "22 %" and first["decision_zh"] == "22 %"
    line = decision_line(first, "zh")
    assert line.startswith(
        "恰为 500 万元时——适用 17 %（200万元至500万元）还是 22 %（500万元以上）？ → 22 %（附则 1 规定"
    )
    assert "exactly" not in line
    assert decision_line(first, "en").startswith("exactly 500 万元 — 17 %")  # English pages keep the English


def test_a_result_stored_without_chinese_takes_it_from_the_pack_and_never_invents_one() -> None:
    retrofit = load_pack("longgang-2022").incentive("retrofit")
    english_only = [{k: v for k, v in d.model_dump().items() if not k.endswith("_zh")} for d in retrofit.decisions] + [
        {"question": "not in the pack", "decision": "x", "reason": "y"}
    ]
    filled = with_zh(english_only, retrofit.decisions)
    assert [d["decision_zh"] for d in filled[:4]] == ["22 %", "17 %", "不符合条件", "（30 tce/a 或 4 %）且 20 %"]
    assert decision_parts(filled[4], "zh") == ("not in the pack", "x", "y")  # no Chinese known: the English
    assert "question_zh" not in english_only[0]  # the input is not changed
