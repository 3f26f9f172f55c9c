"""Persistence layer: SQLAlchemy models, migrations, sessions, audit chain, backup/restore.

Services build on this API::

    engine = init_store(data_dir)                # create/upgrade the database
    with session_scope(engine) as session:       # one transaction
        session.add(Enterprise(...))
        append_audit(session, "alice", "enterprise.create", "enterprise", ent.id, None, {...})

Models live in ``dualcarbon.store.models``.
"""

from dualcarbon.store.audit import AuditProblem, append_audit, audit_head, verify_audit_chain
from dualcarbon.store.backup import BackupError, backup, restore
from dualcarbon.store.db import (
    init_store,
    make_engine,
    resolve_data_dir,
    resolve_database_url,
    session_scope,
)
from dualcarbon.store.migrate import current_revision, head_revision, upgrade

__all__ = [
    "AuditProblem",
    "BackupError",
    "append_audit",
    "audit_head",
    "backup",
    "current_revision",
    "head_revision",
    "init_store",
    "make_engine",
    "resolve_data_dir",
    "resolve_database_url",
    "restore",
    "session_scope",
    "upgrade",
    "verify_audit_chain",
]
