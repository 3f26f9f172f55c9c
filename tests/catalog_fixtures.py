"""A small 云南 world for the catalog, appeal and obligation tests (services and API): fixture ``yunnan``.

The suite runs with ``--import-mode=importlib``, so a test module imports this helper after putting
``tests/`` on ``sys.path`` itself (see the first lines of tests/catalog/test_generate.py).

Regions: 云南省 530000 → 昆明市 530100 (五华区 530102, 盘龙区 530103) and 曲靖市 530300 (麒麟区 530302).
Annual reports for 2024 (the input year of the "2025-H1" catalog), submitted and approved through the
reports service, each with one output line on a benchmark row:

| key | district | row (product)        | kgce/t | output t  | energy (当量值)           |
|-----|----------|----------------------|--------|-----------|---------------------------|
| A   | 五华     | BM2023-061 水泥熟料  | 98     | 1,000,000 | 15,000 t 原煤 = 10,714.5 tce |
| B   | 五华     | BM2023-061           | 107    | 800,000   | 5,000 tce 标准煤          |
| C   | 盘龙     | BM2023-061           | 117    | 600,000   | 4,000 t 原煤 = 2,857.2 tce |
| D   | 盘龙     | BM2023-061           | 118    | 500,000   | 1,000 t 原煤 = 714.3 tce   |
| E   | 盘龙     | BM2023-006 捣固焦炉   | 120    | 1,000,000 | 2,000 t 原煤 = 1,428.6 tce |
| Q   | 麒麟(曲靖) | BM2023-061         | 99     | 100,000   | 100 t 原煤                |
| P   | 五华     | BM2023-061           | 105    | 100,000   | submitted, never approved |

BM2023-061 (熟料单位产品综合能耗): GB 16780-2021 grades 1级 100 / 2级 107 / 3级 117 kgce/t, no policy values.
BM2023-006: policy 标杆 110 / 基准 140 kgce/t (unverified, third-party source).
原煤 0.7143 kgce/kg (GB/T 2589 reference row CC-002): 15,000 t × 0.7143 = 10,714.5 tce.

Users (password ``secret-pass-1``): ``city`` regulator 530100, ``wuhua`` regulator 530102, ``panlong``
regulator 530103, ``qujing`` regulator 530300, ``expert`` reviewer 530100, ``expert_qj`` reviewer 530300,
``ent_a`` / ``ent_d`` / ``ent_q`` enterprise users of A / D / Q.
"""

from __future__ import annotations

import atexit
import functools
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import Engine, create_engine, select, text
from tests.conftest import BACKENDS, _pg_url, _require_pg

from dualcarbon.accounts import service_auth as auth
from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import NewUser, create_user, principal_for
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.reference import ReferenceSet, load_reference
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.reports.service_workflow import approve, create_report, submit
from dualcarbon.store.db import init_store, session_scope

PASSWORD = "secret-pass-1"
CLINKER = "BM2023-061"
COKE = "BM2023-006"

# key: (district, name, row, product, unit consumption kgce/t, output t, energy lines, approve?)
ENTERPRISES: dict[str, tuple[str, str, str, str, float, float, list[dict[str, Any]], bool]] = {
    "A": (
        "530102",
        "五华水泥甲有限公司",
        CLINKER,
        "水泥熟料",
        98.0,
        1_000_000.0,
        [{"carrier": "原煤", "quantity": 15_000, "unit": "t"}],
        True,
    ),
    "B": (
        "530102",
        "五华水泥乙有限公司",
        CLINKER,
        "水泥熟料",
        107.0,
        800_000.0,
        [{"carrier": "标准煤", "quantity": 5_000, "unit": "tce"}],
        True,
    ),
    "C": (
        "530103",
        "盘龙水泥丙有限公司",
        CLINKER,
        "水泥熟料",
        117.0,
        600_000.0,
        [{"carrier": "原煤", "quantity": 4_000, "unit": "t"}],
        True,
    ),
    "D": (
        "530103",
        "盘龙水泥丁有限公司",
        CLINKER,
        "水泥熟料",
        118.0,
        500_000.0,
        [{"carrier": "原煤", "quantity": 1_000, "unit": "t"}],
        True,
    ),
    "E": (
        "530103",
        "盘龙焦化戊有限公司",
        COKE,
        "焦炭",
        120.0,
        1_000_000.0,
        [{"carrier": "原煤", "quantity": 2_000, "unit": "t"}],
        True,
    ),
    "Q": (
        "530302",
        "麒麟水泥己有限公司",
        CLINKER,
        "水泥熟料",
        99.0,
        100_000.0,
        [{"carrier": "原煤", "quantity": 100, "unit": "t"}],
        True,
    ),
    "P": (
        "530102",
        "五华水泥庚有限公司",
        CLINKER,
        "水泥熟料",
        105.0,
        100_000.0,
        [{"carrier": "原煤", "quantity": 100, "unit": "t"}],
        False,
    ),
}
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "city": ("regulator", "530100", None),
    "wuhua": ("regulator", "530102", None),
    "panlong": ("regulator", "530103", None),
    "qujing": ("regulator", "530300", None),
    "expert": ("reviewer", "530100", None),
    "expert_qj": ("reviewer", "530300", None),
    "ent_a": ("enterprise", None, "A"),
    "ent_d": ("enterprise", None, "D"),
    "ent_q": ("enterprise", None, "Q"),
}


def credit_code(key: str) -> str:
    """A valid 统一社会信用代码 per enterprise key (check character computed)."""
    district = ENTERPRISES[key][0]
    return make_credit_code(f"91{district}MA{ord(key):07d}")


