"""The catalog never silently undoes a decision (issue 7 §1).

* an upheld appeal carries into later generations while the inputs it judged are unchanged, and is shown
  as "decision needs review" (never reverted quietly) when they changed;
* one catalog in force per region × half-year × basis, issue numbers counted per basis;
* generating an empty catalog, or publishing one with 无法判定 entries, needs a confirmation naming the count,
  and every 无法判定 entry says which reference row is blank and how to import it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.service import EntryFilter, list_entries
from dualcarbon.catalog.service_appeals import assign_expert, decide_appeal, file_appeal, record_opinion
from dualcarbon.catalog.service_diff import diff_catalogs
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_public import list_public_catalogs
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_review import review_catalog
from dualcarbon.catalog.service_verify import verify_snapshot
from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import Conflict
from dualcarbon.reports.service_workflow import approve, reopen, submit, update_draft
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import CLINKER, World, report_content, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _generate(yunnan: World, basis: str = "gb", edition: str = "2023", half: str = "2025-H1", **kw: object) -> int:
    with session_scope(yunnan.engine) as session:
        return generate_catalog(
            session,
            yunnan["city"],
            "530100",
            edition,
            half,
            basis,
            reference=yunnan.reference,
            **kw,  # type: ignore[arg-type]
        ).catalog.id


def _publish(yunnan: World, catalog_id: int, **kw: object) -> Catalog:
    with session_scope(yunnan.engine) as session:
        catalog = publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference, **kw)  # type: ignore[arg-type]
        session.expunge(catalog)
        return catalog


def _entry(yunnan: World, catalog_id: int, key: str) -> CatalogEntry:
    with session_scope(yunnan.engine) as session:
        entry = session.scalars(
            select(CatalogEntry).where(
                CatalogEntry.catalog_id == catalog_id, CatalogEntry.enterprise_id == yunnan.enterprise_ids[key]
            )
        ).one()
        session.expunge(entry)
        return entry


def _uphold_d(yunnan: World, catalog_id: int, corrected: float = 116) -> int:
    """D (118 kgce/t, fails the 3级 limit 117) appeals; the expert agrees; upheld → corrected re-issue."""
    entry_id = _entry(yunnan, catalog_id, "D").id
    with session_scope(yunnan.engine) as session:
        appeal = file_appeal(
            session, yunnan["ent_d"], catalog_id, entry_id, "漏计外购熟料", {"corrected_value": corrected}
        )
        assign_expert(session, yunnan["city"], appeal.id, "expert")
        record_opinion(session, yunnan["expert"], appeal.id, "台账属实")
        decided = decide_appeal(session, yunnan["city"], appeal.id, "upheld", "申辩成立", reference=yunnan.reference)
        assert decided.corrected_catalog_id is not None
        return decided.corrected_catalog_id


def _state(yunnan: World, catalog_id: int) -> str:
    with session_scope(yunnan.engine) as session:
        return session.scalars(select(Catalog.state).where(Catalog.id == catalog_id)).one()


# ---- decisions carry -----------------------------------------------------------------------------------
def test_upheld_appeal_carries_into_the_next_generation(yunnan: World) -> None:
    first = _generate(yunnan)
    _publish(yunnan, first)
    corrected = _uphold_d(yunnan, first)
    assert (_entry(yunnan, corrected, "D").value, _entry(yunnan, corrected, "D").tier) == (116.0, "grade_3")
    # The same region, half-year and basis generated again from the same (unchanged) reports.
    again = _generate(yunnan)
    carried = _entry(yunnan, again, "D")
    # 116 kgce/t, 107 < 116 ≤ 117 → grade_3 (not 118 → fails_limit as the report says).
    assert (carried.value, carried.tier) == (116.0, "grade_3")
    assert carried.saving_to_benchmark_tce == pytest.approx(8000.0)  # (116 − 100) × 500,000 t
    assert carried.evidence["decision"]["state"] == "carried"
    assert carried.evidence["decision"]["corrected_catalog_id"] == corrected
    assert carried.evidence["input"]["source"] == "appeal"
    # A's entry, never appealed, is as computed: 98 ≤ 100 → grade_1.
    assert _entry(yunnan, again, "A").tier == "grade_1" and "decision" not in _entry(yunnan, again, "A").evidence
    published = _publish(yunnan, again)
    assert published.supersedes_id == corrected and _state(yunnan, corrected) == "superseded"
    assert published.issue_no == 3
    with session_scope(yunnan.engine) as session:
        diff = diff_catalogs(session, yunnan["city"], again)
        check = verify_snapshot(session, yunnan["city"], again, reference=yunnan.reference)
    # Nothing changed against the corrected issue: the decision was not undone.
    assert diff.against_id == corrected and diff.changed == [] and diff.unchanged == 5
    assert check.matches, check


def test_changed_inputs_show_the_decision_for_review(yunnan: World) -> None:
    first = _generate(yunnan)
    _publish(yunnan, first)
    corrected = _uphold_d(yunnan, first)
    with session_scope(yunnan.engine) as session:
        # D corrects its annual report itself (118 → 110) and it is approved again: other inputs now.
        reopen(session, yunnan["panlong"], yunnan.report_ids["D"], "更正")
        update_draft(session, SYSTEM, yunnan.report_ids["D"], report_content("D", 110.0), reference=yunnan.reference)
        submit(session, SYSTEM, yunnan.report_ids["D"])
        approve(session, yunnan["panlong"], yunnan.report_ids["D"])
    again = _generate(yunnan)
    entry = _entry(yunnan, again, "D")
    # The new report figure is classified (110: 107 < 110 ≤ 117 → grade_3), and the old decision is shown.
    assert (entry.value, entry.tier) == (110.0, "grade_3")
    decision = entry.evidence["decision"]
    assert decision["state"] == "needs_review"
    assert (decision["decided_value"], decision["decided_tier"]) == (116.0, "grade_3")
    assert decision["corrected_catalog_id"] == corrected
    assert decision["changed"] == ["report"]  # the report version's content, not the reference row
    with session_scope(yunnan.engine) as session:
        review = review_catalog(session, yunnan["city"], again, reference=yunnan.reference)
    assert review.decisions_needing_review == 1
    [flagged] = [item for item in review.items if item.decision_state is not None]
    assert flagged.credit_code == yunnan.code("D") and flagged.decision_state == "needs_review"
    assert flagged.decision_state_zh == "决定需复核"
    assert flagged.decision_note is not None and "116 kgce/t" in flagged.decision_note
    # Published with the flag shown (review screen, publish dialog): the same changed inputs are not
    # flagged again in the next generation; the entry still names the decision.
    _publish(yunnan, again)
    third = _generate(yunnan)
    entry = _entry(yunnan, third, "D")
    assert (entry.value, entry.tier, entry.evidence["decision"]["state"]) == (110.0, "grade_3", "reviewed")
    with session_scope(yunnan.engine) as session:
        assert review_catalog(session, yunnan["city"], third).decisions_needing_review == 0


def test_reference_rows_changed_show_the_decision_for_review(yunnan: World) -> None:
    first = _generate(yunnan)
    _publish(yunnan, first)
    _uphold_d(yunnan, first)
    # The 2021 edition judges 水泥熟料 against another row (BM2021-040): the decision judged BM2023-061.
    again = _generate(yunnan, edition="2021")
    entry = _entry(yunnan, again, "D")
    assert entry.value == 118.0 and entry.evidence["decision"]["state"] == "needs_review"
    assert entry.evidence["decision"]["changed"] == ["reference"]


def test_a_rejected_appeal_changes_nothing_in_later_generations(yunnan: World) -> None:
    first = _generate(yunnan)
    _publish(yunnan, first)
    entry_id = _entry(yunnan, first, "D").id
    with session_scope(yunnan.engine) as session:
        appeal = file_appeal(session, yunnan["ent_d"], first, entry_id, "不服", {"corrected_value": 100})
        assign_expert(session, yunnan["city"], appeal.id, "expert")
        record_opinion(session, yunnan["expert"], appeal.id, "证据不足")
        decide_appeal(session, yunnan["city"], appeal.id, "rejected", "驳回", reference=yunnan.reference)
    again = _generate(yunnan)
    entry = _entry(yunnan, again, "D")
    assert (entry.value, entry.tier) == (118.0, "fails_limit") and "decision" not in entry.evidence


# ---- one catalog in force --------------------------------------------------------------------------------
def test_one_catalog_in_force_per_region_half_and_basis(yunnan: World) -> None:
    gb_2023 = _generate(yunnan)
    assert _publish(yunnan, gb_2023).issue_no == 1
    policy = _generate(yunnan, "policy")
    # Issue numbers are counted per basis: the first policy catalog is issue 1 of its own.
    assert _publish(yunnan, policy, confirm_undetermined=4).issue_no == 1
    assert _state(yunnan, gb_2023) == "published"  # another basis: both in force
    # The same region, half and basis on the 2021 edition replaces the 2023 one in force.
    gb_2021 = _generate(yunnan, edition="2021")
    with session_scope(yunnan.engine) as session:
        undetermined = review_catalog(session, yunnan["city"], gb_2021).counts_by_tier.get("undetermined", 0)
    published = _publish(yunnan, gb_2021, confirm_undetermined=undetermined or None)
    assert (published.issue_no, published.supersedes_id) == (2, gb_2023)
    assert _state(yunnan, gb_2023) == "superseded"
    with session_scope(yunnan.engine) as session:
        items, total = list_public_catalogs(session, half="2025-H1")
    assert total == 2
    assert sorted((item.basis, item.id) for item in items) == [("gb", gb_2021), ("policy", policy)]


# ---- confirmations and reasons ----------------------------------------------------------------------------
def test_an_empty_catalog_needs_a_confirmation(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session, pytest.raises(Conflict) as caught:
        # No approved report of 2019 in 昆明: 0 entries.
        generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference, data_year=2019
        )
    assert "0" in caught.value.message and "条目" in caught.value.message
    with session_scope(yunnan.engine) as session:
        assert session.scalars(select(Catalog.id)).all() == []  # nothing was written
    empty = _generate(yunnan, data_year=2019, confirm_empty=True)
    with session_scope(yunnan.engine) as session:
        assert session.scalars(select(CatalogEntry.id).where(CatalogEntry.catalog_id == empty)).all() == []


def test_publishing_undetermined_entries_needs_the_count_confirmed(yunnan: World) -> None:
    catalog_id = _generate(yunnan, "policy")  # A–D 无法判定 (no 标杆/基准 for 水泥熟料), E between
    for wrong in (None, 3, 5):
        with pytest.raises(Conflict) as caught:
            _publish(yunnan, catalog_id, confirm_undetermined=wrong)
        assert "4" in caught.value.message and "无法判定" in caught.value.message
    assert _state(yunnan, catalog_id) == "draft"
    assert _publish(yunnan, catalog_id, confirm_undetermined=4).state == "published"


def test_a_catalog_without_undetermined_entries_publishes_as_before(yunnan: World) -> None:
    catalog_id = _generate(yunnan)  # gb: all five classified
    assert _publish(yunnan, catalog_id).state == "published"


def test_undetermined_entries_name_the_blank_row_and_the_import(yunnan: World) -> None:
    catalog_id = _generate(yunnan, "policy")
    with session_scope(yunnan.engine) as session:
        items, total = list_entries(
            session, yunnan["city"], catalog_id, EntryFilter(tier="undetermined"), with_evidence=False
        )
        review = review_catalog(session, yunnan["city"], catalog_id, EntryFilter(tier="undetermined"))
    assert total == 4
    for item in [*items, *review.items]:
        reason = item.undetermined
        assert reason is not None
        assert reason.row_id == CLINKER and reason.table == "efficiency_benchmarks_2023"
        assert reason.missing == ["标杆水平", "基准水平"]
        assert "dualcarbon reference import" in reason.hint
        assert "标杆水平" in reason.reason_zh and CLINKER in reason.reason_zh
    with session_scope(yunnan.engine) as session:
        classified, _ = list_entries(session, yunnan["city"], catalog_id, EntryFilter(tier="between"))
    assert classified[0].undetermined is None
