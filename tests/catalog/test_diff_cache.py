"""The diff of two published issues is computed once, not on every view (brief 8 item 7, issue #7 §6).

Published catalogs never change, so ``diff_catalogs`` keeps the diff of a pair of snapshots for callers who
see every entry; the second call reads no catalog entries (statements counted on the engine). A caller who
sees only part of the catalog (a district regulator) still gets their own view, computed each time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from dualcarbon.catalog.service_diff import diff_catalogs
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: fixtures (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


@contextmanager
def entry_reads(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM catalog_entry" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_published_diff_is_computed_once_per_snapshot_pair(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        draft = generate_catalog(session, yunnan["city"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference)
        catalog_id = publish_catalog(session, yunnan["city"], draft.catalog.id, reference=yunnan.reference).id
    with session_scope(yunnan.engine, write=False) as session, entry_reads(yunnan.engine) as reads:
        first = diff_catalogs(session, yunnan["city"], catalog_id)
        after_first = len(reads)
        second = diff_catalogs(session, yunnan["city"], catalog_id)
        assert after_first >= 1 and len(reads) == after_first  # the second call read no entries
    assert second == first
    assert len(first.added) == 5  # A, B, C, D, E of 昆明 (Q is in 曲靖, P never approved)
    with session_scope(yunnan.engine, write=False) as session, entry_reads(yunnan.engine) as reads:
        district = diff_catalogs(session, yunnan["panlong"], catalog_id)  # sees 盘龙's C, D, E only
        assert len(reads) >= 1
    assert sorted(e.enterprise_name for e in district.added) == [
        "盘龙水泥丁有限公司",
        "盘龙水泥丙有限公司",
        "盘龙焦化戊有限公司",
    ]
