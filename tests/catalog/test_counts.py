"""The dashboard's catalog figures (service_counts): the same counts as the review screen, scope kept, no
entry loaded."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import event, update

from dualcarbon.catalog.service import EntryFilter
from dualcarbon.catalog.service_counts import newest_catalog_id, region_catalog_counts
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_review import review_catalog
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"

SUBTREES = {"530100": {"530100", "530102", "530103"}, "530102": {"530102"}}


def _catalog(yunnan: World, publish: bool) -> int:
    with session_scope(yunnan.engine) as session:
        catalog_id = generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference
        ).catalog.id
        if publish:
            publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    return catalog_id


def test_counts_match_the_review_screen_for_every_view(yunnan: World) -> None:
    catalog_id = _catalog(yunnan, publish=True)
    with session_scope(yunnan.engine) as session:
        for username, region in (("city", "530100"), ("city", "530102"), ("wuhua", "530102"), ("expert", "530100")):
            counted = region_catalog_counts(session, yunnan[username], region)
            review = review_catalog(session, yunnan[username], catalog_id, EntryFilter(region_code=region), limit=1)
            # the review screen counts districts over the whole catalog; the dashboard keeps the region's subtree
            districts = [d for d in review.counts_by_district if d.region_code in SUBTREES[region]]
            assert counted is not None, username
            assert counted.catalog == review.catalog, username
            assert counted.counts_by_district == districts, (username, region)
            by_tier: dict[str, int] = {}
            for district in districts:
                for tier, count in district.counts.items():
                    by_tier[tier] = by_tier.get(tier, 0) + count
            assert counted.counts_by_tier == by_tier, (username, region)
        # Hand-counted (test_review): 五华 A grade_1, B grade_2; 盘龙 C, E grade_3, D fails_limit.
        city = region_catalog_counts(session, yunnan["city"], "530100")
        assert city is not None
        assert city.counts_by_tier == {"grade_1": 1, "grade_2": 1, "grade_3": 2, "fails_limit": 1}
        # A district regulator sees its own district only, in a catalog it reads partially.
        wuhua = region_catalog_counts(session, yunnan["wuhua"], "530102")
        assert wuhua is not None and not wuhua.catalog.full_view
        assert [d.region_code for d in wuhua.counts_by_district] == ["530102"]
        assert wuhua.catalog.total == 2


def test_a_draft_is_counted_by_the_database_the_same_way(yunnan: World) -> None:
    catalog_id = _catalog(yunnan, publish=False)
    with session_scope(yunnan.engine) as session:
        counted = region_catalog_counts(session, yunnan["city"], "530100")
        review = review_catalog(session, yunnan["city"], catalog_id, limit=1)
    assert counted is not None and counted.catalog.state == "draft"
    assert counted.counts_by_district == review.counts_by_district


def test_a_published_catalog_follows_an_enterprise_that_moved(yunnan: World) -> None:
    """The published catalog's (enterprise, tier) pairs are kept; the districts are read live."""
    _catalog(yunnan, publish=True)
    with session_scope(yunnan.engine) as session:
        before = region_catalog_counts(session, yunnan["city"], "530100")
        assert before is not None
        assert {d.region_code: d.total for d in before.counts_by_district} == {"530102": 2, "530103": 3}
        session.execute(
            update(Enterprise).where(Enterprise.credit_code == yunnan.code("A")).values(region_code="530103")
        )
        after = region_catalog_counts(session, yunnan["city"], "530100")
        assert after is not None
        assert {d.region_code: d.total for d in after.counts_by_district} == {"530102": 1, "530103": 4}
        assert after.counts_by_tier == before.counts_by_tier


def test_a_draft_is_not_counted_for_a_partial_reader(yunnan: World) -> None:
    _catalog(yunnan, publish=False)
    with session_scope(yunnan.engine) as session:
        assert region_catalog_counts(session, yunnan["wuhua"], "530102") is None  # a draft has no partial view
        assert region_catalog_counts(session, yunnan["ent_a"], "530102") is None
        assert region_catalog_counts(session, yunnan["qujing"], "530300") is None  # another city's catalog


def test_newest_catalog_of_the_region_first(yunnan: World) -> None:
    first = _catalog(yunnan, publish=True)
    with session_scope(yunnan.engine) as session:
        assert newest_catalog_id(session, yunnan["city"], "530100") == first
        assert newest_catalog_id(session, yunnan["city"], "530102") == first  # none of the district: the newest


def test_no_entry_row_is_loaded(yunnan: World) -> None:
    """The figures come from GROUP BY queries: no statement selects the entries' evidence."""
    _catalog(yunnan, publish=True)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(yunnan.engine, "before_cursor_execute", record)
    try:
        with session_scope(yunnan.engine) as session:
            assert region_catalog_counts(session, yunnan["city"], "530100") is not None
    finally:
        event.remove(yunnan.engine, "before_cursor_execute", record)
    assert statements and not any("catalog_entry.evidence" in s for s in statements)