@dataclass
class World:
    """The store of one test (engine, URL) and what was built in it: principals, ids by key."""

    engine: Engine
    reference: ReferenceSet
    principals: dict[str, Principal] = field(default_factory=dict)
    enterprise_ids: dict[str, int] = field(default_factory=dict)
    report_ids: dict[str, int] = field(default_factory=dict)
    url: str = ""

    def code(self, key: str) -> str:
        return credit_code(key)

    def __getitem__(self, username: str) -> Principal:
        return self.principals[username]


def _regions() -> list[Region]:
    yn = Region.create("530000", "云南省", "province")
    km = Region.create("530100", "昆明市", "city", yn)
    qj = Region.create("530300", "曲靖市", "city", yn)
    return [
        yn,
        km,
        qj,
        Region.create("530102", "五华区", "district", km),
        Region.create("530103", "盘龙区", "district", km),
        Region.create("530302", "麒麟区", "district", qj),
    ]


def report_content(key: str, value: float | None = None) -> dict[str, Any]:
    _, _, row, product, unit_consumption, output, energy, _ = ENTERPRISES[key]
    return {
        "energy_lines": energy,
        "outputs": [
            {
                "product": product,
                "benchmark_row_id": row,
                "quantity": output,
                "unit": "t",
                "reported_unit_consumption": unit_consumption if value is None else value,
                "unit_consumption_unit": "kgce/t",
            }
        ],
    }


@functools.cache
def _password_hash() -> str:
    # argon2 takes ~0.4 s a hash; every world user shares one password, so hash it once per test run.
    return auth.hash_password(PASSWORD)


def build_world(engine: Engine, year: int = 2024) -> World:
    """Regions, enterprises, users and approved annual reports of ``year`` (see the module docstring)."""
    world = World(engine, load_reference(None), url=engine.url.render_as_string(hide_password=False))
    with session_scope(engine) as session:
        session.add_all(_regions())
        session.flush()
        for key, (district, name, *_rest) in ENTERPRISES.items():
            enterprise = Enterprise(
                credit_code=credit_code(key),
                name=name,
                region_code=district,
                industry_code="C3011",
                above_scale=True,
                key_energy_user=False,
            )
            session.add(enterprise)
            session.flush()
            world.enterprise_ids[key] = enterprise.id
        hashed = _password_hash()
        with mock.patch.object(auth, "hash_password", lambda _password: hashed):
            for username, (role, region, enterprise_key) in USERS.items():
                create_user(
                    session,
                    SYSTEM,
                    NewUser(
                        username,
                        PASSWORD,
                        role,
                        region_code=region,
                        enterprise_credit_code=credit_code(enterprise_key) if enterprise_key else None,
                    ),
                )
        for user in session.scalars(select(User)):
            world.principals[user.username] = principal_for(session, user)
        for key, spec in ENTERPRISES.items():
            regulator = world.principals[
                "wuhua" if spec[0] == "530102" else "panlong" if spec[0] == "530103" else "qujing"
            ]
            report = create_report(
                session, SYSTEM, credit_code(key), "year", year, 0, report_content(key), reference=world.reference
            )
            submit(session, SYSTEM, report.id)
            if spec[7]:
                approve(session, regulator, report.id)
            world.report_ids[key] = report.id
    return world


def bearer_tokens(world: World) -> dict[str, str]:
    """A read-write bearer token per world user (for API tests)."""
    tokens: dict[str, str] = {}
    with session_scope(world.engine) as session:
        for user in session.scalars(select(User)):
            tokens[user.username] = auth.issue_token(session, user, name="test")
    return tokens


# ---- the fixture: built once per backend and test run, copied for every test ---------------------------
# The server and the skip-or-fail rule are those of the shared fixtures (tests/conftest.py).
_TEMPLATES: dict[str, tuple[str, World]] = {}  # backend → (template file or database, the world built there)


def _pg(admin_url: str, statement: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def _built(url: str) -> World:
    engine = init_store(url)
    try:
        return build_world(engine)
    finally:
        engine.dispose()


def _template(backend: str, admin_url: str | None) -> tuple[str, World]:
    if backend not in _TEMPLATES:
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="dc_yunnan_")
            atexit.register(shutil.rmtree, folder, True)
            path = str(Path(folder) / "template.sqlite3")
            _TEMPLATES[backend] = (path, _built(f"sqlite+pysqlite:///{path}"))
        else:
            assert admin_url is not None
            name = f"dc_yunnan_{secrets.token_hex(6)}"
            _pg(admin_url, f'CREATE DATABASE "{name}"')
            atexit.register(_pg, admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _TEMPLATES[backend] = (name, _built(_pg_url(admin_url, name)))
    return _TEMPLATES[backend]


@pytest.fixture(name="yunnan", params=BACKENDS)
def yunnan_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A private copy of the 云南 world on each backend (a file copy, or ``CREATE DATABASE … TEMPLATE``)."""
    admin_url = _require_pg() if request.param == "postgresql" else None
    source, template = _template(request.param, admin_url)
    if admin_url is None:
        copy = tmp_path / "dualcarbon.sqlite3"
        shutil.copyfile(source, copy)
        url = f"sqlite+pysqlite:///{copy}"
    else:
        name = f"dc_test_{secrets.token_hex(6)}"
        _pg(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        url = _pg_url(admin_url, name)
    try:
        engine = init_store(url)
        yield replace(template, engine=engine, url=url)
        engine.dispose()
    finally:
        if admin_url is not None:
            _pg(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
