"""The alert candidate every detector of :mod:`.service_detect` returns (one module, so detectors split over
several modules share it without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Candidate:
    """An alert a detector would raise: its source, de-duplication key, enterprise, level, title and detail."""

    source: str
    key: str
    enterprise_id: int
    level: str
    title_zh: str
    detail: dict[str, Any] = field(default_factory=dict)
    meter_id: int | None = None
