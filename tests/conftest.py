"""Fixtures shared by every test package.

* ``engine`` — a fresh, migrated, empty store, once on SQLite and once on PostgreSQL (127.0.0.1:5432,
  trust auth; every test gets its own database ``dc_test_<hex>`` cloned from a migrated template, dropped
  afterwards). If the server is unreachable the PostgreSQL cases skip, except when ``CI`` is set or
  ``DUALCARBON_REQUIRE_PG=1``. ``database_url`` and ``pg_database`` give not-yet-migrated databases.
* ``world`` — a store on each backend already holding a small region tree, three enterprises, one user
  per role with a bearer token each. It is built once per backend and test session (argon2 hashing is
  slow on purpose) and copied for every test (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
  PostgreSQL), so tests may change it freely.
* ``client`` — a ``TestClient`` of the API app over the ``world`` store.
* ``api`` — the same app with the test's own data directory, called as a ``world`` user:
  ``api("POST", url, "city", json=…)`` (the class :class:`Api`, for annotations: ``from ..conftest import Api``).
* ``mqtt_broker`` (module) — the port of a private anonymous Mosquitto on 127.0.0.1; ``free_port()`` a free port.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Engine, create_engine, make_url, select, text
from sqlalchemy.exc import OperationalError

from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.store.db import init_store, session_scope

# No wall-clock deadlines anywhere: on a loaded 2-core CI machine a slow example is not a failure.
# ``ci`` also prints the blob to reproduce a failure and derandomises, so a CI run is repeatable.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True, max_examples=50)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PG_ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("DUALCARBON_REQUIRE_PG") == "1"


@functools.cache
def _pg_admin_url() -> str | None:
    override = os.environ.get("DUALCARBON_TEST_PG_ADMIN_URL")  # another server, e.g. in CI
    for url in (override,) if override else PG_ADMIN_URLS:
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


def _require_pg() -> str:
    admin_url = _pg_admin_url()
    if admin_url is None:
        message = "PostgreSQL is not reachable on 127.0.0.1:5432 (users postgres, root)"
        if _pg_required():
            pytest.fail(message + "; required because CI or DUALCARBON_REQUIRE_PG=1 is set")
        pytest.skip(message)
    return admin_url


def _pg_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


class _PgDatabases:
    """Creates databases (optionally from a template) and drops them all at ``close``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, template: str | None = None) -> str:
        name = f"dc_test_{secrets.token_hex(6)}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.remove(name)

    def close(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _audit_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One audit key and checkpoint file per test process, outside the repository.

    Without them PostgreSQL stores would put theirs in ``./dualcarbon-data``, and copies of the seeded world
    (a file copy on SQLite) would lack the key that their rows were chained with. A test may override both.
    """
    folder = tmp_path_factory.mktemp("audit")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUALCARBON_AUDIT_KEY_FILE", str(folder / "audit.key"))
        patch.setenv("DUALCARBON_AUDIT_CHECKPOINT_FILE", str(folder / "audit-checkpoints.jsonl"))
        yield


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated, empty PostgreSQL database used as a CREATE DATABASE template (cloning beats migrating)."""
    databases = _PgDatabases(_require_pg())
    try:
        name = databases.create()
        init_store(_pg_url(databases.admin_url, name)).dispose()
        yield name
    finally:
        databases.close()


@pytest.fixture
def pg_database() -> Iterator[Callable[..., str]]:
    """Factory of fresh PostgreSQL databases (URLs), empty or cloned from ``template``; dropped at teardown."""
    databases = _PgDatabases(_require_pg())
    yield lambda template=None: _pg_url(databases.admin_url, databases.create(template))
    databases.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, not yet migrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'dualcarbon.sqlite3'}"
    factory: Callable[..., str] = request.getfixturevalue("pg_database")
    return factory()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on each backend (PostgreSQL: a fresh clone of the migrated template)."""
    if request.param == "sqlite":
        url = f"sqlite+pysqlite:///{tmp_path / 'dualcarbon.sqlite3'}"
    else:
        factory: Callable[..., str] = request.getfixturevalue("pg_database")
        url = factory(template=request.getfixturevalue("pg_template"))
    store = init_store(url)  # migrates SQLite; a no-op check on the PostgreSQL clone
    yield store
    store.dispose()


# ---- the seeded world ---------------------------------------------------------------------------
PASSWORD = "correct-horse-battery-1"
ENTERPRISES = {  # key → (credit code, name, region, industry code)
    "a": (make_credit_code("91330302MA2AA0001"), "鹿城甲阀门有限公司", "330302", "C3443"),
    "b": (make_credit_code("91330303MA2BB0002"), "龙湾乙水泥有限公司", "330303", "C3011"),
    "c": (make_credit_code("91330106MA2CC0003"), "西湖丙纺织有限公司", "330106", "C1711"),
}
# username → (role, region code, enterprise key)
USERS = {
    "admin": ("admin", None, None),
    "province": ("regulator", "330000", None),
    "city": ("regulator", "330300", None),
    "lucheng": ("regulator", "330302", None),
    "longwan": ("regulator", "330303", None),
    "expert": ("reviewer", "330300", None),
    "ent_a": ("enterprise", None, "a"),
    "ent_b": ("enterprise", None, "b"),
    "agency": ("agency", None, None),
}


@dataclass
class World:
    """The seeded store of one test: its URL and engine, bearer tokens per user, credit codes per key."""

    url: str
    engine: Engine
    tokens: dict[str, str]
    read_only_token: str  # of user "city", scope "read"
    codes: dict[str, str] = field(default_factory=lambda: {k: v[0] for k, v in ENTERPRISES.items()})
    password: str = PASSWORD

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def _zhejiang_regions(wenzhou: dict[str, str], hangzhou: dict[str, str]) -> list[Region]:
    """浙江省 330000 → 温州市 330300 and 杭州市 330100, with the districts given (code → name) under each."""
    zj = Region.create("330000", "浙江省", "province")
    wz = Region.create("330300", "温州市", "city", zj)
    hz = Region.create("330100", "杭州市", "city", zj)
    districts = [Region.create(code, name, "district", wz) for code, name in wenzhou.items()]
    districts += [Region.create(code, name, "district", hz) for code, name in hangzhou.items()]
    return [zj, wz, hz, *districts]


def _seed_world(url: str) -> tuple[dict[str, str], str]:
    from dualcarbon.accounts import service as accounts
    from dualcarbon.accounts import service_auth as auth
    from dualcarbon.accounts.models import User
    from dualcarbon.accounts.service_auth import principal_for
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.registry import service as registry
    from dualcarbon.registry import service_sites as registry_sites

    store = init_store(url)
    tokens: dict[str, str] = {}
    try:
        with session_scope(store) as session:
            session.add_all(_zhejiang_regions({"330302": "鹿城区", "330303": "龙湾区"}, {"330106": "西湖区"}))
            session.flush()
            for key, (code, name, region, industry) in ENTERPRISES.items():
                registry.create_enterprise(
                    session,
                    SYSTEM,
                    registry.EnterpriseSpec(code, name, region, industry, above_scale=True, key_energy_user=key != "c"),
                )
            registry_sites.add_production_unit(
                session,
                SYSTEM,
                ENTERPRISES["b"][0],
                registry_sites.UnitSpec("1号熟料线", 120.0, "万吨/年", "BM2023-061"),
            )
            for username, (role, region, enterprise) in USERS.items():
                auth.create_user(
                    session,
                    SYSTEM,
                    auth.NewUser(
                        username,
                        PASSWORD,
                        role,
                        region_code=region,
                        enterprise_credit_code=ENTERPRISES[enterprise][0] if enterprise else None,
                    ),
                )
            auth.assign_agency(session, SYSTEM, "agency", ENTERPRISES["a"][0])
            session.flush()
            for user in session.scalars(select(User)):
                secret, _ = accounts.create_token(session, principal_for(session, user), name="test")
                tokens[user.username] = secret
            city = session.scalars(select(User).where(User.username == "city")).one()
            read_only, _ = accounts.create_token(session, principal_for(session, city), name="ro", scopes="read")
    finally:
        store.dispose()
    return tokens, read_only


@dataclass
class _Template:
    url: str
    tokens: dict[str, str]
    read_only: str


@pytest.fixture(scope="session")
def _sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> _Template:
    path = tmp_path_factory.mktemp("world") / "template.sqlite3"
    url = f"sqlite+pysqlite:///{path}"
    tokens, read_only = _seed_world(url)
    return _Template(str(path), tokens, read_only)


@pytest.fixture(scope="session")
def _pg_world() -> Iterator[tuple[_PgDatabases, _Template]]:
    databases = _PgDatabases(_require_pg())
    try:
        name = databases.create()
        tokens, read_only = _seed_world(_pg_url(databases.admin_url, name))
        yield databases, _Template(name, tokens, read_only)
    finally:
        databases.close()


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A private copy of the seeded world on each backend."""
    copy: str | None = None
    if request.param == "sqlite":
        template: _Template = request.getfixturevalue("_sqlite_world")
        path = tmp_path / "dualcarbon.sqlite3"
        shutil.copyfile(template.url, path)
        url = f"sqlite+pysqlite:///{path}"
    else:
        databases, template = request.getfixturevalue("_pg_world")
        copy = databases.create(template=template.url)
        url = _pg_url(databases.admin_url, copy)
    store = init_store(url)
    yield World(url, store, dict(template.tokens), template.read_only)
    store.dispose()
    if copy is not None:
        databases.drop(copy)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    """The API app over the ``world`` store."""
    from dualcarbon.app.api import create_app

    app = create_app(world.url)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


