"""``/api/v1/policy/packs`` and ``/api/v1/policy/packs/{id}``: the policy packs, the version in force marked.

Thin routes over :mod:`dualcarbon.policy.service`; open to every logged-in caller (public policy texts).
Importing a pack is a command-line action (``dualcarbon policy import``) of an administrator.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from dualcarbon.policy import service
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession

router = APIRouter(prefix=API_PREFIX + "/policy", tags=["policy 规则包"])

PackId = Annotated[
    str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$", description="pack id or alias")
]


@router.get("/packs", summary="Every policy pack with the version in force")
def list_packs(session: DbSession, caller: Caller) -> list[dict[str, Any]]:
    return service.list_packs(session, caller)


@router.get("/packs/{pack_id}", summary="One policy pack in full (the version in force, or ?version=N|shipped)")
def show_pack(
    pack_id: PackId,
    session: DbSession,
    caller: Caller,
    version: Annotated[str | None, Query(max_length=12, description="a stored version number or 'shipped'")] = None,
) -> dict[str, Any]:
    return service.show_pack(session, caller, pack_id, version)
