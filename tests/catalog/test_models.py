"""Catalog models: catalogs with entries, corrected re-issues, appeals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from dualcarbon.accounts.models import User
from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope


def _catalog(issue_no: int = 1, **overrides: object) -> Catalog:
    fields: dict[str, object] = {
        "region_code": "330300",
        "edition": "2023",
        "half": "2024-H2",
        "basis": "policy",
        "issue_no": issue_no,
    }
    fields.update(overrides)
    return Catalog(**fields)


def test_catalog_entries_and_appeal_round_trip(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        enterprise = session.scalars(select(Enterprise)).one()
        expert = User(username="expert", display_name="专家")
        catalog = _catalog(reference_versions={"benchmarks": "2023.1"}, snapshot_hash="a" * 64)
        entry = CatalogEntry(
            enterprise_id=enterprise.id,
            product="水泥熟料",
            benchmark_row_id="BM2023-061",
            value=112.0,
            unit="kgce/t",
            tier="below_baseline",
            gap_to_benchmark=12.0,
            gap_to_baseline=-5.0,
            saving_to_benchmark_tce=14400.0,
            evidence={"inputs": {"tce": 134400.0, "output_t": 1.2e6}},
        )
        catalog.entries.append(entry)
        session.add_all([catalog, expert])
        session.flush()
        appeal = Appeal(enterprise_id=enterprise.id, reason="产量统计口径有误", evidence={"files": ["a.pdf"]})
        entry.appeals.append(appeal)
        session.flush()
        appeal.state, appeal.expert_user_id, appeal.expert_opinion = "under_review", expert.id, "口径确有偏差"
        catalog.state, catalog.published_at = "published", datetime(2025, 1, 10, tzinfo=UTC)
    with session_scope(zhejiang) as session:
        catalog = session.scalars(select(Catalog)).one()
        assert (catalog.state, catalog.issue_no, catalog.reference_versions) == (
            "published",
            1,
            {"benchmarks": "2023.1"},
        )
        entry = catalog.entries[0]
        assert (entry.value, entry.gap_to_baseline, entry.evidence["inputs"]["output_t"]) == (112.0, -5.0, 1.2e6)
        appeal = entry.appeals[0]
        assert (appeal.state, appeal.expert_opinion, appeal.evidence) == (
            "under_review",
            "口径确有偏差",
            {"files": ["a.pdf"]},
        )
        assert appeal.filed_at.tzinfo is UTC


def test_corrected_reissue_supersedes(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        original = _catalog(state="superseded")
        session.add(original)
        session.flush()
        session.add(_catalog(issue_no=2, supersedes_id=original.id, state="published"))
    with session_scope(zhejiang) as session:
        reissue = session.scalars(select(Catalog).where(Catalog.issue_no == 2)).one()
        assert reissue.supersedes is not None and reissue.supersedes.state == "superseded"
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(_catalog(issue_no=2))


@pytest.mark.parametrize("field", [{"half": "2024-H3"}, {"half": "2024H1"}, {"basis": "other"}, {"state": "x"}])
def test_catalog_values_are_checked(zhejiang: Engine, field: dict[str, object]) -> None:
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(_catalog(**field))


def test_deleting_a_draft_catalog_removes_its_entries(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        enterprise_id = session.scalars(select(Enterprise.id)).one()
        catalog = _catalog()
        catalog.entries.append(
            CatalogEntry(enterprise_id=enterprise_id, product="p", benchmark_row_id="BM", value=1.0, unit="u", tier="t")
        )
        session.add(catalog)
    with session_scope(zhejiang) as session:
        session.delete(session.scalars(select(Catalog)).one())
    with session_scope(zhejiang) as session:
        assert session.scalars(select(CatalogEntry)).all() == []
