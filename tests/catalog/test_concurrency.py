"""Publishing a catalog and deciding an appeal are atomic on both stores (issue #7 §2).

20 threads, each in its own transaction, publish one draft catalog (or decide one reviewed appeal) at the
same time. Exactly one may change its state — one ``catalog.publish`` (``appeal.decide``) audit row, at
most one corrected re-issue — and every other thread gets a Conflict. On PostgreSQL every thread has read
the old state before any writes (see tests/race_helpers.py).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.catalog.service_appeals import assign_expert, decide_appeal, file_appeal, record_opinion
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: fixtures and helpers (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"
from race_helpers import race

N = 20


def _draft(yunnan: World) -> int:
    with session_scope(yunnan.engine) as session:
        return generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference
        ).catalog.id


def _audit_actions(yunnan: World, entity: str, entity_id: int, actions: list[str]) -> list[str]:
    with session_scope(yunnan.engine, write=False) as session:
        assert verify_audit_chain(session) == []
        return list(
            session.scalars(
                select(AuditLog.action)
                .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id), AuditLog.action.in_(actions))
                .order_by(AuditLog.id)
            )
        )


def test_publishing_one_draft_twenty_times_at_once_publishes_it_once(yunnan: World) -> None:
    catalog_id = _draft(yunnan)

    def act(session: Session) -> None:
        publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)

    outcomes = race(yunnan.engine, N, act, prepare=lambda session: session.get(Catalog, catalog_id))
    assert outcomes == {"ok": 1, "Conflict": N - 1}
    assert _audit_actions(yunnan, "catalog", catalog_id, ["catalog.publish"]) == ["catalog.publish"]
    with session_scope(yunnan.engine, write=False) as session:
        catalog = session.get(Catalog, catalog_id)
        assert catalog is not None and catalog.state == "published" and catalog.issue_no == 1
        assert session.scalar(select(func.count()).select_from(Catalog).where(Catalog.state == "published")) == 1


def _reviewed_appeal(yunnan: World) -> int:
    catalog_id = _draft(yunnan)
    with session_scope(yunnan.engine) as session:
        publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
        entry_id = session.scalars(
            select(CatalogEntry.id).where(
                CatalogEntry.catalog_id == catalog_id, CatalogEntry.enterprise_id == yunnan.enterprise_ids["D"]
            )
        ).one()
        appeal = file_appeal(
            session,
            yunnan["ent_d"],
            catalog_id,
            entry_id,
            "熟料产量统计漏计外购熟料，单位产品能耗应为 116 kgce/t",
            {"corrected_value": 116, "documents": ["2024年熟料产量台账.pdf"]},
        )
        assign_expert(session, yunnan["city"], appeal.id, "expert")
        record_opinion(session, yunnan["expert"], appeal.id, "台账属实，建议按 116 kgce/t 更正")
        return appeal.id


def test_deciding_one_appeal_twenty_times_at_once_decides_it_once(yunnan: World) -> None:
    appeal_id = _reviewed_appeal(yunnan)
    with session_scope(yunnan.engine, write=False) as session:
        catalogs_before = session.scalar(select(func.count()).select_from(Catalog))
    counter = iter(range(N))
    lock = threading.Lock()

    def act(session: Session) -> None:
        with lock:
            i = next(counter)
        decision = "upheld" if i % 2 == 0 else "rejected"
        decide_appeal(session, yunnan["city"], appeal_id, decision, f"第{i}号决定", reference=yunnan.reference)

    outcomes = race(yunnan.engine, N, act, prepare=lambda session: session.get(Appeal, appeal_id))
    assert outcomes == {"ok": 1, "Conflict": N - 1}
    assert _audit_actions(yunnan, "appeal", appeal_id, ["appeal.decide"]) == ["appeal.decide"]
    with session_scope(yunnan.engine, write=False) as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None and appeal.state in ("upheld", "rejected")
        catalogs_after = session.scalar(select(func.count()).select_from(Catalog))
        # an upheld appeal adds exactly one corrected issue; a rejected one none
        assert catalogs_after == catalogs_before + (1 if appeal.state == "upheld" else 0)
        assert (appeal.corrected_catalog_id is not None) == (appeal.state == "upheld")
