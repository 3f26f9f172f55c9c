"""The verification section names which period a metered warning is about (acceptance walk #9 row 29: the
baseline and reporting ``metered_period_partial`` sentences read identically), and shows a not-valid
verification's reasons with the 未通过验证 heading keys present in both languages."""

from __future__ import annotations

from typing import Any

from dualcarbon.projects.pages import mv_warning_text
from dualcarbon.ui.web.i18n import has_key, translate


class _Ctx:
    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


def partial(period: str) -> dict[str, Any]:
    return {
        "code": "metered_period_partial",
        "message": f"3 {period} period(s) left out",
        "data": {"period": period, "count": 3, "periods": [], "limit_pct": 90.0, "row_id": "MV-012"},
    }


def test_the_two_metered_sentences_name_their_period() -> None:
    zh_base, _ = mv_warning_text(_Ctx("zh"), partial("baseline"))  # type: ignore[arg-type]
    zh_report, _ = mv_warning_text(_Ctx("zh"), partial("reporting"))  # type: ignore[arg-type]
    assert zh_base != zh_report
    assert zh_base.startswith("基期：3 个周期未计入") and zh_report.startswith("报告期：3 个周期未计入")
    en_base, _ = mv_warning_text(_Ctx("en"), partial("baseline"))  # type: ignore[arg-type]
    en_report, _ = mv_warning_text(_Ctx("en"), partial("reporting"))  # type: ignore[arg-type]
    assert en_base.startswith("Baseline: 3 period(s) left out")
    assert en_report.startswith("Reporting period: 3 period(s) left out")


def test_a_stored_warning_without_its_period_still_reads() -> None:
    old = partial("baseline")
    del old["data"]["period"]
    text, _ = mv_warning_text(_Ctx("zh"), old)  # type: ignore[arg-type]
    assert text.startswith("3 个周期未计入")


def test_the_not_valid_texts_exist_in_both_languages() -> None:
    for language in ("zh", "en"):
        for key in (
            "projects.mv.not_valid",
            "projects.mv.computed_tce",
            "projects.mv.warning.reporting_overlaps_baseline",
        ):
            assert has_key(language, key), (language, key)
    assert translate("zh", "projects.mv.not_valid").startswith("未通过验证")
    assert translate("en", "projects.mv.not_valid").startswith("Model not valid")
