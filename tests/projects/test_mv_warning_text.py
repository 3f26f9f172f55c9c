"""The project page shows the stored M&V warnings as sentences, not as Python dicts (acceptance walk:
``{'code': 'criterion_missing', …}`` was printed raw in the label column)."""

from __future__ import annotations

from typing import Any

from dualcarbon.projects.pages import mv_warning_text
from dualcarbon.ui.web.i18n import translate


class _Ctx:
    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


MISSING = {
    "code": "criterion_missing",
    "message": "no cvrmse_max_pct for daily data in mv_criteria (no checked source gives one); not checked",
    "data": {"criterion": "cvrmse_max_pct", "interval": "day", "row_id": "MV-009"},
}
ABOVE = {
    "code": "cvrmse_above_threshold",
    "message": "cvrmse = 27.31 is above the limit 25",
    "data": {"value": 27.3149, "limit": 25.0, "row_id": "MV-001"},
}


def test_a_known_warning_becomes_a_chinese_sentence_with_its_row() -> None:
    text, detail = mv_warning_text(_Ctx("zh"), MISSING)  # type: ignore[arg-type]
    assert text == "未检查 CV(RMSE) 上限：参考表对该数据间隔没有限值（尚无已核实的来源）（参考行 MV-009）"
    assert detail == MISSING["message"]
    text, _ = mv_warning_text(_Ctx("zh"), ABOVE)  # type: ignore[arg-type]
    assert text == "CV(RMSE) 27.31% 高于限值 25%（参考行 MV-001）"
    text, _ = mv_warning_text(_Ctx("en"), ABOVE)  # type: ignore[arg-type]
    assert text == "CV(RMSE) 27.31 % is above the limit 25 % (reference row MV-001)"


def test_an_unknown_code_or_missing_figure_falls_back_to_the_message() -> None:
    unknown = {"code": "something_new", "message": "a new check", "data": {}}
    assert mv_warning_text(_Ctx("zh"), unknown)[0] == "核定提示：a new check"  # type: ignore[arg-type]
    no_figures = {"code": "cvrmse_above_threshold", "message": "cvrmse high", "data": {}}
    assert mv_warning_text(_Ctx("zh"), no_figures)[0] == "核定提示：cvrmse high"  # type: ignore[arg-type]
    assert "{'code'" not in mv_warning_text(_Ctx("zh"), MISSING)[0]  # type: ignore[arg-type]


def test_the_metered_warning_counts_the_periods_left_out() -> None:
    warning = {
        "code": "metered_period_incomplete",
        "message": "2 baseline period(s) left out: a meter has no tce for them",
        "data": {"count": 2, "periods": ["2026-11-05", "2026-11-06"]},
    }
    assert mv_warning_text(_Ctx("zh"), warning)[0] == "2 个周期未计入：有计量器具缺少该周期的折标量"  # type: ignore[arg-type]


def test_metered_periods_left_out_for_incompleteness_read_as_a_sentence() -> None:
    partial = {
        "code": "metered_period_partial",
        "message": "2 reporting period(s) left out: …",
        "data": {"count": 2, "periods": ["2024-05-04", "2024-05-11"], "limit_pct": 90.0, "row_id": "MV-012"},
    }
    text, _ = mv_warning_text(_Ctx("zh"), partial)  # type: ignore[arg-type]
    assert text.startswith("2 个周期未计入：有计量器具在该周期的数据不完整（完整率低于 90%")
    assert text.endswith("（参考行 MV-012）")
