"""What anchors the audit chain outside the database: the key file, the checkpoint file, the sink.

* **Key** — 32 random bytes, hex, in ``DUALCARBON_AUDIT_KEY_FILE`` or else ``audit.key`` beside the SQLite
  file (PostgreSQL: in the data directory ``DUALCARBON_DATA_DIR``). Created with mode 0600 by the first
  append to a chain that has no keyed rows yet. Two keys are derived from it, one to chain rows
  (HMAC-SHA256) and one to sign checkpoints, so that neither signature can stand in for the other.
* **Checkpoints** — after every commit that appended audit rows, one JSON line ``{v, kind, store, rows,
  last_id, head, at, key_id, sig}`` is appended (fsynced moments later by a background thread) to
  ``DUALCARBON_AUDIT_CHECKPOINT_FILE`` or else ``audit-checkpoints.jsonl`` beside the key's default place.
  ``sig`` is an HMAC over the other fields. ``store`` tells databases apart when several share one file.
  ``kind`` is ``head`` or ``reset`` (written after a restore: the checkpoints before it describe a chain
  that no longer exists).
* **Sink** — when ``DUALCARBON_AUDIT_SINK_URL`` is set, each checkpoint is also POSTed there as JSON by a
  background thread (:mod:`dualcarbon.store.audit_sink`). A failing sink or checkpoint file is logged and
  never breaks the write that caused it (the database commit has already happened by then).

docs/audit.md says what these prove and what they cannot.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import URL, event, make_url
from sqlalchemy.orm import Session

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.store.audit_sink import flush_sink, send_to_sink
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import external_home, sqlite_path

log = logging.getLogger("dualcarbon.audit")

KEY_FILENAME = "audit.key"
CHECKPOINT_FILENAME = "audit-checkpoints.jsonl"
CHECKPOINT_FORMAT = 1
KEY_BYTES = 32
FSYNC_DELAY_SECONDS = 0.2  # checkpoint lines are fsynced at most this long after they are written
CheckpointKind = Literal["head", "reset"]

# Environment variables whose values decide the locations; only used as a cache key (the values themselves
# come from the settings object), because building the settings costs ~0.5 ms and this runs on every append.
_LOCATION_ENV = (
    "DUALCARBON_AUDIT_KEY_FILE",
    "DUALCARBON_AUDIT_CHECKPOINT_FILE",
    "DUALCARBON_AUDIT_SINK_URL",
    "DUALCARBON_DATA_DIR",
)


class AuditKeyError(DualcarbonError):
    """The audit key file is missing where keyed rows need it, or does not hold a key."""


@dataclass(frozen=True)
class AuditFiles:
    """Where one database's audit key and checkpoints are, and how it is named in the checkpoint file."""

    key_file: Path
    checkpoint_file: Path
    store: str
    sink_url: str | None


@dataclass(frozen=True)
class AuditKey:
    key_id: str  # first 16 hex digits of sha256(key): names the key without revealing it
    row_key: bytes
    checkpoint_key: bytes


@dataclass(frozen=True)
class Checkpoint:
    kind: CheckpointKind
    store: str
    rows: int
    last_id: int | None
    head: str
    at: str
    key_id: str
    note: str | None = None
    line: int = 0  # position in the checkpoint file (1-based), for messages


_files_cache: dict[tuple[URL, tuple[str, ...]], AuditFiles] = {}


def session_url(session: Session) -> URL:
    """The database URL a session talks to."""
    return session.get_bind().engine.url


def audit_files_for(url: URL | str) -> AuditFiles:
    """The key file, checkpoint file, store name and sink of the database at ``url``."""
    parsed = url if isinstance(url, URL) else make_url(url)
    cache_key = (parsed, tuple([os.environ.get(name, "") for name in _LOCATION_ENV]))
    found = _files_cache.get(cache_key)
    if found is not None:
        return found
    from dualcarbon.core.settings import get_settings

    settings = get_settings()
    db_file = sqlite_path(parsed)
    home = (db_file.parent if db_file is not None else external_home(parsed) or settings.data_dir).absolute()
    key_file = (settings.audit_key_file or home / KEY_FILENAME).absolute()
    checkpoint_file = (settings.audit_checkpoint_file or home / CHECKPOINT_FILENAME).absolute()
    found = AuditFiles(
        key_file, checkpoint_file, _store_name(parsed, db_file, checkpoint_file), settings.audit_sink_url
    )
    _files_cache[cache_key] = found
    return found


