"""Project documents (可研报告, 验收材料 …): uploads kept in the data directory with their sha256.

A file is written to ``<data dir>/projects/<project id>/<sha256>`` (content-addressed: the same bytes are
stored once per project) and recorded with its name, size and hash; the listing shows the hash so that a
copy handed over later can be checked. Names are reduced to their last path part; empty or over-size files
are refused. The row and the audit entry are written in the caller's transaction; a file written for a
transaction that then fails is left as an orphan named by its hash, never half-recorded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePath

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, zh_en
from dualcarbon.projects.models import ProjectDocument
from dualcarbon.projects.schemas import ProjectOut
from dualcarbon.projects.service_projects import load_project, project_out
from dualcarbon.store.audit import append_audit
from dualcarbon.store.db import resolve_data_dir

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def _clean_name(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name.strip()
    if not name or name in (".", ".."):
        zh = "文件名不能为空"
        raise InvalidInput(zh_en(zh, "the file needs a name"), field="file", zh=zh)
    return name[:200]


def add_document(
    session: Session, actor: Principal, project_id: int, filename: str, content: bytes, data_dir: Path | None = None
) -> ProjectOut:
    """Store ``content`` for the project (writers of its enterprise) and list it with its sha256."""
    project = load_project(session, actor, project_id, write=True)
    name = _clean_name(filename)
    if not content:
        zh = "文件为空"
        raise InvalidInput(zh_en(zh, "the file is empty"), field="file", zh=zh)
    if len(content) > MAX_DOCUMENT_BYTES:
        megabytes = MAX_DOCUMENT_BYTES // (1024 * 1024)
        zh = f"文件超过 {megabytes} MB"
        raise InvalidInput(zh_en(zh, f"the file is larger than {megabytes} MB"), field="file", zh=zh)
    digest = hashlib.sha256(content).hexdigest()
    relative = Path("projects") / str(project.id) / digest
    target = resolve_data_dir(data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(target)
    document = ProjectDocument(
        filename=name,
        sha256=digest,
        size_bytes=len(content),
        stored_as=relative.as_posix(),
        uploaded_by=actor.username,
    )
    project.documents.append(document)
    session.flush()
    append_audit(
        session,
        actor.username,
        "project.document",
        "retrofit_project",
        project.id,
        None,
        {"document": document.id, "filename": name, "sha256": digest, "size_bytes": len(content)},
    )
    return project_out(session, project)


def document_bytes(
    session: Session, actor: Principal, project_id: int, document_id: int, data_dir: Path | None = None
) -> tuple[str, bytes]:
    """(file name, content) of a document, checked against its recorded sha256."""
    project = load_project(session, actor, project_id)
    document = next((d for d in project.documents if d.id == document_id), None)
    if document is None:
        zh = "该项目没有这份文件"
        raise NotFound(zh_en(zh, f"document {document_id} not found"), field="document_id", zh=zh)
    path = resolve_data_dir(data_dir) / document.stored_as
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        zh = f"文件“{document.filename}”已不在数据目录中，请重新上传"
        en = f"the file of document {document_id} is missing from the data directory"
        raise NotFound(zh_en(zh, en), field="document_id", zh=zh) from None
    if hashlib.sha256(content).hexdigest() != document.sha256:
        zh = f"文件“{document.filename}”与上传时记录的校验值不符，可能已被改动"
        en = f"document {document_id} does not match its recorded sha256"
        raise InvalidInput(zh_en(zh, en), field="document_id", zh=zh)
    return document.filename, content
