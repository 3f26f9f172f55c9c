"""#7 §5 on the audit pages: in English mode a goal's title and unit and the pack's title come from the
glossary, and a checklist item or note stored as one of the known items' text (in any language) is shown in
the page's language; Chinese mode shows them as stored."""

from __future__ import annotations

import re
from types import SimpleNamespace

from dualcarbon.audits.pages import KNOWN_CHECKS, KNOWN_NOTES, _known
from dualcarbon.audits.pages_obligations import goal_line
from dualcarbon.audits.schemas import GoalProgress
from dualcarbon.ui.web.i18n import translate

HAN = re.compile(r"[\u3400-\u9fff]")


def _ctx(language: str) -> SimpleNamespace:
    return SimpleNamespace(language=language, t=lambda key, **kw: translate(language, key, **kw))


def test_goal_line_in_english_has_no_chinese() -> None:
    goal = GoalProgress(
        pack="longgang-2022",
        target_id="t1",
        title_zh="每年完成“一对一”入户诊断咨询 40 家",
        year=2025,
        target=40,
        unit="家",
        accepted=3,
        share_pct=7.5,
        met=False,
    )
    english = goal_line(_ctx("en"), goal)  # type: ignore[arg-type]
    assert not HAN.search(english), english
    assert "每年完成“一对一”入户诊断咨询 40 家" in goal_line(_ctx("zh"), goal)  # type: ignore[arg-type]


def test_checklist_items_and_notes_in_the_page_language() -> None:
    for stored in ("能源计量与统计数据核实", "节能措施技术可行性", "节能量测算方法", "投资估算与回收期"):
        english = _known(_ctx("en"), stored, KNOWN_CHECKS)  # type: ignore[arg-type]
        assert english and not HAN.search(english), english
        assert _known(_ctx("zh"), stored, KNOWN_CHECKS) == stored  # type: ignore[arg-type]
    written_in_english = translate("en", "audits.check.balance")
    assert _known(_ctx("zh"), written_in_english, KNOWN_CHECKS) == translate("zh", "audits.check.balance")  # type: ignore[arg-type]
    assert _known(_ctx("en"), "符合要求", KNOWN_NOTES) == "Conforms"  # type: ignore[arg-type]
    assert _known(_ctx("en"), "自由填写的备注", KNOWN_NOTES) == "自由填写的备注"  # type: ignore[arg-type]
