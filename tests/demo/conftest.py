"""Fixture ``demo``: the small demo city of :mod:`demo_world`, built once per backend and module."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import SPEC, DemoWorld, pg_admin_url, sqlite_world

from dualcarbon.demo import build_demo
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    if request.param == "sqlite":
        world = sqlite_world(tmp_path_factory.mktemp("demo"))
        yield world
        world.engine.dispose()
        return
    admin_url = pg_admin_url()
    if admin_url is None:
        message = "PostgreSQL is not reachable on 127.0.0.1:5432"
        if os.environ.get("CI") or os.environ.get("DUALCARBON_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    name = f"dc_test_demo_{secrets.token_hex(5)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = init_store(url)
    try:
        result = build_demo(engine, SPEC, shipped_reference())
        yield DemoWorld(
            "postgresql", url, engine, {login.username: login for login in result.logins}, result.plan, "", None
        )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