class Api:
    """Requests to a ``TestClient`` with the bearer token of a ``world`` user."""

    def __init__(self, client: TestClient, world: World) -> None:
        self.client, self.world = client, world

    def __call__(self, method: str, url: str, user: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, url, headers=self.world.auth(user), **kw)


@pytest.fixture
def api(world: World, tmp_path: Path) -> Iterator[Api]:
    """The API app over the ``world`` store, its data directory the test's ``tmp_path``."""
    from dualcarbon.app.api import create_app

    app = create_app(world.url, data_dir=tmp_path)
    with TestClient(app) as client:
        yield Api(client, world)
    app.state.engine.dispose()


@pytest.fixture
def zhejiang(engine: Engine) -> Engine:
    """The engine with a small region tree (浙江 → 温州 → 瑞安, 鹿城; 杭州 → 西湖) and one enterprise."""
    with session_scope(engine) as session:
        session.add_all(_zhejiang_regions({"330381": "瑞安市", "330302": "鹿城区"}, {"330106": "西湖区"}))
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


_FETCH_PAGES = """
import json, sys
from fastapi.testclient import TestClient
from dualcarbon.app.web import create_web_app
url, data_dir, password, users, paths = sys.argv[1], sys.argv[2], sys.argv[3], *map(json.loads, sys.argv[4:6])
app = create_web_app(url, data_dir=data_dir)
out = {}
for user in users:
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        client.post("/web/login", data={"username": user, "password": password, "next": "/"},
                    headers={"origin": "http://testserver"}, follow_redirects=False)
        for path in paths:
            page = client.get(path)
            out[user + path] = [page.status_code, page.text]
app.state.engine.dispose()
print(json.dumps(out))
"""


