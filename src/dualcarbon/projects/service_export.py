"""The case compilation export (案例汇编): the demonstration projects (示范项目) the caller may read, as xlsx."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.projects.io.cases_workbook import write_cases_workbook
from dualcarbon.projects.service_projects import list_projects

MAX_CASES = 10_000


def export_cases(session: Session, actor: Principal, *, region_code: str | None = None) -> tuple[bytes, int]:
    """(xlsx bytes, number of projects) of the demonstration projects, optionally of one region subtree."""
    projects, _ = list_projects(session, actor, region_code=region_code, demonstration=True, limit=MAX_CASES)
    title = f"节能改造示范项目案例汇编{f'（{region_code}）' if region_code else ''}"
    return write_cases_workbook([p.model_dump() for p in projects], title), len(projects)
