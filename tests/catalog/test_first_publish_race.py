"""Two FIRST publishes of one catalog key at once (issue #7 §2, brief 8 item 1).

Two drafts of the same region × half-year × basis (built under two benchmark editions, 2023 and 2021) are
published at the same time, each by its own transaction, with nothing in force yet. Exactly one may become
the catalog in force (issue 1); the other gets a Conflict (409) — never a unique-index error (500), and
never a silent supersede of an issue its publisher did not see (item 2 below: two appeals on one entry at
once open one).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: fixtures and helpers (importlib mode)
from catalog_fixtures import World, bearer_tokens, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"
from race_helpers import parallel_requests, race


def _drafts(yunnan: World) -> list[int]:
    ids = []
    for edition in ("2023", "2021"):
        with session_scope(yunnan.engine) as session:
            result = generate_catalog(
                session,
                yunnan["city"],
                "530100",
                edition,
                "2025-H1",
                "gb",
                reference=yunnan.reference,
                confirm_empty=True,
            )
            ids.append(result.catalog.id)
    return ids


def test_two_first_publishes_of_one_key_at_once_give_one_winner(yunnan: World) -> None:
    ids = _drafts(yunnan)
    counter = iter(range(2))
    lock = threading.Lock()

    def act(session: Session) -> None:
        with lock:
            i = next(counter)
        publish_catalog(session, yunnan["city"], ids[i], reference=yunnan.reference, confirm_undetermined=None)

    outcomes = race(yunnan.engine, 2, act, prepare=lambda session: [session.get(Catalog, i) for i in ids])
    assert outcomes == {"ok": 1, "Conflict": 1}, outcomes
    with session_scope(yunnan.engine, write=False) as session:
        states = sorted(session.scalars(select(Catalog.state).where(Catalog.id.in_(ids))))
        issues = list(session.scalars(select(Catalog.issue_no).where(Catalog.state == "published")))
    assert states == ["draft", "published"]
    assert issues == [1]


def test_two_appeals_on_one_entry_at_once_open_one(yunnan: World) -> None:
    """Two appeals filed on one entry at the same time: one is filed, the other is a Conflict (one open
    appeal per entry), on both stores."""
    from dualcarbon.catalog.models import Appeal, CatalogEntry
    from dualcarbon.catalog.service_appeals import file_appeal

    catalog_id = _drafts(yunnan)[0]
    with session_scope(yunnan.engine) as session:
        publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
        entry_id = session.scalars(
            select(CatalogEntry.id).where(
                CatalogEntry.catalog_id == catalog_id, CatalogEntry.enterprise_id == yunnan.enterprise_ids["D"]
            )
        ).one()

    def act(session: Session) -> None:
        file_appeal(
            session, yunnan["ent_d"], catalog_id, entry_id, "熟料产量统计漏计外购熟料", {"corrected_value": 116}
        )

    outcomes = race(yunnan.engine, 2, act, prepare=lambda session: session.get(CatalogEntry, entry_id))
    assert outcomes == {"ok": 1, "Conflict": 1}, outcomes
    with session_scope(yunnan.engine, write=False) as session:
        assert len(list(session.scalars(select(Appeal.id).where(Appeal.catalog_entry_id == entry_id)))) == 1


def test_two_first_publishes_over_http_give_one_200_and_one_409(yunnan: World) -> None:
    from fastapi.testclient import TestClient

    from dualcarbon.app.api import create_app

    ids = _drafts(yunnan)
    headers = {"Authorization": f"Bearer {bearer_tokens(yunnan)['city']}"}
    app = create_app(yunnan.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = parallel_requests(2, lambda i: client.post(f"/api/v1/catalogs/{ids[i]}/publish", headers=headers))
    app.state.engine.dispose()
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 409], [200, 503]), [(r.status_code, r.text[:200]) for r in responses]
    if yunnan.engine.dialect.name == "postgresql":
        assert statuses == [200, 409]  # waits on the key's lock, then sees the other issue in force
    loser = next(r for r in responses if r.status_code != 200)
    if loser.status_code == 409:
        assert loser.json()["message"].startswith("此草稿生成后，同一地区、半年度、依据的第 1 期目录已经发布")
