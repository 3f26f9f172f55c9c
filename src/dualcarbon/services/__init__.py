"""Use cases: one transaction each, permission-checked, audit-logged. UI, API and CLI call these only."""
