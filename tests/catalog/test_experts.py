"""The experts an appeal can be assigned to: a list of the reviewers covering the catalog's region."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dualcarbon.catalog.models import CatalogEntry
from dualcarbon.catalog.service_appeals import assign_expert, file_appeal
from dualcarbon.catalog.service_experts import assignable_experts
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.core.errors import NotFound, PermissionDenied
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _filed(yunnan: World) -> int:
    """An appeal of enterprise D against its entry in a published GB catalog of 530100 (昆明市)."""
    with session_scope(yunnan.engine) as session:
        catalog_id = generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference
        ).catalog.id
        publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    with session_scope(yunnan.engine) as session:
        entry_id = session.scalars(
            select(CatalogEntry.id).where(
                CatalogEntry.catalog_id == catalog_id, CatalogEntry.enterprise_id == yunnan.enterprise_ids["D"]
            )
        ).one()
        return file_appeal(session, yunnan["ent_d"], catalog_id, entry_id, "熟料产量统计漏计外购熟料", {}).id


def test_only_reviewers_covering_the_region_are_offered(yunnan: World) -> None:
    appeal_id = _filed(yunnan)  # a catalog of 530100 (昆明市)
    with session_scope(yunnan.engine) as session:
        offered = assignable_experts(session, yunnan["city"], appeal_id)
    # expert covers 530100; expert_qj covers 530300 (曲靖市) and is not offered; regulators are not reviewers
    assert [choice.username for choice in offered] == ["expert"]
    with session_scope(yunnan.engine) as session:  # what is offered is what the assignment accepts
        assert assign_expert(session, yunnan["city"], appeal_id, offered[0].username).state == "under_review"


def test_only_a_regulator_in_scope_sees_the_list(yunnan: World) -> None:
    appeal_id = _filed(yunnan)
    with session_scope(yunnan.engine) as session, pytest.raises(PermissionDenied):
        assignable_experts(session, yunnan["ent_d"], appeal_id)  # the enterprise that filed it
    with session_scope(yunnan.engine) as session, pytest.raises((PermissionDenied, NotFound)):
        assignable_experts(session, yunnan["qujing"], appeal_id)  # a regulator of another city
