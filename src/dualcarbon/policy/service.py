"""Policy packs in the platform: the shipped packs plus the versions administrators imported.

* :func:`list_packs` — every pack id (shipped or imported) with its title, jurisdiction, validity, the
  versions stored and which one is in force (the newest import; ``shipped`` while none was imported).
* :func:`show_pack` — one pack in force (or a named version) with the list of versions, the in-force one marked.
* :func:`validate_file` — check a YAML file; the first problem names its line and field.
* :func:`import_file` — store a file as the next version of its pack id (administrators only; audited;
  the identical text again is no new version; two simultaneous imports: one wins, the other gets 409).

Reading packs is open to every logged-in caller: they are public policy documents.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.policy.models import PolicyPackVersion
from dualcarbon.reference import policy as shipped
from dualcarbon.reference.policy import PolicyPack
from dualcarbon.reference.policy_files import parse_pack_text, read_pack_file
from dualcarbon.store.audit import append_audit

SHIPPED = "shipped"
SHANGHAI_TZ = ZoneInfo("Asia/Shanghai")


def has_store(data_dir: Path | None) -> bool:
    """Whether the workspace has a database (PostgreSQL, or an existing SQLite file) to read imports from."""
    from dualcarbon.store.db import resolve_database_url, sqlite_path

    db_file = sqlite_path(resolve_database_url(data_dir))
    return db_file is None or db_file.exists()


def summary(pack: PolicyPack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "title_zh": pack.title_zh,
        "title_en": pack.title_en,  # our English rendering (None when the pack gives none); title_zh governs
        "scope_zh": pack.scope_zh,
        "scope_en": pack.scope_en,
        "jurisdiction": pack.jurisdiction,
        "aliases": list(pack.aliases),
        "status": pack.status_on(datetime.now(SHANGHAI_TZ).date()),
        "document": pack.document.title,
        "valid_from": pack.valid.valid_from.isoformat() if pack.valid.valid_from else None,
        "valid_to": pack.valid.valid_to.isoformat() if pack.valid.valid_to else None,
        "counts": {
            "obligations": len(pack.obligations),
            "targets": len(pack.targets),
            "schedules": len(pack.schedules),
            "parameters": len(pack.parameters),
            "rules": len(pack.rules),
            "warning_schemes": len(pack.warning_schemes),
        },
    }


def _version_row(row: PolicyPackVersion, in_force: bool) -> dict[str, Any]:
    return {
        "version": row.version,
        "sha256": row.sha256,
        "imported_by": row.imported_by,
        "imported_at": row.imported_at.isoformat(),
        "in_force": in_force,
    }


def _rows(session: Session, pack_id: str | None = None) -> list[PolicyPackVersion]:
    query = select(PolicyPackVersion).order_by(PolicyPackVersion.pack_id, PolicyPackVersion.version)
    if pack_id is not None:
        query = query.where(PolicyPackVersion.pack_id == pack_id)
    return list(session.scalars(query))


def list_packs(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every pack (shipped and imported), the version in force first-class."""
    del principal  # any logged-in caller may read policy packs
    stored: dict[str, list[PolicyPackVersion]] = {}
    for row in _rows(session):
        stored.setdefault(row.pack_id, []).append(row)
    ids = sorted(set(shipped.list_packs()) | set(stored))
    out = []
    for pack_id in ids:
        versions = stored.get(pack_id, [])
        pack = parse_pack_text(versions[-1].content, pack_id) if versions else shipped.load_pack(pack_id)
        item = summary(pack)
        item["in_force"] = versions[-1].version if versions else SHIPPED
        item["versions"] = ([SHIPPED] if pack_id in shipped.list_packs() else []) + [v.version for v in versions]
        out.append(item)
    return out


