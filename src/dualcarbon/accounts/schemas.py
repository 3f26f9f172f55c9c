"""Typed results of the accounts services: the caller's account, API tokens, users, the audit log.

The API returns them as they are (``response_model``); the pages and the command line read their
attributes. JSON keys are the API's contract. Times are ISO 8601 strings (``datetime.isoformat()``), as the
API has always written them; the end of a browser session is a datetime, as ``/auth/token`` writes it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from dualcarbon.core.vocab import Role


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- the caller -----------------------------------------------------------------------------------------
class RoleGrant(Schema):
    """One role of the caller with its scope, names resolved."""

    role: str
    role_label: str
    region_code: str | None
    region_name: str | None
    enterprise_credit_code: str | None
    enterprise_name: str | None


class AgencyEnterprise(Schema):
    credit_code: str
    name: str


class AccountSummary(Schema):
    """Who the caller is: username, display name, language, roles and the enterprises of an agency."""

    username: str
    display_name: str
    language: str
    roles: list[RoleGrant]
    agency_enterprises: list[AgencyEnterprise]


class BrowserLogin(AccountSummary):
    """The account after a browser login, with the end of its session."""

    expires_at: datetime | None


# ---- tokens ---------------------------------------------------------------------------------------------
class TokenItem(Schema):
    """An API token as shown to its owner: never the secret, only its first characters (``prefix``)."""

    id: int
    name: str
    prefix: str
    scopes: str
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class NewTokenItem(TokenItem):
    """A token just created, with its secret — shown this once."""

    token: str


class TokenList(Schema):
    items: list[TokenItem]
    total: int


# ---- users ----------------------------------------------------------------------------------------------
class UserRole(Schema):
    role: Role
    role_label: str
    region_code: str | None
    enterprise_id: int | None


class UserOut(Schema):
    """A user account as the administrator sees it."""

    username: str
    display_name: str | None
    disabled: bool
    language: str
    locked_until: str | None = Field(description="end of a lock after repeated wrong passwords")
    roles: list[UserRole]


class UserState(Schema):
    username: str
    disabled: bool


class AgencyAssignment(Schema):
    username: str
    credit_code: str


# ---- the audit log ----------------------------------------------------------------------------------------
class AuditEntry(Schema):
    """One row of the audit log: who did what to which entity, the state before and after, the chain hash."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, JsonValue] | None
    after: dict[str, JsonValue] | None
    row_hash: str


class AuditProblem(Schema):
    row_id: int
    kind: str
    detail: str


class AuditCheck(Schema):
    """Whether the audit log is intact (keyed chain, triggers, checkpoints), over how many rows, what is
    wrong where (``problems``), what a reader should know (``warnings``), and the newest checkpoint compared.
    """

    intact: bool
    rows: int
    problems: list[AuditProblem]
    warnings: list[AuditProblem] = []
    checkpoint_at: str | None = None
    checkpoint_rows: int | None = None
