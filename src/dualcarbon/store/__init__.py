"""Persistence layer: SQLAlchemy models, migrations, sessions, audit chain, backup/restore.

Services build on this API::

    engine = init_store(data_dir)                # create/upgrade the database
    with session_scope(engine) as session:       # one transaction
        session.add(Enterprise(...))
        append_audit(session, "alice", "enterprise.create", "enterprise", ent.id, None, {...})

Subject models live in each subject's ``models.py``; ``store.models`` holds the audit log and jobs.
Nothing is imported here: import the module you need (``dualcarbon.store.db``, ``.audit``, ``.backup``).
"""