def _store_name(url: URL, db_file: Path | None, checkpoint_file: Path) -> str:
    if db_file is not None:
        db_file = db_file.absolute()
        # Relative when the checkpoints sit beside the database, so a moved data directory keeps its history.
        if db_file.parent == checkpoint_file.parent:
            return f"sqlite:{db_file.name}"
        return f"sqlite:{db_file}"
    if url.get_backend_name() == "sqlite":
        return "sqlite:memory"
    return f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


# ---- the key ------------------------------------------------------------------------------------------
_key_cache: dict[Path, tuple[tuple[int, int, int], AuditKey]] = {}
_key_lock = threading.Lock()


def _derive(secret: bytes) -> AuditKey:
    return AuditKey(
        key_id=hashlib.sha256(secret).hexdigest()[:16],
        row_key=hmac.new(secret, b"dualcarbon audit rows v1", hashlib.sha256).digest(),
        checkpoint_key=hmac.new(secret, b"dualcarbon audit checkpoints v1", hashlib.sha256).digest(),
    )


def _create_key(path: Path) -> None:
    # Write a private temporary file, then link it into place: readers never see a half-written key, and
    # of two processes creating it at once exactly one wins (link refuses an existing name).
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
        log.warning("created a new audit key at %s; back it up and keep it away from the database", path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def load_key(path: Path, *, create: bool = False) -> AuditKey | None:
    """The key in ``path``; None when the file does not exist (created first when ``create``)."""
    with _key_lock:
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            if not create:
                return None
            _create_key(path)
            stat = os.stat(path)
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = _key_cache.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        text = path.read_text(encoding="ascii", errors="replace").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""
        if len(secret) < KEY_BYTES:
            raise AuditKeyError(f"{path} does not hold an audit key ({KEY_BYTES * 2} hex digits)")
        key = _derive(secret)
        _key_cache[path] = (signature, key)
        return key


def cached_key(path: Path) -> AuditKey | None:
    """The key this process last read from ``path``, if any (used when the file vanished under a writer)."""
    cached = _key_cache.get(path)
    return None if cached is None else cached[1]


# ---- checkpoints -------------------------------------------------------------------------------------
def _signed_fields(checkpoint: Checkpoint) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": CHECKPOINT_FORMAT,
        "kind": checkpoint.kind,
        "store": checkpoint.store,
        "rows": checkpoint.rows,
        "last_id": checkpoint.last_id,
        "head": checkpoint.head,
        "at": checkpoint.at,
        "key_id": checkpoint.key_id,
    }
    if checkpoint.note is not None:
        fields["note"] = checkpoint.note
    return fields


def _signature(fields: dict[str, Any], key: AuditKey) -> str:
    message = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hmac.new(key.checkpoint_key, message, hashlib.sha256).hexdigest()


