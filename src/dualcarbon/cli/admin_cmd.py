"""Administration from a shell: ``init``, ``user …``, ``token …``, ``audit verify``, ``backup``/``restore``,
``import enterprises``, ``regions seed``.

Every command finds the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` (SQLite in that directory) or
by ``DUALCARBON_DATABASE_URL`` (PostgreSQL). Commands act as an administrator whose audit name is
``cli:<os user>``: whoever can run them already holds the database files. Errors print one line on stderr
and exit with code 2. Passwords are read from stdin (``--password-stdin``), never from an argument.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session

from dualcarbon.cli.common import DataDirOption, fail, friendly_errors
from dualcarbon.services import accounts, audit_log, auth, regions, registry_import
from dualcarbon.services.access import ROLE_LABELS_ZH, Grant, Principal
from dualcarbon.store.base import ROLES
from dualcarbon.store.db import init_store, resolve_data_dir, resolve_database_url, session_scope, sqlite_path

user_app = typer.Typer(help="Users: add (password on stdin), list, disable, enable.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for machine clients.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
#: ``dualcarbon import …``; other subjects may add their own commands to this group.
import_app = typer.Typer(help="Bulk imports from Excel/CSV (all or nothing).", no_args_is_help=True)
regions_app = typer.Typer(help="The GB/T 2260 region tree.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the administration commands and groups to the top-level ``dualcarbon`` command."""
    app.command("init", help="Create the data directory and database (idempotent) and seed the provinces.")(init)
    app.command("backup", help="Back up the store to DEST (a new folder, or DEST.tar.gz).")(backup)
    app.command("restore", help="Restore a backup into the store (refuses a non-empty store without --force).")(restore)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(audit_app, name="audit")
    app.add_typer(import_app, name="import")
    app.add_typer(regions_app, name="regions")


