"""English pages show project types and origins in English (acceptance walk: the library's type column showed
``motor_system`` and the project page 电机系统 / 诊断/审计措施 on English pages)."""

from __future__ import annotations

from typing import Any

from dualcarbon.core.vocab import PROJECT_ORIGIN_ZH, PROJECT_ORIGINS, PROJECT_TYPES
from dualcarbon.projects.pages import project_row
from dualcarbon.projects.schemas import ProjectOut
from dualcarbon.ui.web.i18n import has_key, translate


class _Ctx:
    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


def test_every_type_and_origin_has_a_label_in_both_languages() -> None:
    for language in ("zh", "en"):
        for code in PROJECT_TYPES:
            assert has_key(language, f"projects.type.{code}")
        for code in PROJECT_ORIGINS:
            assert has_key(language, f"projects.origin.{code}")
    assert all(translate("zh", f"projects.origin.{c}") == PROJECT_ORIGIN_ZH[c] for c in PROJECT_ORIGINS)


def test_the_library_row_names_the_type_in_the_page_language() -> None:
    item = ProjectOut.model_construct(
        id=1,
        enterprise_name="示范企业",
        name="电机系统变频调速改造",
        project_type="motor_system",
        project_type_zh="电机系统",
        state="verified",
        saving_tce_per_year=10.0,
        saving_tco2_per_year=40.5,
        verified_tce_per_year=9.0,
        deadline=None,
        demonstration=False,
    )
    assert project_row(_Ctx("en"), item)["type"] == "Motor system"  # type: ignore[arg-type]
    zh = project_row(_Ctx("zh"), item)  # type: ignore[arg-type]
    assert zh["type"] == "电机系统" and zh["tco2"] == 40.5
