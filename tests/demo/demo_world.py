"""The small demo city of the tests (30 enterprises, seed 7) and how it is built on each backend.

* SQLite: through the command line (``dualcarbon demo --no-serve``), so the workspace handling, the
  printed table and the logins file are exercised too.
* PostgreSQL: ``build_demo`` on a fresh database (the CLI demo is embedded-only by design), created on
  127.0.0.1:5432 and dropped afterwards; skipped when the server is unreachable (failing instead when
  ``CI`` or ``DUALCARBON_REQUIRE_PG=1`` is set, as the shared fixtures do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from dualcarbon.demo import DemoLogin, DemoSpec, latest_complete_year, plan_city
from dualcarbon.demo.plan import CityPlan
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store

SPEC = DemoSpec(enterprises=30, districts=5, seed=7, latest_year=latest_complete_year(date.today()))
PG_ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)


@dataclass
class DemoWorld:
    backend: str
    url: str
    engine: Engine
    logins: dict[str, DemoLogin]
    plan: CityPlan
    output: str  # what the command printed (SQLite only)
    directory: Path | None


def pg_admin_url() -> str | None:
    """The first PostgreSQL admin URL that answers on 127.0.0.1:5432, else None."""
    for url in PG_ADMIN_URLS:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url
        except OperationalError:
            continue
        finally:
            engine.dispose()
    return None


def _read_logins(path: Path) -> dict[str, DemoLogin]:
    lines = path.read_text(encoding="utf-8").splitlines()[2:]
    logins = [DemoLogin(*line.split("\t")) for line in lines if line]
    return {login.username: login for login in logins}


def sqlite_world(tmp: Path) -> DemoWorld:
    from dualcarbon.app.cli import app

    directory = tmp / "workspace"
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--data-dir",
            str(directory),
            "--no-serve",
            "--enterprises",
            str(SPEC.enterprises),
            "--districts",
            str(SPEC.districts),
            "--seed",
            str(SPEC.seed),
            # meters and readings stay in the demo, but two weeks of them: a year is the demo's, not the tests'
            "--meter-days",
            "14",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    url = f"sqlite+pysqlite:///{directory / 'dualcarbon.sqlite3'}"
    logins = _read_logins(directory / "DEMO-LOGINS.txt")
    return DemoWorld(
        "sqlite", url, init_store(url), logins, plan_city(SPEC, shipped_reference()), result.output, directory
    )
