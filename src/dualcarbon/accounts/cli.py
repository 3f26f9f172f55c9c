"""Users, tokens and the audit log from a shell: ``user …``, ``token …``, ``audit verify``.

Every command finds the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` (SQLite in that directory) or
by ``DUALCARBON_DATABASE_URL`` (PostgreSQL). Commands act as an administrator whose audit name is
``cli:<os user>``: whoever can run them already holds the database files. Errors print one line on stderr
and exit with code 2. Passwords are read from stdin (``--password-stdin``), never from an argument.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.core.access import ROLE_LABELS_ZH
from dualcarbon.core.vocab import ROLES
from dualcarbon.ui.commands import DataDirOption, cli_principal, fail, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.accounts import service as accounts
    from dualcarbon.accounts import service_audit as audit_log
    from dualcarbon.accounts import service_auth as auth
else:
    accounts = lazy_import("dualcarbon.accounts.service")
    audit_log = lazy_import("dualcarbon.accounts.service_audit")
    auth = lazy_import("dualcarbon.accounts.service_auth")

user_app = typer.Typer(help="Users: add (password on stdin), list, disable, enable.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for machine clients.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``user``, ``token`` and ``audit`` to the top-level ``dualcarbon`` command."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(audit_app, name="audit")


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
    _set_disabled(name, data_dir, disabled=True)


@user_app.command("enable", help="Enable a disabled user.")
@friendly_errors
def user_enable(name: str, data_dir: Path | None = DataDirOption) -> None:
    _set_disabled(name, data_dir, disabled=False)


def _set_disabled(name: str, data_dir: Path | None, *, disabled: bool) -> None:
    with transaction(data_dir) as session:
        auth.set_disabled(session, cli_principal(), name, disabled)
    typer.echo(f"user {name} {'disabled' if disabled else 'enabled'}")


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
@audit_app.command(
    "verify",
    help="Check the keyed chain, the append-only triggers and the checkpoints kept outside the database; "
    "exit 1 and list the problems if anything is wrong.",
)
@friendly_errors
def audit_verify(data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir, write=False) as session:  # read-only: never takes (nor waits for) the write lock
        result = audit_log.verify_audit(session, cli_principal())
    if result.intact:
        typer.echo(f"chain intact: {result.rows} rows")
    else:
        typer.echo(f"audit log BROKEN: {len(result.problems)} problem(s) in {result.rows} rows", err=True)
        for problem in result.problems:
            where = f"row {problem.row_id}" if problem.row_id else "log"
            typer.echo(f"{where}: {problem.kind}: {problem.detail}")
    if result.checkpoint_at:
        typer.echo(f"newest checkpoint: {result.checkpoint_rows} rows at {result.checkpoint_at}")
    for warning in result.warnings:
        typer.echo(f"note: {warning.kind}: {warning.detail}")
    if not result.intact:
        raise typer.Exit(1)


@audit_app.command("checkpoint", help="Write a signed checkpoint of the audit head now (file, and sink if set).")
@friendly_errors
def audit_checkpoint(data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        record = audit_log.checkpoint_audit(session, cli_principal())
    if record is None:
        raise fail("no checkpoint written: the audit key file is missing (see docs/audit.md)", code=1)
    typer.echo(f"checkpoint: {record['rows']} rows up to #{record['last_id']}")
