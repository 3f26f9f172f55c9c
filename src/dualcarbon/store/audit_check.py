"""The whole audit check: the keyed chain, the append-only triggers, and the chain against its checkpoints.

:func:`check_audit_log` is what ``dualcarbon audit verify``, ``GET /api/v1/audit/verify`` and the audit page
report. Problems make the log fail the check; warnings are facts a reader should know (legacy unkeyed
rows, no checkpoint yet of a log of legacy rows only, checkpoints reset by a restore) but are not evidence of
tampering. Keyed rows with no checkpoint file at all is a problem (``checkpoints_missing``): every commit that
writes keyed rows writes a checkpoint, so a missing file means it was deleted or is not configured here.

Checkpoints are compared only from the newest ``reset`` on (a restore replaces the chain). Among them:

* truncated — the newest checkpoint recorded more rows, or a higher head id, than the chain has now; or
  the row a checkpoint names is gone;
* rechained — the row a checkpoint names is there but with another hash or position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from dualcarbon.store.audit import AuditProblem, ProblemKind, walk_chain
from dualcarbon.store.audit_files import (
    AuditFiles,
    Checkpoint,
    audit_files_for,
    load_key,
    read_checkpoints,
    session_url,
    write_checkpoint,
)
from dualcarbon.store.models import AuditLog

MAX_CHECKPOINT_PROBLEMS = 10  # per kind; the rest are counted in one more line

# Trigger name → what its definition must contain (whitespace-normalised, upper case).
SQLITE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "audit_log_no_update": ("BEFORE UPDATE ON AUDIT_LOG", "RAISE(ABORT"),
    "audit_log_no_delete": ("BEFORE DELETE ON AUDIT_LOG", "RAISE(ABORT"),
}
POSTGRESQL_TRIGGERS: dict[str, tuple[str, ...]] = {
    "audit_log_append_only": ("BEFORE DELETE OR UPDATE ON", "FOR EACH ROW", "RAISE EXCEPTION"),
    "audit_log_no_truncate": ("BEFORE TRUNCATE ON", "RAISE EXCEPTION"),
}
#: What each trigger refuses, for the message when it is gone.
TRIGGER_REFUSES = {
    "audit_log_no_update": "UPDATE",
    "audit_log_no_delete": "DELETE",
    "audit_log_append_only": "UPDATE/DELETE",
    "audit_log_no_truncate": "TRUNCATE",
}


@dataclass
class AuditReport:
    """The outcome of :func:`check_audit_log`."""

    rows: int
    problems: list[AuditProblem] = field(default_factory=list)
    warnings: list[AuditProblem] = field(default_factory=list)
    head_id: int | None = None
    checkpoint: Checkpoint | None = None  # the newest valid checkpoint compared with the chain

    @property
    def intact(self) -> bool:
        return not self.problems


def _normalised(sql: str | None) -> str:
    return " ".join((sql or "").upper().split())


def trigger_problems(connection: Connection | Session) -> list[AuditProblem]:
    """One ``triggers_missing`` problem per append-only trigger that is absent, disabled or defused."""
    dialect = connection.get_bind().dialect.name if isinstance(connection, Session) else connection.dialect.name
    problems: list[AuditProblem] = []
    if dialect == "sqlite":
        found = {
            name: (_normalised(sql), True)
            for name, sql in connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
            )
        }
        expected = SQLITE_TRIGGERS
    elif dialect == "postgresql":
        found = {
            name: (_normalised(f"{definition} {body}"), enabled != "D")
            for name, enabled, definition, body in connection.execute(
                text(
                    "SELECT t.tgname, t.tgenabled, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t"
                    " JOIN pg_proc p ON p.oid = t.tgfoid"
                    " WHERE t.tgrelid = 'audit_log'::regclass AND NOT t.tgisinternal"
                )
            )
        }
        expected = POSTGRESQL_TRIGGERS
    else:
        return problems
    for name, needles in expected.items():
        if name not in found:
            refused = TRIGGER_REFUSES.get(name, "UPDATE/DELETE")
            problems.append(AuditProblem(0, "triggers_missing", f"{name} is missing: {refused} no longer refused"))
            continue
        definition, enabled = found[name]
        if not enabled:
            problems.append(AuditProblem(0, "triggers_missing", f"{name} is disabled"))
        elif not all(needle in definition for needle in needles):
            problems.append(AuditProblem(0, "triggers_missing", f"{name} was altered: it no longer refuses"))
    return problems


def check_audit_log(session: Session) -> AuditReport:
    """Check the chain with the key, the triggers, and the chain against this store's checkpoints."""
    files = audit_files_for(session_url(session))
    key = load_key(files.key_file)
    checkpoints, invalid = read_checkpoints(files, key)
    resets = [index for index, checkpoint in enumerate(checkpoints) if checkpoint.kind == "reset"]
    current = checkpoints[resets[-1] :] if resets else checkpoints
    wanted = frozenset(c.last_id for c in current if c.last_id is not None)
    walk = walk_chain(session, key, wanted=wanted)
    report = AuditReport(rows=walk.rows, head_id=walk.head_id)
    report.problems.extend(trigger_problems(session))
    report.problems.extend(p for p in walk.problems if p.kind != "key_missing")
    key_needed = any(p.kind == "key_missing" for p in walk.problems) or files.checkpoint_file.exists()
    if key is None and key_needed:
        missing = f"no key at {files.key_file}: keyed rows and checkpoints cannot be checked"
        report.problems.insert(0, AuditProblem(0, "key_missing", missing))
    _limited(report.problems, "checkpoint_invalid", [f"{files.checkpoint_file} {reason}" for reason in invalid])
    _compare_with_checkpoints(report, walk.found, current)
    if key is not None:  # without a key no checkpoint could be read: key_missing says so already
        _no_checkpoint_of_keyed_rows(report, files, current, walk.rows - walk.legacy_rows)
        _add_warnings(report, files, current, resets, checkpoints)
    if walk.legacy_rows:
        report.warnings.insert(
            0,
            AuditProblem(
                0,
                "legacy_rows",
                f"{walk.legacy_rows} rows were written before the chain was keyed: their plain SHA-256 hashes"
                " expose an edit of one row, not a chain recomputed from that row on",
            ),
        )
    return report


