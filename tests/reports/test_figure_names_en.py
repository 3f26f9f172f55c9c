"""#7 §5: figure names the report service composes in Chinese (``硅铁单位产品综合能耗``,
``电力消费折标准煤（当量值）``) are kept as stored and named in English mode from their parts — the product or
carrier by its glossary row, the rest by an i18n pattern; Chinese mode shows them as stored."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from dualcarbon.reports.pages_view import figure_label
from dualcarbon.ui.web.i18n import translate

HAN = re.compile(r"[\u4e00-\u9fff]")


def _ctx(language: str) -> SimpleNamespace:
    return SimpleNamespace(language=language, t=lambda key, **kw: translate(language, key, **kw))


@pytest.mark.parametrize(
    ("stored", "english"),
    [
        ("硅铁单位产品综合能耗", "ferrosilicon comprehensive energy per unit"),
        ("水泥熟料单位产品综合能耗", "cement clinker comprehensive energy per unit"),
        ("电力消费折标准煤（当量值）", "electricity consumed, in tce (equivalent)"),
        ("热力外供折标准煤（当量值）", "heat supplied to others, in tce (equivalent)"),
    ],
)
def test_composed_figure_names(stored: str, english: str) -> None:
    row = SimpleNamespace(key="outputs[0].unit_consumption", label=stored)
    shown = figure_label(_ctx("en"), row)  # type: ignore[arg-type]
    assert not HAN.search(shown), shown
    assert shown.lower() == english.lower()
    assert figure_label(_ctx("zh"), row) == stored  # type: ignore[arg-type]


def test_a_product_the_glossary_does_not_know_is_shown_as_written() -> None:
    row = SimpleNamespace(key="outputs[0].unit_consumption", label="某新产品单位产品综合能耗")
    assert "某新产品" in figure_label(_ctx("en"), row)  # type: ignore[arg-type]


def test_named_figures_keep_their_i18n_key() -> None:
    row = SimpleNamespace(key="total_tco2", label="二氧化碳排放量")
    assert figure_label(_ctx("en"), row) == translate("en", "figure.total_tco2")  # type: ignore[arg-type]