@pytest.fixture
def fetch_pages(world: World, tmp_path: Path) -> Callable[[list[str], list[str]], dict[str, list[Any]]]:
    """Server-side HTML of ``paths`` for each of ``users`` (logged in through the web form), as
    ``{user + path: [status, html]}``. The web UI mounts once per process, so a child process fetches them."""
    import json
    import subprocess
    import sys

    def fetch(users: list[str], paths: list[str]) -> dict[str, list[Any]]:
        argv = [world.url, str(tmp_path), world.password, json.dumps(users), json.dumps(paths)]
        done = subprocess.run(
            [sys.executable, "-c", _FETCH_PAGES, *argv], capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        result: dict[str, list[Any]] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    return fetch


# ---- a private Mosquitto for the live tests (serve --live, the live demo, the real-time simulator) -----------------

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A function giving a free TCP port on 127.0.0.1 (for a server or broker a test starts)."""
    return _free_port


@pytest.fixture(scope="module")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a Mosquitto of the module's own on 127.0.0.1, anonymous, stopped after the module; skips where
    mosquitto is not installed. ``user root``: run as root, mosquitto would otherwise drop to its own user."""
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    import subprocess
    import time

    from dualcarbon.monitoring.service_simulator import broker_reachable

    port = _free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    conf.write_text(f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n", encoding="utf-8")
    broker = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not broker_reachable("127.0.0.1", port, 0.2):
            if broker.poll() is not None:
                pytest.fail(f"mosquitto exited with {broker.returncode} (config {conf})")
            if time.monotonic() > deadline:
                pytest.fail(f"mosquitto did not listen on 127.0.0.1:{port} within 20 s")
            time.sleep(0.1)
        yield port
    finally:
        broker.terminate()
        broker.wait(timeout=10)


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


@pytest.fixture(scope="session")
def wait_until() -> Callable[[Callable[[], bool], float], bool]:
    """``wait_until(condition, seconds)``: polls ``condition`` every 0.2 s; whether it came true within ``seconds``."""
    return _wait_until


# ---- xdist groups ------------------------------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keeps each ``xdist_group`` on one worker under ``--dist loadgroup`` (scripts/test.sh).

    pytest-xdist marks a grouped test by appending ``@<group>`` to its node id, which it sets as ``item._nodeid``;
    pytest 9 derives ``nodeid`` from ``item._id`` instead, so the suffix was lost and every group was spread over
    the workers: each worker seeded and served the browser tests' app, and built each grouped module's demo store.
    Here the suffix is set where pytest reads it (after xdist's own hook, which it leaves in place for older pytest).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks})
        if not names:
            continue
        suffix = "@" + "_".join(names)
        if item.nodeid.endswith(suffix):
            continue
        current = getattr(item, "_id", None)
        if current is not None and hasattr(type(current), "parse"):
            item._id = type(current).parse(item.nodeid + suffix)
        else:
            item._nodeid = item.nodeid + suffix