def write_checkpoint(
    files: AuditFiles,
    key: AuditKey,
    *,
    rows: int,
    last_id: int | None,
    head: str,
    kind: CheckpointKind = "head",
    note: str | None = None,
    sync: bool = True,
) -> dict[str, Any] | None:
    """Append one signed checkpoint and queue it for the sink; the record, or None if the file failed.

    ``sync``: fsync before returning. After a commit it is False: the line is written at once (it survives the
    process being killed), and a background thread fsyncs soon after, several lines at a time. On a busy
    disk an fsync costs as much as a whole report approval; and an fsynced checkpoint of a commit that SQLite
    (``synchronous=NORMAL``) then loses to a power cut would read as truncation.
    """
    checkpoint = Checkpoint(kind, files.store, rows, last_id, head, utcnow().isoformat(), key.key_id, note)
    record = _signed_fields(checkpoint)
    record["sig"] = _signature(record, key)
    line = (json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
    if files.sink_url:
        send_to_sink(files.sink_url, line)
    try:
        descriptor = _open_for_append(files.checkpoint_file)
        try:
            os.write(descriptor, line)  # one write of one line: appends from several processes do not mix
            if sync:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        log.error("audit checkpoint not written to %s: %s", files.checkpoint_file, exc)
        return None
    if not sync:
        _fsync_soon(files.checkpoint_file)
    return record


def _open_for_append(path: Path) -> int:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        return os.open(path, flags, 0o600)
    except FileNotFoundError:  # first checkpoint: make the folder (not on every call: it costs a stat)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return os.open(path, flags, 0o600)


_unsynced: set[Path] = set()
_unsynced_lock = threading.Lock()
_unsynced_event = threading.Event()
_fsync_thread: threading.Thread | None = None
_fsync_pid = 0


def _fsync_soon(path: Path) -> None:
    global _fsync_thread, _fsync_pid
    with _unsynced_lock:
        _unsynced.add(path)
        if _fsync_thread is None or _fsync_pid != os.getpid() or not _fsync_thread.is_alive():
            _fsync_thread = threading.Thread(target=_fsync_worker, name="audit-fsync", daemon=True)
            _fsync_pid = os.getpid()
            _fsync_thread.start()
    _unsynced_event.set()


def _fsync_worker() -> None:
    while True:
        _unsynced_event.wait()
        # Gather the commits of the next moment into one fsync; meanwhile setting the event wakes nobody,
        # which keeps a thread switch out of every commit.
        time.sleep(FSYNC_DELAY_SECONDS)
        _unsynced_event.clear()
        sync_checkpoints()


def sync_checkpoints() -> None:
    """fsync every checkpoint file written to without it so far."""
    with _unsynced_lock:
        paths = list(_unsynced)
        _unsynced.clear()
    for path in paths:
        try:
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as exc:
            log.error("audit checkpoint file %s not synced: %s", path, exc)


def read_checkpoints(files: AuditFiles, key: AuditKey | None) -> tuple[list[Checkpoint], list[str]]:
    """This store's checkpoints whose signature holds, in file order, and what is wrong with the others.

    Lines of other stores are skipped. Without a key no signature can be checked and nothing is returned.
    """
    valid: list[Checkpoint] = []
    invalid: list[str] = []
    try:
        text = files.checkpoint_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return valid, invalid
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if record.get("store") != files.store:
                continue
            checkpoint = Checkpoint(
                kind=record["kind"],
                store=record["store"],
                rows=int(record["rows"]),
                last_id=None if record["last_id"] is None else int(record["last_id"]),
                head=str(record["head"]),
                at=str(record["at"]),
                key_id=str(record["key_id"]),
                note=record.get("note"),
                line=number,
            )
            signature = str(record["sig"])
        except (ValueError, KeyError, TypeError, AttributeError):
            invalid.append(f"line {number}: not a checkpoint record")
            continue
        if key is None:
            continue
        if checkpoint.key_id != key.key_id:
            invalid.append(f"line {number}: signed with key {checkpoint.key_id}, the key file holds {key.key_id}")
        elif checkpoint.kind not in ("head", "reset") or not hmac.compare_digest(
            signature, _signature(_signed_fields(checkpoint), key)
        ):
            invalid.append(f"line {number}: signature does not match its content (edited or forged)")
        else:
            valid.append(checkpoint)
    return valid, invalid


# ---- after commit ------------------------------------------------------------------------------------
_PENDING = "dualcarbon.audit.pending_checkpoint"


def pending_files(session: Session) -> tuple[AuditFiles, AuditKey] | None:
    """The files and key of an append earlier in this transaction: later appends reuse them (cheaper)."""
    pending = session.info.get(_PENDING)
    return None if pending is None else (pending[0], pending[1])


def remember_head(session: Session, files: AuditFiles, key: AuditKey, rows: int, last_id: int, head: str) -> None:
    """Note the chain head appended in this transaction; a checkpoint of it is written once it commits."""
    session.info[_PENDING] = (files, key, rows, last_id, head)


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the rows are not committed until the outer transaction is
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        files, key, rows, last_id, head = pending
        write_checkpoint(files, key, rows=rows, last_id=last_id, head=head, sync=False)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: object) -> None:
    # Any rollback (also of a savepoint) may have taken the appended rows with it: no checkpoint then, since
    # naming a head that was never committed would later read as tampering.
    session.info.pop(_PENDING, None)


def _at_exit() -> None:
    sync_checkpoints()
    flush_sink(3.0)  # a short-lived command still delivers its checkpoints


atexit.register(_at_exit)