def _resolve_id(session: Session, name: str) -> str:
    if name in shipped.list_packs() or session.scalar(
        select(func.count()).select_from(PolicyPackVersion).where(PolicyPackVersion.pack_id == name)
    ):
        return name
    for pack_id in shipped.list_packs():
        if name in shipped.load_pack(pack_id).aliases:
            return pack_id
    raise NotFound(f"no policy pack '{name}'", field="pack")


def pack_in_force(session: Session, name: str) -> PolicyPack:
    """The pack ``name`` (id or alias) as in force: the newest import, else the shipped file."""
    pack_id = _resolve_id(session, name)
    rows = _rows(session, pack_id)
    if rows:
        return parse_pack_text(rows[-1].content, f"{pack_id} v{rows[-1].version}")
    return shipped.load_pack(pack_id)


def show_pack(session: Session, principal: Principal, name: str, version: str | None = None) -> dict[str, Any]:
    """The pack ``name`` (id or alias) in force, or its ``version`` (a number or ``shipped``), in full."""
    del principal
    pack_id = _resolve_id(session, name)
    rows = _rows(session, pack_id)
    in_force: int | str = rows[-1].version if rows else SHIPPED
    wanted: int | str = in_force
    if version is not None:
        wanted = SHIPPED if version == SHIPPED else _version_number(version)
    if wanted == SHIPPED:
        if pack_id not in shipped.list_packs():
            raise NotFound(f"pack '{pack_id}' is not shipped; it exists only as imported versions", field="version")
        pack = shipped.load_pack(pack_id)
    else:
        row = next((r for r in rows if r.version == wanted), None)
        if row is None:
            raise NotFound(f"pack '{pack_id}' has no version {wanted}", field="version")
        pack = parse_pack_text(row.content, f"{pack_id} v{row.version}")
    versions: list[dict[str, Any]] = []
    if pack_id in shipped.list_packs():
        versions.append({"version": SHIPPED, "in_force": in_force == SHIPPED})
    versions += [_version_row(row, row.version == in_force) for row in rows]
    return {
        **summary(pack),
        "version": wanted,
        "in_force": in_force,
        "is_in_force": wanted == in_force,
        "versions": versions,
        "pack": pack.model_dump(mode="json", by_alias=True, exclude_defaults=True),
    }


def _version_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput("a version is a number ≥ 1 or 'shipped'", field="version")
    return int(text)


def validate_file(path: Path) -> dict[str, Any]:
    """The summary of a valid pack file; ``InvalidInput`` naming line and field otherwise."""
    _text, pack, sha = read_pack_file(path)
    return {**summary(pack), "sha256": sha, "valid": True}


def import_file(session: Session, principal: Principal, path: Path) -> dict[str, Any]:
    """Store ``path`` as the next version of its pack id (in force from now); administrators only."""
    if not principal.is_admin:
        raise PermissionDenied("only an administrator may import policy packs", field="role")
    text, pack, sha = read_pack_file(path)
    rows = _rows(session, pack.id)
    same = next((row for row in rows if row.sha256 == sha), None)
    if same is not None:
        return {**summary(pack), "version": same.version, "created": False, "in_force": rows[-1].version}
    version = (rows[-1].version if rows else 0) + 1
    row = PolicyPackVersion(
        pack_id=pack.id,
        version=version,
        sha256=sha,
        content=text,
        title_zh=pack.title_zh[:300],
        jurisdiction=pack.jurisdiction[:100],
        valid_from=pack.valid.valid_from,
        valid_to=pack.valid.valid_to,
        imported_by=principal.username[:64],
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"pack '{pack.id}' was imported by someone else at the same moment; run the import again",
            field="version",
        ) from None
    append_audit(
        session,
        principal.username,
        "policy.import",
        "policy_pack_version",
        f"{pack.id}@{version}",
        None,
        {"pack_id": pack.id, "version": version, "sha256": sha, "title_zh": pack.title_zh, "file": path.name},
    )
    return {**summary(pack), "version": version, "created": True, "in_force": version, "sha256": sha}
