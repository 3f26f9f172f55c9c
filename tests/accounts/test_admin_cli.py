"""Administration commands on SQLite (``--data-dir`` / ``DUALCARBON_DATA_DIR``) and PostgreSQL
(``DUALCARBON_DATABASE_URL``): init, users, tokens, audit verify, import, regions, backup/restore."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import resolve_token
from dualcarbon.app.cli import app
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV, resolve_database_url, session_scope
from dualcarbon.store.models import AuditLog

runner = CliRunner()
PASSWORD = "a-long-secret-9"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def workspace(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An initialised workspace; returns its database URL (commands find it through the environment)."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    if request.param == "postgresql":
        factory: Callable[[], str] = request.getfixturevalue("pg_database")
        monkeypatch.setenv(DATABASE_URL_ENV, factory())
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return resolve_database_url()


def cli(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def seed_city(url: str) -> None:
    rows = "code,name\n330300,温州市\n330302,鹿城区\n330303,龙湾区\n"
    path = Path(os.environ[DATA_DIR_ENV]).parent / "regions.csv"
    path.write_text(rows, encoding="utf-8")
    code, out, _ = cli("regions", "seed", "--file", str(path))
    assert code == 0 and "3 added" in out


def test_init_is_idempotent_and_says_where(workspace: str, tmp_path: Path) -> None:
    code, out, _ = cli("init")
    assert code == 0
    assert f"data directory: {tmp_path / 'data'}" in out
    assert "0 provinces added, 31 already there" in out
    if workspace.startswith("sqlite"):
        assert (tmp_path / "data" / "dualcarbon.sqlite3").is_file()
    explicit = tmp_path / "elsewhere"
    assert cli("init", "--data-dir", str(explicit))[0] == 0
    assert explicit.is_dir()


def test_commands_without_a_workspace_fail_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    code, out, err = cli("user", "list", "--data-dir", str(tmp_path / "none"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "dualcarbon init" in err


def test_user_add_reads_the_password_from_stdin(workspace: str) -> None:
    seed_city(workspace)
    code, out, _ = cli(
        "user", "add", "wz", "--role", "regulator", "--region", "330300", "--password-stdin", input=PASSWORD + "\n"
    )
    assert code == 0 and out.strip() == "user wz added: regulator region 330300"
    with session_scope(create_engine(workspace)) as session:
        user = session.scalars(select(User).where(User.username == "wz")).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        create = session.scalars(select(AuditLog).where(AuditLog.action == "user.create")).one()
        assert create.actor == cli_actor()
    code, _, err = cli("user", "add", "x", "--role", "admin")
    assert code == 2 and "--password-stdin" in err
    assert cli("user", "add", "x", "--role", "admin", "--password", PASSWORD)[0] == 2  # no such option
    code, _, err = cli("user", "add", "x", "--role", "root", "--password-stdin", input=PASSWORD)
    assert code == 2 and "--role" in err
    code, _, err = cli(
        "user", "add", "y", "--role", "regulator", "--region", "999999", "--password-stdin", input=PASSWORD
    )
    assert (code, err) == (2, "error: region_code: unknown region 999999\n")
    code, _, err = cli("user", "add", "z", "--role", "admin", "--password-stdin", input="short\n")
    assert code == 2 and "password" in err


def test_user_list_disable_and_tokens(workspace: str) -> None:
    assert cli("user", "add", "root", "--role", "admin", "--password-stdin", input=PASSWORD)[0] == 0
    code, secret, err = cli("token", "create", "root", "--name", "ci", "--scopes", "read")
    assert code == 0 and secret.count("\n") == 1 and "shown only once" in err
    secret = secret.strip()
    engine = create_engine(workspace)
    with session_scope(engine) as session:
        user, token = resolve_token(session, secret)
        assert (user.username, token.name, token.scopes) == ("root", "ci", "read")
    code, out, _ = cli("token", "list", "root")
    assert code == 0 and "ci" in out and secret not in out
    code, out, _ = cli("user", "list")
    assert out.splitlines() == ["root\troot\tadmin(系统管理员)\tactive"]
    assert cli("user", "disable", "root")[0] == 0
    assert cli("user", "list")[1].splitlines() == ["root\troot\tadmin(系统管理员)\tdisabled"]
    assert cli("token", "create", "root")[0] == 2  # a disabled user gets no token
    assert cli("user", "disable", "nobody") == (2, "", "error: user 'nobody' not found\n")
    assert cli("token", "create", "root", "--scopes", "admin")[0] == 2


def test_audit_verify_finds_tampering(workspace: str) -> None:
    code, out, _ = cli("audit", "verify")
    assert (code, out.splitlines()[0]) == (0, "chain intact: 31 rows")  # the 31 provinces seeded by init
    engine = create_engine(workspace)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 5"))
    code, out, err = cli("audit", "verify")
    assert code == 1 and "\nrow 5: hash_mismatch" in out and "BROKEN" in err
    assert "log: triggers_missing: " in out  # the attacker's dropped or disabled trigger shows too


def enterprises_file(path: Path, rows: list[list[str]]) -> Path:
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["信用代码", "企业名称", "行政区划代码", "行业代码"])
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    workbook.close()
    return path


def test_import_enterprises(workspace: str, tmp_path: Path) -> None:
    seed_city(workspace)
    code_a = make_credit_code("91330302MA2AA0001")
    path = enterprises_file(tmp_path / "e.xlsx", [[code_a, "鹿城甲阀门有限公司", "330302", "C3443"]])
    mapping = ("--map", "信用代码=统一社会信用代码")
    code, _, err = cli("import", "enterprises", str(path))
    assert code == 2 and "row 1, column 统一社会信用代码" in err  # no credit-code column without the mapping
    code, out, _ = cli("import", "enterprises", str(path), *mapping, "--dry-run")
    assert code == 0 and "would create 1" in out
    code, out, _ = cli("import", "enterprises", str(path), *mapping)
    assert code == 0 and "created 1" in out and "committed" in out
    code, out, _ = cli("import", "enterprises", str(path), *mapping)
    assert code == 0 and "unchanged 1" in out
    with session_scope(create_engine(workspace)) as session:
        assert session.scalars(select(Enterprise.name)).all() == ["鹿城甲阀门有限公司"]
        actors = set(session.scalars(select(AuditLog.actor).where(AuditLog.entity == "enterprise")))
        assert actors == {cli_actor()}
    bad = enterprises_file(tmp_path / "bad.xlsx", [[code_a[:-1] + "I", "x", "330302", "C3443"]])
    code, out, err = cli("import", "enterprises", str(bad), *mapping)
    assert code == 2 and "row 2, column 信用代码" in err and "nothing was imported" in err
    template = tmp_path / "template.xlsx"
    assert cli("import", "enterprises-template", str(template))[0] == 0 and template.is_file()


def test_backup_and_restore(workspace: str, tmp_path: Path) -> None:
    assert cli("user", "add", "root", "--role", "admin", "--password-stdin", input=PASSWORD)[0] == 0
    archive = tmp_path / "b.tar.gz"
    code, _, _ = cli("backup", str(archive))
    assert code == 0 and archive.is_file()
    assert cli("backup", str(archive))[0] == 2  # never overwritten
    assert cli("user", "disable", "root")[0] == 0
    code, _, err = cli("restore", str(archive))
    assert code == 2 and "force" in err
    assert cli("restore", str(archive), "--force")[0] == 0
    assert cli("user", "list")[1].splitlines() == ["root\troot\tadmin(系统管理员)\tactive"]
    assert cli("audit", "verify")[0] == 0
