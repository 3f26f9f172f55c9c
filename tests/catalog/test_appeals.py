"""Appeals (申辩 → expert review → decision) and the corrected re-issue they lead to."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.catalog.service_appeals import (
    assign_expert,
    decide_appeal,
    file_appeal,
    get_appeal,
    list_appeals,
    record_opinion,
)
from dualcarbon.catalog.service_diff import diff_catalogs
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_verify import verify_snapshot
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _catalog(yunnan: World, publish: bool = True) -> int:
    with session_scope(yunnan.engine) as session:
        catalog_id = generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference
        ).catalog.id
        if publish:
            publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    return catalog_id


def _entry(yunnan: World, catalog_id: int, key: str) -> int:
    with session_scope(yunnan.engine) as session:
        return session.scalars(
            select(CatalogEntry.id).where(
                CatalogEntry.catalog_id == catalog_id, CatalogEntry.enterprise_id == yunnan.enterprise_ids[key]
            )
        ).one()


def _filed(yunnan: World, catalog_id: int, evidence: dict[str, object] | None = None) -> int:
    entry_id = _entry(yunnan, catalog_id, "D")
    with session_scope(yunnan.engine) as session:
        appeal = file_appeal(
            session,
            yunnan["ent_d"],
            catalog_id,
            entry_id,
            "熟料产量统计漏计外购熟料，单位产品能耗应为 116 kgce/t",
            evidence if evidence is not None else {"corrected_value": 116, "documents": ["2024年熟料产量台账.pdf"]},
        )
        return appeal.id


def _reviewed(yunnan: World, catalog_id: int) -> int:
    appeal_id = _filed(yunnan, catalog_id)
    with session_scope(yunnan.engine) as session:
        assign_expert(session, yunnan["city"], appeal_id, "expert")
        record_opinion(session, yunnan["expert"], appeal_id, "台账属实，建议按 116 kgce/t 更正")
    return appeal_id


def test_upheld_appeal_leads_to_a_corrected_reissue(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    appeal_id = _reviewed(yunnan, catalog_id)
    with session_scope(yunnan.engine) as session:
        appeal = decide_appeal(
            session, yunnan["city"], appeal_id, "upheld", "申辩成立，按台账更正", reference=yunnan.reference
        )
        corrected_id = appeal.corrected_catalog_id
    assert corrected_id is not None and corrected_id != catalog_id
    old_entry, new_entry = _entry(yunnan, catalog_id, "D"), _entry(yunnan, corrected_id, "D")
    with session_scope(yunnan.engine) as session:
        old, new = session.get(Catalog, catalog_id), session.get(Catalog, corrected_id)
        assert old is not None and new is not None
        assert old.state == "superseded"
        assert (new.state, new.supersedes_id, new.issue_no) == ("published", catalog_id, old.issue_no + 1)
        assert new.snapshot_hash and new.snapshot_hash != old.snapshot_hash
        # The old issue is untouched: D still fails the limit there.
        old_d = session.get(CatalogEntry, old_entry)
        assert old_d is not None and (old_d.value, old_d.tier) == (118.0, "fails_limit")
        # In the re-issue: 116 kgce/t, 107 < 116 ≤ 117 → grade_3; saving to 1级 (100): 16 × 500,000 t = 8,000 tce.
        new_d = session.get(CatalogEntry, new_entry)
        assert new_d is not None and (new_d.value, new_d.tier) == (116.0, "grade_3")
        assert new_d.saving_to_benchmark_tce == pytest.approx(8000.0)
        assert new_d.evidence["input"]["source"] == "appeal"
        assert new_d.evidence["appeal"]["id"] == appeal_id
        assert new_d.evidence["appeal"]["original"]["tier"] == "fails_limit"
        diff = diff_catalogs(session, yunnan["city"], corrected_id)
        verified = verify_snapshot(session, yunnan["city"], corrected_id, reference=yunnan.reference)
        view = get_appeal(session, yunnan["ent_d"], appeal_id)
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    # The diff against the superseded issue shows exactly the corrected entry.
    assert diff.against_id == catalog_id
    assert diff.added == [] and diff.removed == [] and diff.unchanged == 4
    [changed] = diff.changed
    assert changed.credit_code == yunnan.code("D")
    assert (changed.before.tier, changed.after.tier) == ("fails_limit", "grade_3")
    assert verified.matches, verified
    assert view.state == "upheld" and view.corrected_catalog_id == corrected_id
    assert view.expert == "expert" and view.decision == "申辩成立，按台账更正"
    tail = [a for a in actions if a.startswith(("appeal.", "catalog.reissue", "catalog.supersede"))]
    assert tail == [
        "appeal.file",
        "appeal.assign",
        "appeal.opinion",
        "catalog.supersede",
        "catalog.reissue",
        "appeal.decide",
    ]


def test_rejected_appeal_changes_no_catalog(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    appeal_id = _reviewed(yunnan, catalog_id)
    with session_scope(yunnan.engine) as session:
        decide_appeal(session, yunnan["city"], appeal_id, "rejected", "证据不足", reference=yunnan.reference)
    with session_scope(yunnan.engine) as session:
        assert session.scalar(select(Catalog.state).where(Catalog.id == catalog_id)) == "published"
        assert len(list(session.scalars(select(Catalog.id)))) == 1
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None and (appeal.state, appeal.corrected_catalog_id) == ("rejected", None)
        with pytest.raises(Conflict):  # decided once
            decide_appeal(session, yunnan["city"], appeal_id, "upheld", "再议", 110, reference=yunnan.reference)


def test_only_the_enterprise_appeals_its_own_entry(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    entry_d = _entry(yunnan, catalog_id, "D")
    with session_scope(yunnan.engine) as session:
        with pytest.raises(NotFound):  # A's user cannot see D's entry
            file_appeal(session, yunnan["ent_a"], catalog_id, entry_d, "不服")
        with pytest.raises(NotFound):  # Q (曲靖) has no entry in 昆明's catalog at all
            file_appeal(session, yunnan["ent_q"], catalog_id, entry_d, "不服")
        with pytest.raises(PermissionDenied):  # a regulator sees it but does not appeal for the enterprise
            file_appeal(session, yunnan["city"], catalog_id, entry_d, "不服")
        with pytest.raises(NotFound):  # the entry does not belong to that catalog
            file_appeal(session, yunnan["ent_d"], catalog_id + 999, entry_d, "不服")
        with pytest.raises(InvalidInput) as caught:
            file_appeal(session, yunnan["ent_d"], catalog_id, entry_d, "   ")
        assert caught.value.field == "reason"
        with pytest.raises(InvalidInput) as caught:
            file_appeal(session, yunnan["ent_d"], catalog_id, entry_d, "不服", {"corrected_value": "低一些"})
        assert caught.value.field == "evidence.corrected_value"


def test_no_appeal_against_a_draft_or_superseded_issue(yunnan: World) -> None:
    draft_id = _catalog(yunnan, publish=False)
    draft_entry = _entry(yunnan, draft_id, "D")
    with session_scope(yunnan.engine) as session, pytest.raises(NotFound):
        file_appeal(session, yunnan["ent_d"], draft_id, draft_entry, "不服")
    with session_scope(yunnan.engine) as session:
        publish_catalog(session, yunnan["city"], draft_id, reference=yunnan.reference)
    second = _catalog(yunnan)  # a new issue supersedes the first
    with session_scope(yunnan.engine) as session, pytest.raises(Conflict):
        file_appeal(session, yunnan["ent_d"], draft_id, draft_entry, "不服")
    _filed(yunnan, second)
    second_entry = _entry(yunnan, second, "D")
    with session_scope(yunnan.engine) as session, pytest.raises(Conflict):  # one open appeal per entry
        file_appeal(session, yunnan["ent_d"], second, second_entry, "再次申辩")


def test_transitions_in_order_and_by_the_right_people(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    appeal_id = _filed(yunnan, catalog_id)
    with session_scope(yunnan.engine) as session:
        with pytest.raises(PermissionDenied):  # the expert is not yet assigned
            record_opinion(session, yunnan["expert"], appeal_id, "意见")
        with pytest.raises(Conflict):  # no decision before the expert review
            decide_appeal(session, yunnan["city"], appeal_id, "rejected", "驳回", reference=yunnan.reference)
        with pytest.raises(PermissionDenied):  # the enterprise cannot assign
            assign_expert(session, yunnan["ent_d"], appeal_id, "expert")
        with pytest.raises(NotFound):  # 五华's regulator does not see 盘龙's enterprise
            assign_expert(session, yunnan["wuhua"], appeal_id, "expert")
        with pytest.raises(InvalidInput) as caught:  # not a reviewer
            assign_expert(session, yunnan["city"], appeal_id, "panlong")
        assert caught.value.field == "expert"
        with pytest.raises(InvalidInput):  # a reviewer of 曲靖 does not cover 昆明
            assign_expert(session, yunnan["city"], appeal_id, "expert_qj")
        assign_expert(session, yunnan["city"], appeal_id, "expert")
        with pytest.raises(Conflict):  # assigned once
            assign_expert(session, yunnan["city"], appeal_id, "expert")
        with pytest.raises(PermissionDenied):  # only the assigned expert writes the opinion
            record_opinion(session, yunnan["city"], appeal_id, "意见")
        with pytest.raises(Conflict):  # still no opinion
            decide_appeal(session, yunnan["city"], appeal_id, "rejected", "驳回", reference=yunnan.reference)
        record_opinion(session, yunnan["expert"], appeal_id, "意见")
        with pytest.raises(PermissionDenied):  # the expert does not decide
            decide_appeal(session, yunnan["expert"], appeal_id, "rejected", "驳回", reference=yunnan.reference)
        with pytest.raises(InvalidInput) as caught:
            decide_appeal(session, yunnan["city"], appeal_id, "maybe", "?", reference=yunnan.reference)
        assert caught.value.field == "decision"


def test_upheld_needs_a_corrected_value(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    entry_d = _entry(yunnan, catalog_id, "D")
    with session_scope(yunnan.engine) as session:
        appeal_id = file_appeal(session, yunnan["ent_d"], catalog_id, entry_d, "数据有误", {}).id
        assign_expert(session, yunnan["city"], appeal_id, "expert")
        record_opinion(session, yunnan["expert"], appeal_id, "应更正")
        with pytest.raises(InvalidInput) as caught:
            decide_appeal(session, yunnan["city"], appeal_id, "upheld", "成立", reference=yunnan.reference)
        assert caught.value.field == "corrected_value"
        # The decision may carry the value: 100 kgce/t meets 1级 (≤ 100).
        appeal = decide_appeal(session, yunnan["city"], appeal_id, "upheld", "成立", 100, reference=yunnan.reference)
        corrected = appeal.corrected_catalog_id
        tier = session.scalar(
            select(CatalogEntry.tier).where(
                CatalogEntry.catalog_id == corrected, CatalogEntry.enterprise_id == yunnan.enterprise_ids["D"]
            )
        )
    assert tier == "grade_1"


def test_second_upheld_appeal_corrects_the_issue_in_force(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    entry_a = _entry(yunnan, catalog_id, "A")
    first = _reviewed(yunnan, catalog_id)  # D's appeal
    with session_scope(yunnan.engine) as session:
        second = file_appeal(session, yunnan["ent_a"], catalog_id, entry_a, "产量少报", {"corrected_value": 101}).id
        assign_expert(session, yunnan["city"], second, "expert")
        record_opinion(session, yunnan["expert"], second, "属实")
        issue_2 = decide_appeal(session, yunnan["city"], first, "upheld", "成立", reference=yunnan.reference)
        issue_3 = decide_appeal(session, yunnan["city"], second, "upheld", "成立", reference=yunnan.reference)
        latest = session.get(Catalog, issue_3.corrected_catalog_id)
        assert latest is not None and latest.supersedes_id == issue_2.corrected_catalog_id
        tiers = dict(
            (
                key,
                session.scalar(
                    select(CatalogEntry.tier).where(
                        CatalogEntry.catalog_id == latest.id, CatalogEntry.enterprise_id == yunnan.enterprise_ids[key]
                    )
                ),
            )
            for key in ("A", "D")
        )
    # Both corrections hold in issue 3: A 101 → grade_2 (100 < 101 ≤ 107), D 116 → grade_3.
    assert tiers == {"A": "grade_2", "D": "grade_3"}
    assert latest.issue_no == 3


def test_who_sees_which_appeals(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    appeal_id = _filed(yunnan, catalog_id)
    with session_scope(yunnan.engine) as session:
        for username, visible in (
            ("ent_d", 1),
            ("ent_a", 0),
            ("city", 1),
            ("panlong", 1),
            ("wuhua", 0),
            ("qujing", 0),
            ("expert", 1),
        ):
            _items, total = list_appeals(session, yunnan[username])
            assert total == visible, username
        with pytest.raises(NotFound):
            get_appeal(session, yunnan["ent_a"], appeal_id)
        [item], _ = list_appeals(session, yunnan["ent_d"], state="filed")
        assert item.state_zh == "已提交申辩" and item.evidence.documents == ["2024年熟料产量台账.pdf"]
