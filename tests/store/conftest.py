"""Fixtures shared by the store tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def audit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Audit key and checkpoints of this test only (the attacker cannot reach them)."""
    files = {"key": tmp_path / "secret" / "audit.key", "checkpoints": tmp_path / "anchor" / "checkpoints.jsonl"}
    monkeypatch.setenv("DUALCARBON_AUDIT_KEY_FILE", str(files["key"]))
    monkeypatch.setenv("DUALCARBON_AUDIT_CHECKPOINT_FILE", str(files["checkpoints"]))
    monkeypatch.delenv("DUALCARBON_AUDIT_SINK_URL", raising=False)
    return files
