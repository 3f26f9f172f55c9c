"""The workspace from a shell: ``init``, ``backup``, ``restore``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, fail, friendly_errors, lazy_import

if TYPE_CHECKING:
    from dualcarbon.registry import service_regions as regions
else:
    regions = lazy_import("dualcarbon.registry.service_regions")


def register(app: typer.Typer) -> None:
    """Add ``init``, ``backup`` and ``restore`` to the top-level ``dualcarbon`` command."""
    app.command("init", help="Create the data directory and database (idempotent) and seed the provinces.")(init)
    app.command("backup", help="Back up the store to DEST (a new folder, or DEST.tar.gz).")(backup)
    app.command("restore", help="Restore a backup into the store (refuses a non-empty store without --force).")(restore)


def _describe(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


@friendly_errors
def init(data_dir: Path | None = DataDirOption) -> None:
    from dualcarbon.store.db import init_store, resolve_data_dir, resolve_database_url, session_scope

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
    from dualcarbon.store.audit_files import audit_files_for

    audit = audit_files_for(resolve_database_url(directory))
    typer.echo(f"audit key: {audit.key_file} (back it up, away from the database; docs/audit.md)")
    typer.echo(f"audit checkpoints: {audit.checkpoint_file}")


@friendly_errors
def backup(
    dest: Path = typer.Argument(..., help="new folder, or a file ending in .tar.gz"),
    data_dir: Path | None = DataDirOption,
) -> None:
    from dualcarbon.store.backup import BackupError
    from dualcarbon.store.backup import backup as make_backup
    from dualcarbon.store.db import resolve_data_dir

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
    from dualcarbon.store.db import resolve_data_dir, resolve_database_url

    directory = resolve_data_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        restore_backup(archive, directory, force=force)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"restored {archive} into {_describe(resolve_database_url(directory))}")
