"""#7 §5: the overdue list on the dashboard says a period in the page's language — the service's Chinese
label (2025年) stays on Chinese pages, English pages build it from the period's parts."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from dualcarbon.app.pages_dashboard import overdue_period
from dualcarbon.ui.web.i18n import translate

HAN = re.compile(r"[\u3400-\u9fff]")


def _ctx(language: str) -> SimpleNamespace:
    return SimpleNamespace(language=language, t=lambda key, **kw: translate(language, key, **kw))


@pytest.mark.parametrize(
    ("kind", "period", "label"), [("year", 0, "2025年"), ("quarter", 2, "2025年第2季度"), ("month", 3, "2025年3月")]
)
def test_overdue_period_in_the_page_language(kind: str, period: int, label: str) -> None:
    item = SimpleNamespace(period_kind=kind, year=2025, period=period, period_label=label)
    assert overdue_period(_ctx("zh"), item) == label  # type: ignore[arg-type]
    english = overdue_period(_ctx("en"), item)  # type: ignore[arg-type]
    assert "2025" in english and not HAN.search(english), english
