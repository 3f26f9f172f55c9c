"""Administration resources: the audit log and its chain check, users, and the region tree.

* ``GET /api/v1/audit`` — admin: every row; regulator: rows about enterprises in its subtree only.
* ``GET /api/v1/audit/verify`` — admin: recompute the hash chain.
* ``GET/POST /api/v1/users``, ``POST /api/v1/users/{username}/disable|enable``,
  ``POST /api/v1/users/{username}/agency`` — admin, or a regulator over that enterprise.
* ``GET /api/v1/regions`` — the GB/T 2260 tree for pickers (public facts, no login);
  ``POST /api/v1/regions`` — admin adds regions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.accounts import service as accounts
from dualcarbon.accounts import service_audit as audit_log
from dualcarbon.accounts import service_auth as auth
from dualcarbon.accounts.schemas import AgencyAssignment, AuditCheck, AuditEntry, UserOut, UserState
from dualcarbon.core.vocab import Role
from dualcarbon.registry import service_regions as regions
from dualcarbon.registry.schemas import RegionsSeeded, RegionTree
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Page, Paging

router = APIRouter(prefix=API_PREFIX, tags=["admin"])


# ---- audit --------------------------------------------------------------------------------------
@router.get(
    "/audit",
    response_model=Page[AuditEntry],
    summary="Audit log, newest first (admin; regulators: enterprises in scope)",
)
def list_audit(
    caller: Caller,
    session: DbSession,
    page: Paging,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="exact action, or a prefix ending in '.'")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    query = audit_log.AuditQuery(entity, entity_id, actor, action, since, until)
    items, total = audit_log.list_audit(session, caller, query, limit=page.limit, offset=page.offset)
    return Page[AuditEntry].of(items, total, page)


@router.get("/audit/verify", response_model=AuditCheck, summary="Check the audit hash chain (admin)")
def verify_audit(caller: Caller, session: DbSession) -> AuditCheck:
    return audit_log.verify_audit(session, caller)


# ---- users --------------------------------------------------------------------------------------
class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=auth.MIN_PASSWORD_LENGTH, max_length=1024)
    role: Role
    display_name: str | None = Field(default=None, max_length=100)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="6-digit region code")
    enterprise_credit_code: str | None = None
    language: Literal["zh", "en"] = "zh"


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credit_code: str


@router.get("/users", response_model=Page[UserOut], summary="Users and their roles (admin)")
def list_users(caller: Caller, session: DbSession, page: Paging) -> Page[UserOut]:
    users = auth.list_users(session, caller)
    items = [accounts.user_item(u, roles) for u, roles in users[page.offset : page.offset + page.limit]]
    return Page[UserOut].of(items, len(users), page)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    summary="Create a user with one role (admin)",
)
def create_user(body: UserIn, caller: Caller, session: DbSession) -> UserOut:
    user = auth.create_user(session, caller, auth.NewUser(**body.model_dump()))
    return accounts.user_item(user, list(user.roles))


@router.post(
    "/users/{username}/disable", response_model=UserState, summary="Disable a user and revoke its tokens (admin)"
)
def disable_user(username: str, caller: Caller, session: DbSession) -> UserState:
    auth.set_disabled(session, caller, username, True)
    return UserState(username=username, disabled=True)


@router.post("/users/{username}/enable", response_model=UserState, summary="Enable a disabled user (admin)")
def enable_user(username: str, caller: Caller, session: DbSession) -> UserState:
    auth.set_disabled(session, caller, username, False)
    return UserState(username=username, disabled=False)


@router.post(
    "/users/{username}/agency",
    status_code=status.HTTP_201_CREATED,
    response_model=AgencyAssignment,
    summary="Assign an enterprise to a service-agency user (admin, regulator over that enterprise)",
)
def assign_agency(username: str, body: AgencyIn, caller: Caller, session: DbSession) -> AgencyAssignment:
    credit_code = body.credit_code.strip().upper()
    accounts.assign_agency(session, caller, username, credit_code)
    return AgencyAssignment(username=username, credit_code=credit_code)


# ---- regions ------------------------------------------------------------------------------------
class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str = Field(min_length=1, max_length=100)
    parent_code: str | None = None


@router.get("/regions", response_model=RegionTree, summary="The region tree (GB/T 2260) for pickers")
def region_tree(
    session: DbSession,
    root: Annotated[str | None, Query(description="only this region's subtree")] = None,
    depth: Annotated[int | None, Query(ge=0, le=2, description="levels below the top to include")] = None,
) -> RegionTree:
    return RegionTree(items=regions.region_tree(session, root, depth=depth))


@router.post(
    "/regions",
    status_code=status.HTTP_201_CREATED,
    response_model=RegionsSeeded,
    summary="Add or rename regions (admin)",
)
def add_regions(body: list[RegionIn], caller: Caller, session: DbSession) -> RegionsSeeded:
    result = regions.seed_regions(session, caller, [regions.RegionSpec(r.code, r.name, r.parent_code) for r in body])
    return RegionsSeeded(created=result.created, renamed=result.renamed, unchanged=result.unchanged)