def _limited(
    problems: list[AuditProblem], kind: ProblemKind, details: list[str], row_ids: list[int] | None = None
) -> None:
    for index, detail in enumerate(details[:MAX_CHECKPOINT_PROBLEMS]):
        problems.append(AuditProblem(row_ids[index] if row_ids else 0, kind, detail))
    if len(details) > MAX_CHECKPOINT_PROBLEMS:
        more = len(details) - MAX_CHECKPOINT_PROBLEMS
        problems.append(AuditProblem(0, kind, f"… and {more} more checkpoints like these"))


def _describe(checkpoint: Checkpoint) -> str:
    return f"checkpoint of {checkpoint.at} (line {checkpoint.line}: {checkpoint.rows} rows up to #{checkpoint.last_id})"


def _compare_with_checkpoints(
    report: AuditReport, found: dict[int, tuple[str, int | None, int]], current: list[Checkpoint]
) -> None:
    if not current:
        return
    newest = max(current, key=lambda c: (c.rows, c.last_id or 0))
    report.checkpoint = newest
    head_id = report.head_id or 0
    if newest.rows > report.rows or (newest.last_id or 0) > head_id:
        now = f"{report.rows} rows up to #{report.head_id}" if report.head_id else "0 rows"
        report.problems.append(
            AuditProblem(
                newest.last_id or 0,
                "truncated",
                f"{_describe(newest)}; the chain now has {now}: rows were deleted after that checkpoint",
            )
        )
    missing: list[str] = []
    missing_ids: list[int] = []
    changed: list[str] = []
    changed_ids: list[int] = []
    for checkpoint in current:
        if checkpoint.last_id is None or checkpoint.last_id > head_id:
            continue  # an empty chain, or covered by the truncation above
        row = found.get(checkpoint.last_id)
        if row is None:
            missing.append(f"row #{checkpoint.last_id} named by {_describe(checkpoint)} is gone")
            missing_ids.append(checkpoint.last_id)
        elif row[0] != checkpoint.head or (row[1] is not None and row[1] != checkpoint.rows):
            changed.append(f"row #{checkpoint.last_id} differs from {_describe(checkpoint)}: the chain was rewritten")
            changed_ids.append(checkpoint.last_id)
    _limited(report.problems, "truncated", missing, missing_ids)
    _limited(report.problems, "rechained", changed, changed_ids)


