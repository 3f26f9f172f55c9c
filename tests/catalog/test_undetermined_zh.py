"""无法判定 reasons in Chinese: each kind of classification error has a Chinese sentence (its English text kept after
" / ", as the API's ``reason_zh`` convention is "中文 / English"), and the review page's 说明 column shows the half
of the page's language. The entry's ``message`` (the English error, a documented field) is unchanged.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dualcarbon.catalog.pages_detail import _entry_note
from dualcarbon.catalog.schemas_evidence import Evidence
from dualcarbon.catalog.service_evidence import CHECK_HINT_ZH, IMPORT_HINT_ZH, undetermined_reason
from dualcarbon.reference.model import IMPORT_HINT

UNIT_ERROR = "unit 'kgce/t' of the report line cannot be compared with 'kWh/t' of row BM2023-061"


@pytest.mark.parametrize(
    ("kind", "zh"),
    [
        ("UnitMismatch", "无法判定：单位产品能耗的单位与对标行的单位不一致，无法换算"),
        ("UnknownReferenceRow", "无法判定：找不到对应的参考数据行"),
        ("AmbiguousProduct", "无法判定：产品名称对应多个参考数据行，无法确定对标行"),
        ("SomethingNew", "无法判定：无法按参考表分类"),
    ],
)
def test_each_error_kind_has_a_chinese_reason(kind: str, zh: str) -> None:
    reason = undetermined_reason("undetermined", "BM2023-061", Evidence(error=UNIT_ERROR, error_kind=kind))
    assert reason is not None
    assert reason.reason_zh == f"{zh} / {UNIT_ERROR}"
    assert reason.message == UNIT_ERROR  # the API's English field stays as it was
    assert reason.hint == CHECK_HINT_ZH


def test_a_missing_coefficient_names_the_import_in_chinese_first() -> None:
    error = "no coefficient for 焦炭: import the official table"
    reason = undetermined_reason("undetermined", "CC-001", Evidence(error=error, error_kind="MissingCoefficient"))
    assert reason is not None
    assert reason.reason_zh.startswith("无法判定：参考数据缺少所需的数值 / ")
    assert reason.hint == f"{IMPORT_HINT_ZH} / {IMPORT_HINT}"


def test_the_review_page_note_is_in_the_pages_language() -> None:
    reason = undetermined_reason("undetermined", "BM2023-061", Evidence(error=UNIT_ERROR, error_kind="UnitMismatch"))
    entry = SimpleNamespace(undetermined=reason, decision_note=None)
    zh = _entry_note(SimpleNamespace(language="zh"), entry)  # type: ignore[arg-type]
    en = _entry_note(SimpleNamespace(language="en"), entry)  # type: ignore[arg-type]
    assert zh == "无法判定：单位产品能耗的单位与对标行的单位不一致，无法换算。" + CHECK_HINT_ZH.split(" / ")[0]
    assert CHECK_HINT_ZH.split(" / ")[0] == "核对该年报产品行的单位产品能耗、单位和对标行后重新生成目录"
    assert (
        en
        == f"{UNIT_ERROR}. "
        + "check the report line's unit consumption, unit and benchmark row, then generate "
        + ("the catalog again")
    )
    assert undetermined_reason("grade_1", "BM2023-061", Evidence()) is None
