"""Migrations: head matches the models exactly, upgrades are idempotent, downgrade/upgrade round-trips."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect

import dualcarbon.app.models  # noqa: F401  (every subject's tables on Base.metadata)
from dualcarbon.store.base import Base
from dualcarbon.store.db import init_store, make_engine
from dualcarbon.store.migrate import current_revision, downgrade, head_revision, upgrade


def _diff(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def test_head_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert _diff(engine, Base.metadata) == []


def test_comparison_would_see_a_difference(engine: Engine) -> None:
    # Guards the test above against comparing nothing: an extra model table must show up.
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table("not_migrated", metadata, Column("id", Integer, primary_key=True))
    assert any(change[0] == "add_table" for change in _diff(engine, metadata))  # type: ignore[index]


def test_upgrade_is_idempotent(database_url: str) -> None:
    first = init_store(database_url)
    second = init_store(database_url)
    assert current_revision(second) == head_revision()
    first.dispose()
    second.dispose()


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version", "sqlite_sequence"}
    upgrade(engine)
    assert "audit_log" in inspect(engine).get_table_names()
    assert _diff(engine, Base.metadata) == []


def test_concurrent_first_start_migrates_once(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert current_revision(engines[0]) == head_revision()
    for engine in engines:
        engine.dispose()
