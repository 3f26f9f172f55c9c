"""Backup and restore of a whole store: the database plus the data directory's other files.

A backup is a folder, or the same folder packed as ``.tar.gz`` / ``.tgz``, holding::

    manifest.json        format, backend, time, Alembic revision
    database.sqlite3     SQLite: consistent snapshot taken with the sqlite3 backup API
    database.pgdump      PostgreSQL: ``pg_dump -Fc`` custom-format dump
    files/               everything else in the data directory (e.g. parquet/), when one was given

SQLite snapshots are taken while other connections keep writing. Restore writes through the same backup
API, so a SQLite target may even be open elsewhere; PostgreSQL is restored with
``pg_restore --clean --if-exists --single-transaction`` (all or nothing). Restore refuses a target that
already holds data unless ``force=True``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, make_url, text

from dualcarbon.store.base import utcnow
from dualcarbon.store.db import (
    is_database_url,
    make_engine,
    resolve_database_url,
    sqlite_path,
)
from dualcarbon.store.generation import GENERATION_TABLE
from dualcarbon.store.migrate import alembic_config, current_revision

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRESQL_MEMBER = "database.pgdump"
FILES_DIR = "files"
BACKUP_FORMAT = 1
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
_STAGING_PREFIX = ".dualcarbon-backup-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup(source: Path | str, dest: Path) -> Path:
    """Back up ``source`` (a data directory, or a database URL) to ``dest`` and return ``dest``.

    ``dest`` ending in ``.tar.gz``/``.tgz`` becomes an archive, anything else a new folder; an existing
    ``dest`` is never overwritten, and a failed backup leaves nothing at ``dest``.
    """
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new backup name")
    url, data_dir = _resolve(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=_STAGING_PREFIX))
    try:
        _write_backup(url, data_dir, staging, exclude=dest)
        if _is_archive(dest):
            partial = _partial(dest)
            with tarfile.open(partial, "w:gz") as archive:
                for entry in sorted(staging.iterdir()):
                    archive.add(entry, arcname=entry.name)
            partial.replace(dest)
        else:
            staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _partial(dest).unlink(missing_ok=True)
    return dest


def restore(archive: Path, target: Path | str, *, force: bool = False) -> None:
    """Restore the backup ``archive`` (folder or .tar.gz) into ``target`` (data directory or URL).

    Refuses when the target database has rows or the target data directory has other files, unless
    ``force``; then the target's database content and files are replaced by the backup's.
    """
    archive = Path(archive)
    if not archive.exists():
        raise BackupError(f"backup {archive} does not exist")
    url, data_dir = _resolve(target)
    with tempfile.TemporaryDirectory(prefix=".dualcarbon-restore-") as unpacked:
        folder = _unpack(archive, Path(unpacked))
        manifest = _read_manifest(folder)
        backend = make_url(url).get_backend_name()
        if manifest["backend"] != backend:
            raise BackupError(f"backup is of a {manifest['backend']} store; the target is {backend}")
        if not force:
            _refuse_non_empty(url, data_dir)
        if backend == "sqlite":
            _restore_sqlite(folder / SQLITE_MEMBER, _sqlite_file(url))
        else:
            _run_pg_tool(
                "pg_restore",
                ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"],
                url,
                folder / POSTGRESQL_MEMBER,
            )
        if data_dir is not None:
            _restore_files(folder / FILES_DIR, data_dir, keep=_sqlite_file(url) if backend == "sqlite" else None)
    _reset_audit_checkpoints(url, f"restore of backup {archive.name} taken {manifest.get('created_at', '?')}")


def _reset_audit_checkpoints(url: str, note: str) -> None:
    # The restored audit chain ends where the backup was taken; checkpoints written since would now read as
    # truncation. A signed reset checkpoint records the restore (visible in `audit verify`, and at the sink).
    from dualcarbon.store.audit_check import reset_checkpoints

    engine = make_engine(url)
    try:
        reset_checkpoints(engine, note)
    finally:
        engine.dispose()


def _partial(archive: Path) -> Path:
    return archive.with_name(archive.name + ".partial")


def _resolve(target: Path | str) -> tuple[str, Path | None]:
    if is_database_url(target):
        return str(target), None
    data_dir = Path(target)
    return resolve_database_url(data_dir), data_dir


def _is_archive(path: Path) -> bool:
    return path.name.endswith(_ARCHIVE_SUFFIXES)


def _sqlite_file(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BackupError(f"{url}: in-memory SQLite cannot be backed up or restored")
    return path


def _write_backup(url: str, data_dir: Path | None, folder: Path, exclude: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    db_file: Path | None = None
    if backend == "sqlite":
        db_file = _sqlite_file(url)
        if not db_file.exists():
            raise BackupError(f"no database at {db_file}; nothing to back up")
        revision = _snapshot_sqlite(db_file, folder / SQLITE_MEMBER)
    elif backend == "postgresql":
        _run_pg_tool("pg_dump", ["--format=custom", f"--file={folder / POSTGRESQL_MEMBER}"], url)
        revision = _revision_of(url)
    else:
        raise BackupError(f"backup of a {backend} database is not supported (SQLite and PostgreSQL are)")
    has_files = False
    if data_dir is not None and data_dir.is_dir():
        has_files = True
        _copy_data_files(
            data_dir,
            folder / FILES_DIR,
            skip=_sqlite_files(db_file) | {exclude.absolute(), _partial(exclude).absolute()},
        )
    manifest = {
        "format": BACKUP_FORMAT,
        "backend": backend,
        "created_at": utcnow().isoformat(),
        "alembic_revision": revision,
        "database": SQLITE_MEMBER if backend == "sqlite" else POSTGRESQL_MEMBER,
        "files": has_files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _snapshot_sqlite(source: Path, dest: Path) -> str | None:
    """Copy ``source`` to ``dest`` consistently; return the snapshot's Alembic revision."""
    # One backup step (pages=-1) copies the whole database under a single read transaction: a
    # consistent snapshot, while WAL lets other connections keep committing.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
        check = dst.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"snapshot of {source} failed its integrity check: {check}")
        try:
            row = dst.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # never migrated
            return None
        return None if row is None else str(row[0])
    finally:
        dst.close()
        src.close()


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    if not snapshot.exists():
        raise BackupError(f"backup has no {SQLITE_MEMBER}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(snapshot)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def _sqlite_files(db_file: Path | None) -> set[Path]:
    """The database file and its WAL/SHM/journal companions (empty set for PostgreSQL)."""
    if db_file is None:
        return set()
    return {Path(f"{db_file.absolute()}{suffix}") for suffix in _SQLITE_SIDE_FILES}


def _copy_data_files(data_dir: Path, dest: Path, skip: set[Path]) -> None:
    # ``skip`` holds the live database files and the backup being written (which may itself sit
    # inside the data directory): copying those would be inconsistent or recursive.
    def skipped(path: Path) -> bool:
        return path.absolute() in skip or path.name.startswith(_STAGING_PREFIX)

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {name for name in names if skipped(Path(directory) / name)}

    dest.mkdir(parents=True, exist_ok=True)
    for entry in sorted(data_dir.iterdir()):
        if skipped(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, dest / entry.name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(entry, dest / entry.name, follow_symlinks=False)


def _restore_files(files: Path, data_dir: Path, keep: Path | None) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    kept = _sqlite_files(keep)
    for entry in data_dir.iterdir():
        if entry.absolute() in kept:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if files.is_dir():
        shutil.copytree(files, data_dir, symlinks=True, dirs_exist_ok=True)


def _unpack(archive: Path, into: Path) -> Path:
    if archive.is_dir():
        return archive
    if not _is_archive(archive):
        raise BackupError(f"{archive} is neither a backup folder nor a .tar.gz backup")
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # Python < 3.11.4: refuse members that would escape the folder
            for member in tar.getmembers():
                if member.name.startswith("/") or ".." in Path(member.name).parts:
                    raise BackupError(f"unsafe path {member.name!r} in {archive}")
            tar.extractall(into)
    return into


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a dualcarbon backup (no {MANIFEST})") from None
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported (expected {BACKUP_FORMAT})")
    revision = manifest.get("alembic_revision")
    if revision is not None:
        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(revision)
        except CommandError:
            raise BackupError(f"backup schema revision {revision!r} is newer than this dualcarbon") from None
    return manifest


def _refuse_non_empty(url: str, data_dir: Path | None) -> None:
    db_file = sqlite_path(url)
    if data_dir is not None and data_dir.is_dir():
        database_files = _sqlite_files(db_file)
        others = sorted(e.name for e in data_dir.iterdir() if e.absolute() not in database_files)
        if others:
            raise BackupError(f"target {data_dir} is not empty ({', '.join(others[:5])}); use force")
    if db_file is not None and not db_file.exists():
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                if table in ("alembic_version", GENERATION_TABLE):  # bookkeeping a migrated store holds
                    continue
                quoted = connection.dialect.identifier_preparer.quote(table)
                if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:
                    raise BackupError(f"target database already holds data (table {table}); use force")
    finally:
        engine.dispose()


def _libpq_environment(url: str) -> tuple[dict[str, str], str]:
    parsed = make_url(url)
    env = dict(os.environ)
    settings = {
        "PGHOST": parsed.host,
        "PGPORT": None if parsed.port is None else str(parsed.port),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,  # via the environment: never on a command line visible in ps
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    env.update({key: str(value) for key, value in settings.items() if value})
    if not parsed.database:
        raise BackupError(f"{parsed.render_as_string()}: no database name in the URL")
    return env, parsed.database


def _run_pg_tool(tool: str, options: list[str], url: str, input_file: Path | None = None) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} not found on PATH; install the PostgreSQL client tools matching the server "
            "(Debian/Ubuntu: apt install postgresql-client)"
        )
    env, database = _libpq_environment(url)
    command = [executable, *options, f"--dbname={database}"]
    if input_file is not None:
        if not input_file.exists():
            raise BackupError(f"backup has no {input_file.name}")
        command.append(str(input_file))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()}")
