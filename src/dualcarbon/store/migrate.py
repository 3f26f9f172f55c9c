"""Schema migrations: Alembic driven from code, with the scripts inside the package (no alembic.ini).

``upgrade(engine_or_url)`` brings a database to the newest revision and does nothing when it is already
there. Concurrent callers are serialised (PostgreSQL advisory lock; SQLite write lock), so a CLI and a
server starting together cannot both create the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, text

from dualcarbon.store.db import make_engine, writing

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Arbitrary constant key of the transaction-level advisory lock that serialises migrations on PostgreSQL.
MIGRATION_LOCK_KEY = 0x64634D4947  # "dcMIG"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the package's migrations, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision id of the shipped migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: newest) in one transaction."""
    _run(engine_or_url, lambda config: command.upgrade(config, revision))


def downgrade(engine_or_url: Engine | str | URL, revision: str) -> None:
    """Migrate the database down to ``revision`` ("base" removes every table)."""
    _run(engine_or_url, lambda config: command.downgrade(config, revision))


def _run(engine_or_url: Engine | str | URL, action: Callable[[Config], object]) -> None:
    owned = not isinstance(engine_or_url, Engine)
    engine = make_engine(engine_or_url) if not isinstance(engine_or_url, Engine) else engine_or_url
    try:
        with writing(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            action(alembic_config(connection))
    finally:
        if owned:
            engine.dispose()
