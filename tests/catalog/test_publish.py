"""Publishing freezes a catalog: snapshot hash, immutability, verification, superseding, diffs."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import FieldMismatch
from dualcarbon.catalog.service_diff import diff_catalogs
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_snapshot import snapshot_payload
from dualcarbon.catalog.service_verify import verify_snapshot
from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import Conflict, NotFound, PermissionDenied
from dualcarbon.reports.service_workflow import approve, reopen, submit, update_draft
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, report_content, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _draft(yunnan: World, basis: str = "gb") -> int:
    with session_scope(yunnan.engine) as session:
        return generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", basis, reference=yunnan.reference
        ).catalog.id


def _published(yunnan: World, basis: str = "gb") -> int:
    catalog_id = _draft(yunnan, basis)
    with session_scope(yunnan.engine) as session:
        publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    return catalog_id


def test_publish_freezes_a_snapshot(yunnan: World) -> None:
    catalog_id = _published(yunnan)
    with session_scope(yunnan.engine) as session:
        catalog = session.get(Catalog, catalog_id)
        assert catalog is not None
        assert (catalog.state, catalog.issue_no) == ("published", 1)
        assert catalog.published_at is not None
        assert catalog.reference_versions == {
            "efficiency_benchmarks_2023": "shipped",
            "conversion_coefficients_gbt2589": "shipped",
        }
        # snapshot_hash = sha256 of the canonical JSON of region, edition, half, basis, inputs, reference
        # versions and entries.
        payload = snapshot_payload(session, catalog)
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert catalog.snapshot_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        assert [payload[k] for k in ("region_code", "edition", "half", "basis")] == ["530100", "2023", "2025-H1", "gb"]
        assert len(payload["inputs"]) == 5 and len(payload["entries"]) == 5
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "catalog.publish")).one()
        assert audit.after["snapshot_hash"] == catalog.snapshot_hash and audit.before == {"state": "draft"}


def test_published_catalog_cannot_change(yunnan: World) -> None:
    catalog_id = _published(yunnan)
    with pytest.raises(Conflict):
        with session_scope(yunnan.engine) as session:
            entry = session.scalars(select(CatalogEntry).where(CatalogEntry.catalog_id == catalog_id)).first()
            assert entry is not None
            entry.value = entry.value + 1
            session.flush()
    with pytest.raises(Conflict):
        with session_scope(yunnan.engine) as session:
            entry = session.scalars(select(CatalogEntry).where(CatalogEntry.catalog_id == catalog_id)).first()
            session.delete(entry)
            session.flush()
    with pytest.raises(Conflict):
        with session_scope(yunnan.engine) as session:
            catalog = session.get(Catalog, catalog_id)
            assert catalog is not None
            catalog.half = "2025-H2"
            session.flush()
    with pytest.raises(Conflict):
        with session_scope(yunnan.engine) as session:
            publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)


def test_generating_again_after_publishing_starts_a_new_draft(yunnan: World) -> None:
    catalog_id = _published(yunnan)
    draft_id = _draft(yunnan)
    assert draft_id != catalog_id
    with session_scope(yunnan.engine) as session:
        publish_catalog(session, yunnan["city"], draft_id, reference=yunnan.reference)
        old, new = session.get(Catalog, catalog_id), session.get(Catalog, draft_id)
        assert old is not None and new is not None
        assert (old.state, new.state, new.issue_no, new.supersedes_id) == ("superseded", "published", 2, catalog_id)
        # Same inputs, same reference, same entries: the same snapshot.
        assert new.snapshot_hash == old.snapshot_hash


def test_verify_matches_and_detects_tampering(yunnan: World) -> None:
    catalog_id = _published(yunnan)
    with session_scope(yunnan.engine) as session:
        result = verify_snapshot(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    assert result.matches and result.hash_matches and result.reference_versions_match
    assert result.reclassified == 5 and result.reclassification_mismatches == []
    assert result.recomputed_hash == result.stored_hash
    with yunnan.engine.begin() as connection:  # someone edits the table behind the service's back
        connection.execute(
            text("UPDATE catalog_entry SET tier = 'grade_1' WHERE catalog_id = :c AND value = 118"), {"c": catalog_id}
        )
    with session_scope(yunnan.engine) as session:
        result = verify_snapshot(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    assert not result.matches and not result.hash_matches
    [mismatch] = result.reclassification_mismatches
    assert isinstance(mismatch, FieldMismatch)
    assert (mismatch.field, mismatch.stored, mismatch.recomputed) == ("tier", "grade_1", "fails_limit")


def test_verify_detects_a_changed_input_report(yunnan: World) -> None:
    catalog_id = _published(yunnan)
    with yunnan.engine.begin() as connection:
        connection.execute(
            text("UPDATE output_line SET reported_unit_consumption = 99 WHERE reported_unit_consumption = 118")
        )
    with session_scope(yunnan.engine) as session:
        result = verify_snapshot(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    assert not result.matches
    assert [p.report_version_id for p in result.input_problems] != []
    assert {m.field for m in result.reclassification_mismatches if isinstance(m, FieldMismatch)} >= {"value", "tier"}


def test_verify_of_a_draft_is_a_conflict(yunnan: World) -> None:
    draft_id = _draft(yunnan)
    with session_scope(yunnan.engine) as session, pytest.raises(Conflict):
        verify_snapshot(session, yunnan["city"], draft_id, reference=yunnan.reference)


def test_publish_checks_role_scope_and_content(yunnan: World) -> None:
    draft_id = _draft(yunnan)
    with session_scope(yunnan.engine) as session:
        with pytest.raises(NotFound):  # a district regulator cannot see a city draft
            publish_catalog(session, yunnan["wuhua"], draft_id, reference=yunnan.reference)
        with pytest.raises(PermissionDenied):  # an expert can read it but not publish
            publish_catalog(session, yunnan["expert"], draft_id, reference=yunnan.reference)
        with pytest.raises(PermissionDenied):  # not a regulator at all
            publish_catalog(session, yunnan["ent_a"], draft_id, reference=yunnan.reference)
    with session_scope(yunnan.engine) as session:
        empty = generate_catalog(
            session,
            yunnan["city"],
            "530100",
            "2023",
            "2025-H1",
            "gb",
            reference=yunnan.reference,
            data_year=2019,
            confirm_empty=True,
        ).catalog.id
        # the 2019 draft replaced the entries of the same draft key: nothing to publish
        assert empty == draft_id
        with pytest.raises(Conflict):
            publish_catalog(session, yunnan["city"], empty, reference=yunnan.reference)


def test_publish_refuses_when_reference_changed_since_generation(yunnan: World) -> None:
    draft_id = _draft(yunnan)
    with session_scope(yunnan.engine) as session:
        catalog = session.get(Catalog, draft_id)
        assert catalog is not None
        catalog.reference_versions = {
            "efficiency_benchmarks_2023": "import-1",
            "conversion_coefficients_gbt2589": "shipped",
        }
    with session_scope(yunnan.engine) as session, pytest.raises(Conflict):
        publish_catalog(session, yunnan["city"], draft_id, reference=yunnan.reference)


def test_diff_against_the_previous_issue(yunnan: World) -> None:
    first = _published(yunnan)
    with session_scope(yunnan.engine) as session:
        # D corrects its report (118 → 110) and it is approved again.
        reopen(session, yunnan["panlong"], yunnan.report_ids["D"], "更正")
        update_draft(session, SYSTEM, yunnan.report_ids["D"], report_content("D", 110.0), reference=yunnan.reference)
        submit(session, SYSTEM, yunnan.report_ids["D"])
        approve(session, yunnan["panlong"], yunnan.report_ids["D"])
    second = _published(yunnan)
    with session_scope(yunnan.engine) as session:
        diff = diff_catalogs(session, yunnan["city"], second)
    assert diff.against_id == first
    assert diff.added == [] and diff.removed == [] and diff.unchanged == 4
    [changed] = diff.changed
    assert changed.credit_code == yunnan.code("D") and changed.tier_changed
    assert (changed.before.tier, changed.before.value) == ("fails_limit", 118.0)
    assert (changed.after.tier, changed.after.value) == ("grade_3", 110.0)
    with session_scope(yunnan.engine) as session:
        # The other way round (explicit ``against``): the same entry, before and after swapped.
        back = diff_catalogs(session, yunnan["city"], first, second)
    assert [c.after.tier for c in back.changed] == ["fails_limit"]


def test_first_issue_diff_lists_everything_as_added(yunnan: World) -> None:
    first = _published(yunnan)
    with session_scope(yunnan.engine) as session:
        diff = diff_catalogs(session, yunnan["city"], first)
    assert diff.against_id is None and len(diff.added) == 5
