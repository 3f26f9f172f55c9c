"""A 无法判定 note on a web page speaks as a person would: the table's Chinese title, the 参考数据导入 page — not the
internal table name, a CLI command or a docs path. The CLI keeps its command hint (the API's ``hint`` field)."""

from __future__ import annotations

from types import SimpleNamespace

from dualcarbon.catalog.pages_detail import _entry_note
from dualcarbon.catalog.schemas_evidence import Evidence, EvidenceReference, EvidenceRow
from dualcarbon.catalog.service_evidence import IMPORT_HINT_ZH, undetermined_reason
from dualcarbon.reference.model import IMPORT_HINT


def _blank_policy_reason() -> object:
    evidence = Evidence(
        row=EvidenceRow(id="BM2023-086"),
        reference=EvidenceReference(benchmark=None, baseline=None, table="efficiency_benchmarks_2023"),
    )
    reason = undetermined_reason("undetermined", "BM2023-086", evidence)
    assert reason is not None
    return reason


def test_web_note_has_no_table_id_command_or_docs_path() -> None:
    reason = _blank_policy_reason()
    for language in ("zh", "en"):
        note = _entry_note(SimpleNamespace(language=language), SimpleNamespace(undetermined=reason, decision_note=None))  # type: ignore[arg-type]
        assert note is not None
        for internal in ("efficiency_benchmarks_2023", "dualcarbon reference", "docs/", "`"):
            assert internal not in note, (language, note)
    zh = _entry_note(SimpleNamespace(language="zh"), SimpleNamespace(undetermined=reason, decision_note=None))  # type: ignore[arg-type]
    assert zh is not None and zh.startswith("参考数据行 BM2023-086（2023年版标杆/基准水平表）的标杆水平、基准水平为空")
    assert "“参考数据导入”页面" in zh
    en = _entry_note(SimpleNamespace(language="en"), SimpleNamespace(undetermined=reason, decision_note=None))  # type: ignore[arg-type]
    assert en is not None and "Reference data import page" in en and "2023 edition benchmark/baseline table" in en


def test_the_cli_and_api_keep_the_command_hint() -> None:
    reason = _blank_policy_reason()
    assert reason.hint == f"{IMPORT_HINT_ZH} / {IMPORT_HINT}"  # type: ignore[attr-defined]
    assert reason.table == "efficiency_benchmarks_2023"  # type: ignore[attr-defined]
