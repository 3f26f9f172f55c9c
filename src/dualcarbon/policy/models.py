"""Policy packs imported into the platform, one row per version (``policy_pack_version``).

A pack (YAML, schema :class:`dualcarbon.reference.policy.PolicyPack`) imported by an administrator becomes
version 1, 2, … of its pack id; the text is stored as given with its SHA-256, so the identical file
imported twice is one version. The newest version of a pack id is the one in force; the shipped pack of
the same id (src/dualcarbon/reference/policies/) applies while none was imported. ``UNIQUE (pack_id,
version)`` makes two simultaneous imports of one pack safe: one wins, the other gets 409 and may retry.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.store.base import Base, utcnow


class PolicyPackVersion(Base):
    """One imported version of a policy pack (规则包)."""

    __tablename__ = "policy_pack_version"
    __table_args__ = (
        UniqueConstraint("pack_id", "version"),
        UniqueConstraint("pack_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    title_zh: Mapped[str] = mapped_column(String(300))
    jurisdiction: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
