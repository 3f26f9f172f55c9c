"""Fixtures for store tests: an ``engine`` on SQLite and on PostgreSQL, fresh per test.

PostgreSQL runs on 127.0.0.1:5432 with trust auth; every test gets its own database ``dc_test_<hex>``,
dropped afterwards. If the server is unreachable the PostgreSQL cases skip, except when ``CI`` is set or
``DUALCARBON_REQUIRE_PG=1``: then they fail.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from dualcarbon.store.db import init_store, session_scope
from dualcarbon.store.models import Enterprise, Region

PG_ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)
# Optional override of the server/maintenance database to use, e.g. in CI.
PG_ADMIN_URL_ENV = "DUALCARBON_TEST_PG_ADMIN_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("DUALCARBON_REQUIRE_PG") == "1"


@functools.cache
def _reachable_pg_admin_url() -> str | None:
    candidates = [os.environ[PG_ADMIN_URL_ENV]] if os.environ.get(PG_ADMIN_URL_ENV) else PG_ADMIN_URLS
    for url in candidates:
        admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with admin.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url
        except OperationalError:
            continue
        finally:
            admin.dispose()
    return None


def _pg_admin_url() -> str:
    """The reachable maintenance URL; otherwise skip, or fail when PostgreSQL is required."""
    url = _reachable_pg_admin_url()
    if url is None:
        message = "PostgreSQL is not reachable on 127.0.0.1:5432 (users postgres, root)"
        if _pg_required():
            pytest.fail(message + "; required because CI or DUALCARBON_REQUIRE_PG=1 is set")
        pytest.skip(message)
    return url


def _create_database(admin: Engine, template: str | None = None) -> str:
    name = f"dc_test_{secrets.token_hex(6)}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    return name


def _drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated database used as CREATE DATABASE template: cloning it is faster than migrating."""
    admin_url = _pg_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = _create_database(admin)
    init_store(_database_url(admin_url, name)).dispose()
    yield name
    _drop_database(admin, name)
    admin.dispose()


@pytest.fixture
def pg_database() -> Iterator[Callable[..., str]]:
    """Factory of fresh PostgreSQL databases ``dc_test_<hex>`` (URLs), empty or cloned from ``template``.

    All are dropped at teardown.
    """
    admin_url = _pg_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create(template: str | None = None) -> str:
        created.append(_create_database(admin, template))
        return _database_url(admin_url, created[-1])

    yield create
    for name in created:
        _drop_database(admin, name)
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, not yet migrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'dualcarbon.sqlite3'}"
    factory: Callable[..., str] = request.getfixturevalue("pg_database")
    return factory()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store on each backend (PostgreSQL: a fresh clone of the migrated template)."""
    if request.param == "sqlite":
        url = f"sqlite+pysqlite:///{tmp_path / 'dualcarbon.sqlite3'}"
    else:
        factory: Callable[..., str] = request.getfixturevalue("pg_database")
        url = factory(template=request.getfixturevalue("pg_template"))
    store = init_store(url)  # migrates SQLite; a no-op check on the PostgreSQL clone
    yield store
    store.dispose()


@pytest.fixture
def zhejiang(engine: Engine) -> Engine:
    """The engine with a small region tree (浙江 → 温州 → 瑞安, 鹿城; 杭州 → 西湖) and one enterprise."""
    with session_scope(engine) as session:
        zj = Region.create("330000", "浙江省", "province")
        wz = Region.create("330300", "温州市", "city", zj)
        hz = Region.create("330100", "杭州市", "city", zj)
        session.add_all(
            [
                zj,
                wz,
                hz,
                Region.create("330381", "瑞安市", "district", wz),
                Region.create("330302", "鹿城区", "district", wz),
                Region.create("330106", "西湖区", "district", hz),
            ]
        )
        session.flush()
        session.add(
            Enterprise(
                credit_code="91330381MA2AAAAA1X",
                name="瑞安某某泵业有限公司",
                region_code="330381",
                industry_code="C3441",
                above_scale=True,
                key_energy_user=False,
            )
        )
    return engine
