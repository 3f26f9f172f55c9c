"""The demo workspace on disk: a fresh data directory, its store, the printed logins, serving it.

The store is the workspace's own SQLite file (``dualcarbon.sqlite3`` in the data directory), or — when
``DUALCARBON_DATABASE_URL`` is set — that database (e.g. PostgreSQL), which must then be *empty*: no user,
enterprise or audit row (:func:`open_store` refuses anything else, and ``--force`` never clears a database),
so a demo can never mix synthetic data into a database in use. The directory must be new or empty.
``force`` replaces an earlier *demo* workspace only — one holding the marker file the demo writes — never
another directory, so a mistyped ``--data-dir`` cannot delete data.

The generated passwords are printed once and also written to ``DEMO-LOGINS.txt`` (mode 0600) in the
workspace, because the server's log scrolls them away.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, Engine, func, inspect, make_url, select
from sqlalchemy import table as table_clause

from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.demo.build import DemoLogin
from dualcarbon.store.db import DATABASE_URL_ENV, SQLITE_FILENAME, init_store, make_engine, set_external_home

MARKER = ".dualcarbon-demo"
LOGINS_FILE = "DEMO-LOGINS.txt"
ROLE_ZH = {
    "admin": "系统管理员",
    "regulator": "监管部门",
    "reviewer": "评审专家",
    "enterprise": "企业用户",
    "agency": "服务机构",
}


@dataclass(frozen=True)
class Workspace:
    """The demo's data directory and, when not its own SQLite file, the database it builds into."""

    directory: Path
    external_url: str | None = None

    @property
    def database_url(self) -> str:
        if self.external_url:
            return self.external_url
        return URL.create("sqlite+pysqlite", database=str(self.directory / SQLITE_FILENAME)).render_as_string()

    @property
    def shown_database(self) -> str:
        """Where the data go, for messages (a URL without its password)."""
        return make_url(self.database_url).render_as_string(hide_password=True)


def prepare_workspace(directory: Path, *, force: bool = False, database_url: str | None = None) -> Workspace:
    """A new, empty demo workspace at ``directory`` (created). Conflict when it holds anything, unless
    ``force`` and it is an earlier demo workspace (then its contents are removed)."""
    directory = directory.absolute()
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"{directory} is a file, not a directory", field="data_dir")
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise Conflict(
                f"{directory} is not empty; choose a new --data-dir, or --force to replace an earlier demo",
                field="data_dir",
            )
        if not (directory / MARKER).exists():
            raise Conflict(
                f"{directory} is not a demo workspace (no {MARKER}); --force only replaces an earlier "
                "demo, remove this directory yourself if you mean it",
                field="data_dir",
            )
        for entry in directory.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("dualcarbon demo workspace: synthetic data, safe to delete\n", encoding="utf-8")
    return Workspace(directory, database_url or None)


# Tables whose rows show a database is in use (checked before the demo migrates or writes anything).
_IN_USE_TABLES = ("user_account", "enterprise", "audit_log")


def open_store(workspace: Workspace) -> Engine:
    """The migrated, empty store of the workspace. Conflict when an external database already holds data."""
    if workspace.external_url:
        _require_empty(workspace)
        set_external_home(workspace.external_url, workspace.directory)
    return init_store(workspace.database_url)


def _require_empty(workspace: Workspace) -> None:
    engine = make_engine(workspace.database_url)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            counts = {
                table: connection.execute(select(func.count()).select_from(table_clause(table))).scalar_one()
                for table in _IN_USE_TABLES
                if table in present
            }
    finally:
        engine.dispose()
    used = {table: count for table, count in counts.items() if count}
    if used:
        rows = ", ".join(f"{count} {table}" for table, count in used.items())
        raise Conflict(
            f"{workspace.shown_database} already holds data ({rows} rows); the demo builds only into an empty "
            f"database — create a new one for it, or unset {DATABASE_URL_ENV} to use the workspace's own SQLite",
            field=DATABASE_URL_ENV,
        )


def check_port_free(host: str, port: int) -> None:
    """Conflict when ``host:port`` cannot be bound (checked before a build that would end in that error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise Conflict(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port", field="port"
            ) from None


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def logins_text(logins: list[DemoLogin], url: str) -> str:
    """The plain-text logins file: one line per user, tab-separated."""
    lines = [f"dualcarbon demo — {url}", "username\trole\tscope\tpassword"]
    lines += [f"{login.username}\t{login.role}\t{login.scope}\t{login.password}" for login in logins]
    return "\n".join(lines) + "\n"


def write_logins(workspace: Workspace, logins: list[DemoLogin], url: str) -> Path:
    """``DEMO-LOGINS.txt`` in the workspace, readable by its owner only."""
    path = workspace.directory / LOGINS_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(logins_text(logins, url), encoding="utf-8")
    return path