# ---- plumbing -----------------------------------------------------------------------------------
def cli_principal() -> Principal:
    """The administrator the CLI acts as; audit rows name it ``cli:<os user>``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Principal(user_id=None, username=f"cli:{who}"[:64], grants=(Grant("admin"),))


def _describe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def open_store(data_dir: Path | None) -> Engine:
    """The migrated store of an existing workspace; exit 2 when there is none yet."""
    url = resolve_database_url(data_dir)
    db_file = sqlite_path(url)
    if db_file is not None and not db_file.exists():
        raise fail(f"no database at {db_file}; run `dualcarbon init --data-dir {db_file.parent}` first")
    return init_store(url)


@contextmanager
def transaction(data_dir: Path | None) -> Iterator[Session]:
    engine = open_store(data_dir)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


# ---- init, backup, restore ----------------------------------------------------------------------
@friendly_errors
def init(data_dir: Path | None = DataDirOption) -> None:
    directory = resolve_data_dir(data_dir).absolute()
    engine = init_store(directory)
    try:
        with session_scope(engine) as session:
            seeded = regions.seed_provinces(session, cli_principal())
    finally:
        engine.dispose()
    typer.echo(f"data directory: {directory}")
    typer.echo(f"database: {_describe(resolve_database_url(directory))}")
    typer.echo(f"regions: {seeded.created} provinces added, {seeded.unchanged} already there")


@friendly_errors
def backup(
    dest: Path = typer.Argument(..., help="new folder, or a file ending in .tar.gz"),
    data_dir: Path | None = DataDirOption,
) -> None:
    from dualcarbon.store.backup import BackupError
    from dualcarbon.store.backup import backup as make_backup

    try:
        written = make_backup(resolve_data_dir(data_dir), dest)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"backup written: {written}")


@friendly_errors
def restore(
    archive: Path = typer.Argument(..., help="backup folder or .tar.gz"),
    force: bool = typer.Option(False, "--force", help="replace a store that already holds data"),
    data_dir: Path | None = DataDirOption,
) -> None:
    from dualcarbon.store.backup import BackupError
    from dualcarbon.store.backup import restore as restore_backup

    directory = resolve_data_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        restore_backup(archive, directory, force=force)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"restored {archive} into {_describe(resolve_database_url(directory))}")


# ---- users and tokens ---------------------------------------------------------------------------
def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise fail("the passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@user_app.command("add", help="Add a user with one role; the password is read from stdin.")
@friendly_errors
def user_add(
    name: str = typer.Argument(..., help="username"),
    role: str = typer.Option(..., "--role", help="admin|regulator|reviewer|enterprise|agency"),
    region: str | None = typer.Option(None, "--region", help="region code (regulator, reviewer)"),
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code (enterprise user)"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
    display_name: str | None = typer.Option(None, "--display-name"),
    language: str = typer.Option("zh", "--language", help="zh or en"),
    data_dir: Path | None = DataDirOption,
) -> None:
    if role not in ROLES or role == "public":
        raise fail(f"--role must be one of admin, regulator, reviewer, enterprise, agency (got '{role}')")
    if language not in ("zh", "en"):
        raise fail("--language must be zh or en")
    if not password_stdin:
        raise fail("give the password on stdin with --password-stdin (never as an argument)")
    password = _read_password()
    with transaction(data_dir) as session:
        spec = auth.NewUser(
            username=name,
            password=password,
            role=role,
            display_name=display_name,
            region_code=region,
            enterprise_credit_code=enterprise,
            language=language,
        )
        user = auth.create_user(session, cli_principal(), spec)
        scope = f" region {region}" if region else f" enterprise {enterprise}" if enterprise else ""
        typer.echo(f"user {user.username} added: {role}{scope}")


@user_app.command("list", help="Users, their roles and scopes, and whether they are disabled or locked.")
@friendly_errors
def user_list(data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        for user, assignments in auth.list_users(session, cli_principal()):
            roles = ", ".join(
                f"{a.role}({ROLE_LABELS_ZH.get(a.role, a.role)})"
                + (f"@{a.region_code}" if a.region_code else "")
                + (f"@enterprise#{a.enterprise_id}" if a.enterprise_id else "")
                for a in assignments
            )
            state = "disabled" if user.disabled else "locked" if user.locked_until else "active"
            typer.echo(f"{user.username}\t{user.display_name}\t{roles}\t{state}")


@user_app.command("disable", help="Disable a user and revoke its tokens.")
@friendly_errors
def user_disable(name: str, data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        auth.set_disabled(session, cli_principal(), name, True)
    typer.echo(f"user {name} disabled")


@user_app.command("enable", help="Enable a disabled user.")
@friendly_errors
def user_enable(name: str, data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        auth.set_disabled(session, cli_principal(), name, False)
    typer.echo(f"user {name} enabled")


@token_app.command("create", help="Create a bearer token for user NAME; prints the secret once.")
@friendly_errors
def token_create(
    name: str = typer.Argument(..., help="username the token acts as"),
    label: str = typer.Option("cli", "--name", help="label of the token"),
    scopes: str = typer.Option("read write", "--scopes", help='"read" or "read write"'),
    days: int | None = typer.Option(None, "--days", help="lifetime in days (default from settings)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        secret, token = accounts.create_token(
            session, cli_principal(), name=label, scopes=scopes, username=name, lifetime_days=days
        )
        expires = token.expires_at.isoformat() if token.expires_at else "never"
    typer.echo(secret)
    typer.echo(
        f"token #{token.id} '{label}' for {name}, scopes '{token.scopes}', expires {expires}; "
        "the secret is shown only once",
        err=True,
    )


@token_app.command("list", help="Tokens of user NAME (never their secrets).")
@friendly_errors
def token_list(name: str, data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        for token in accounts.list_tokens(session, cli_principal(), username=name):
            state = "revoked" if token.revoked_at else "active"
            typer.echo(f"#{token.id}\t{token.name}\t{token.prefix}…\t{token.scopes}\t{state}")


@token_app.command("revoke", help="Revoke token ID.")
@friendly_errors
def token_revoke(token_id: int, data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        accounts.revoke(session, cli_principal(), token_id)
    typer.echo(f"token #{token_id} revoked")


# ---- audit --------------------------------------------------------------------------------------
@audit_app.command("verify", help="Recompute the hash chain; exit 1 and list the problems if it is broken.")
@friendly_errors
def audit_verify(data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        result = audit_log.verify_audit(session, cli_principal())
    if result["intact"]:
        typer.echo(f"chain intact: {result['rows']} rows")
        return
    typer.echo(f"chain BROKEN: {len(result['problems'])} problem(s) in {result['rows']} rows", err=True)
    for problem in result["problems"]:
        typer.echo(f"row {problem['row_id']}: {problem['kind']}: {problem['detail']}")
    raise typer.Exit(1)


# ---- import -------------------------------------------------------------------------------------
@import_app.command("enterprises", help="Import enterprises from .xlsx/.csv (matching on credit code).")
@friendly_errors
def import_enterprises(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".xlsx or .csv"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and count, write nothing"),
    mapping: list[str] = typer.Option([], "--map", help="源列=目标列 (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    data_dir: Path | None = DataDirOption,
) -> None:
    columns = registry_import.parse_mapping(mapping)
    with transaction(data_dir) as session:
        report = registry_import.import_enterprises(session, cli_principal(), file, columns or None, dry_run)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            typer.echo(f"row {problem.row}, column {problem.column}: {problem.reason}", err=True)
        if report.ignored_columns:
            typer.echo(f"ignored columns: {', '.join(report.ignored_columns)}", err=True)
        verb = "would create" if dry_run else "created"
        typer.echo(
            f"{report.file}: {report.rows} rows; {verb} {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}" + ("" if dry_run else "; committed" if report.committed else "")
        )
    if report.problems:
        raise fail(f"{len(report.problems)} problem(s); nothing was imported")


@import_app.command("enterprises-template", help="Write the empty enterprise import workbook to OUT.xlsx.")
@friendly_errors
def import_template(out: Path = typer.Argument(..., help="the .xlsx to write")) -> None:
    if out.exists():
        raise fail(f"{out} already exists")
    registry_import.write_import_template(out)
    typer.echo(f"template written: {out}")


# ---- regions ------------------------------------------------------------------------------------
@regions_app.command("seed", help="Seed the 31 provinces, and regions from a CSV (code,name[,parent_code]).")
@friendly_errors
def regions_seed(
    file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False, help="CSV of regions"),
    data_dir: Path | None = DataDirOption,
) -> None:
    specs = regions.shipped_provinces() + (regions.read_region_file(file) if file else [])
    with transaction(data_dir) as session:
        result = regions.seed_regions(session, cli_principal(), specs)
    typer.echo(f"regions: {result.created} added, {result.renamed} renamed, {result.unchanged} unchanged")
