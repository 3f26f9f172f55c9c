"""Projects the demo makes from 基准以下 catalog entries (demo/retrofit.py, issue #9 §2): each is linked to a
below-baseline entry of the published policy-basis catalog of its own enterprise, its deadline is the listing
date + the Yunnan pack's limit (≤ 3 years), it sits in its enterprise's plan (一企一策), and its state is the
one the demo gives it (the first approved, the others proposed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.access import SYSTEM
from dualcarbon.core.localtime import to_local
from dualcarbon.demo import DemoResult, DemoSpec, build_demo, latest_complete_year, plan_city
from dualcarbon.demo.retrofit import _below_baseline_expected
from dualcarbon.projects import service_projects
from dualcarbon.projects.models import RetrofitPlan
from dualcarbon.reference import shipped_reference
from dualcarbon.reference.policy import load_pack
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import init_store, session_scope
from dualcarbon.store.models import AuditLog

#: A small city with units above their row's 基准 value (few benchmark rows carry one: 焦炉, 高炉, 转炉), so the
#: demo publishes the policy-basis catalog and makes projects from its 基准以下 entries. The tests' usual demo
#: city (30 enterprises, seed 7) has none, which is why this module builds its own.
SPEC = DemoSpec(enterprises=14, districts=3, seed=72, latest_year=latest_complete_year(date.today()), meter_days=14)


@dataclass
class World:
    engine: Engine
    result: DemoResult


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    reference = shipped_reference()

    assert _below_baseline_expected(plan_city(SPEC, reference), reference), "pick another seed: no unit below 基准"
    engine = init_store(Path(tmp_path_factory.mktemp("retrofit-demo")))
    try:
        yield World(engine, build_demo(engine, SPEC, reference))
    finally:
        engine.dispose()


def _catalog_projects(demo: World) -> list[service_projects.ProjectOut]:
    with session_scope(demo.engine, write=False) as session:
        projects, _ = service_projects.list_projects(session, SYSTEM, limit=500)
    return sorted((p for p in projects if p.origin == "catalog_entry"), key=lambda p: p.id)


def test_the_policy_catalog_is_published_and_its_entries_become_projects(demo: World) -> None:
    retrofit = demo.result.retrofit
    assert retrofit.policy_catalog_id is not None
    projects = _catalog_projects(demo)
    assert projects, "no project was made from a 基准以下 catalog entry"
    assert {p.id for p in projects} <= set(retrofit.project_ids)


def test_each_project_lifts_a_below_baseline_entry_of_its_enterprise(demo: World) -> None:
    projects = _catalog_projects(demo)
    with session_scope(demo.engine, write=False) as session:
        # the catalog the demo drew the entries from: one policy-basis catalog for all of them
        (below,) = {session.get(CatalogEntry, p.catalog_entry_id).catalog_id for p in projects}  # type: ignore[union-attr]
        below_count = len(
            session.scalars(
                select(CatalogEntry.id).where(CatalogEntry.catalog_id == below, CatalogEntry.tier == "below_baseline")
            ).all()
        )
        assert len(projects) == min(3, below_count)  # the demo takes the first three entries
        assert len({p.catalog_entry_id for p in projects}) == len(projects)  # one project per entry
        for project in projects:
            assert project.catalog_entry_id is not None and project.measure_id is None
            entry = session.get(CatalogEntry, project.catalog_entry_id)
            assert entry is not None and entry.tier == "below_baseline"
            catalog = session.get(Catalog, entry.catalog_id)
            assert catalog is not None and catalog.basis == "policy" and catalog.published_at is not None
            enterprise = session.get(Enterprise, entry.enterprise_id)
            assert enterprise is not None and enterprise.credit_code == project.credit_code
            # listed on the day the catalog was published; the name says which product line is lifted
            assert project.listed_on == to_local(catalog.published_at).date()
            assert project.name == f"{entry.product} 能效提升改造"
            # one plan per enterprise (一企一策) holds the project
            plan = session.scalar(select(RetrofitPlan).where(RetrofitPlan.enterprise_id == enterprise.id))
            assert plan is not None and project.plan_id == plan.id


def test_deadlines_come_from_the_yunnan_pack(demo: World) -> None:
    years = load_pack("yunnan-2022").parameter("yunnan.retrofit.deadline_years_max")
    assert years == 3 == service_projects.deadline_years_max()
    for project in _catalog_projects(demo):
        assert project.listed_on is not None and project.deadline is not None
        assert project.deadline == service_projects.add_years(project.listed_on, 3)
        assert project.deadline <= date(project.listed_on.year + 3, 12, 31)
        assert (project.deadline - project.listed_on).days <= 3 * 366
        assert not project.deadline_beyond_policy and project.warnings == []


def test_states_and_not_overdue(demo: World) -> None:
    projects = _catalog_projects(demo)
    assert [p.state for p in projects] == ["approved"] + ["proposed"] * (len(projects) - 1)
    for project in projects:
        assert project.deadline is not None and project.deadline > date.today()  # listed in the latest half
        assert not project.demonstration and project.verified_tce_per_year is None


def test_each_creation_is_audited(demo: World) -> None:
    projects = _catalog_projects(demo)
    with session_scope(demo.engine, write=False) as session:
        audited = set(
            session.scalars(
                select(AuditLog.entity_id).where(
                    AuditLog.action == "project.create", AuditLog.entity == "retrofit_project"
                )
            ).all()
        )
    assert {str(p.id) for p in projects} <= audited