def _no_checkpoint_of_keyed_rows(report: AuditReport, files: AuditFiles, current: list[Checkpoint], keyed: int) -> None:
    """Keyed rows are checkpointed after every commit that wrote them: when the checkpoint file itself is gone,
    truncation can no longer be checked, and that is itself a finding — as a missing key is. (A file that exists
    but holds no line of this store stays a note: a copied database, or lines trimmed by someone who can write
    the file, which docs/audit.md lists among what the check cannot prove.)"""
    if keyed <= 0 or current or files.checkpoint_file.exists():
        return
    report.problems.append(
        AuditProblem(
            0,
            "checkpoints_missing",
            f"{keyed} keyed rows exist but the checkpoint file {files.checkpoint_file} is missing: it was deleted,"
            " or this process reads another file (DUALCARBON_AUDIT_CHECKPOINT_FILE); deleted newest rows cannot"
            " be detected. Once the cause is known, `dualcarbon audit checkpoint` anchors the current head again",
        )
    )


def _add_warnings(
    report: AuditReport, files: AuditFiles, current: list[Checkpoint], resets: list[int], checkpoints: list[Checkpoint]
) -> None:
    if report.rows and not current and not any(p.kind == "checkpoints_missing" for p in report.problems):
        report.warnings.append(
            AuditProblem(0, "no_checkpoint", f"no checkpoint of this store in {files.checkpoint_file} yet")
        )
    elif report.checkpoint is not None and report.head_id and (report.checkpoint.last_id or 0) < report.head_id:
        report.warnings.append(
            AuditProblem(
                report.head_id,
                "unanchored_rows",
                f"{report.rows - report.checkpoint.rows} newest rows are not covered by a checkpoint yet",
            )
        )
    if resets:
        reset = checkpoints[resets[-1]]
        report.warnings.append(
            AuditProblem(0, "checkpoints_reset", f"checkpoints were reset at {reset.at}: {reset.note or 'no reason'}")
        )


def checkpoint_now(session: Session, *, kind: str = "head", note: str | None = None) -> dict[str, object] | None:
    """Write a checkpoint of the committed head now (``audit checkpoint``; ``reset`` after a restore).

    Returns the record, or None when there is no key to sign with (an empty store with no key yet).
    """
    files = audit_files_for(session_url(session))
    head = session.execute(select(AuditLog.id, AuditLog.row_hash, AuditLog.seq).order_by(AuditLog.id.desc()).limit(1))
    row = head.first()
    has_keyed_rows = row is not None and row.seq is not None
    key = load_key(files.key_file, create=not has_keyed_rows)
    if key is None:
        return None
    rows = row.seq if row is not None and row.seq is not None else _count(session)
    return write_checkpoint(
        files,
        key,
        rows=rows,
        last_id=None if row is None else row.id,
        head=row.row_hash if row is not None else "0" * 64,
        kind="reset" if kind == "reset" else "head",
        note=note,
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count(AuditLog.id))) or 0


def reset_checkpoints(engine: Engine, note: str) -> None:
    """After a restore: a signed ``reset`` checkpoint of the restored head, so older ones no longer count."""
    with Session(bind=engine) as session:
        checkpoint_now(session, kind="reset", note=note)
