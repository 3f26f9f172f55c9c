"""#7 §5: the cost card of the enterprise monitoring page names the price table by its Chinese title on a
Chinese page, not by the table's name (``electricity_tariffs_tou``); English pages keep the API's reason."""

from __future__ import annotations

from types import SimpleNamespace

from dualcarbon.monitoring.pages_enterprise import _cost_reason
from dualcarbon.monitoring.service_cost import cost_reason_zh
from dualcarbon.ui.web.i18n import translate


def _ctx(language: str) -> SimpleNamespace:
    return SimpleNamespace(language=language, t=lambda key, **kw: translate(language, key, **kw))


def test_the_chinese_cost_reason_says_the_table_title() -> None:
    reason = "no tariff for coke in 339904 in 2026"
    cost = SimpleNamespace(reason=reason, reason_zh=cost_reason_zh(reason, "焦炭", "北山区339904", 2026))
    chinese = _cost_reason(_ctx("zh"), cost)  # type: ignore[arg-type]
    title = translate("zh", "glossary.table.electricity_tariffs_tou")
    assert "electricity_tariffs_tou" not in chinese and chinese.count(title) == 1, chinese
    assert _cost_reason(_ctx("en"), cost) == reason  # type: ignore[arg-type]
