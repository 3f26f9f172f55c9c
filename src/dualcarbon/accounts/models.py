"""Users, their role assignments (scoped to a region subtree or one enterprise), agency links, API tokens.

The store keeps hashes only: ``password_hash`` is an argon2 string and ``token_hash`` a sha256 hex,
both computed by the services layer; a plain password or token never reaches the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dualcarbon.core.vocab import LANGUAGES, ROLES, Language, Role
from dualcarbon.store.base import Base, one_of_sql, utcnow


class User(Base):
    """A person or machine account that signs in (table ``user_account``: ``user`` is reserved in SQL)."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(one_of_sql("language", LANGUAGES), name="language_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: cannot sign in with a password
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[Language] = mapped_column(String(2), default="zh")
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )


class RoleAssignment(Base):
    """A role held by a user, scoped to a region subtree (``region_code``), one enterprise, or everything.

    Both scopes empty means unscoped (an admin, or the public reader).
    """

    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint(one_of_sql("role", ROLES), name="role_known"),
        CheckConstraint("region_code IS NULL OR enterprise_id IS NULL", name="single_scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))

    user: Mapped[User] = relationship(back_populates="roles")


class AgencyAssignment(Base):
    """A service agency (节能诊断/审计机构) user assigned to an enterprise it may file reports for."""

    __tablename__ = "agency_assignment"
    __table_args__ = (UniqueConstraint("user_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)


class ApiToken(Base):
    """A machine-client token: only its sha256 ``token_hash`` and its first 8 characters are kept.

    ``scopes`` is a space-separated list (OAuth style).
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    scopes: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    user: Mapped[User] = relationship(back_populates="api_tokens")
