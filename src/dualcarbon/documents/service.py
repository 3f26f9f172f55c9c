"""Print-ready documents (PDF, A4, Chinese first) rendered from Jinja/HTML templates with WeasyPrint.

Each kind (:data:`KINDS`) has a context builder in :mod:`.service_content` that reads other subjects'
services under the caller's access rights, and a template in ``documents/templates/``; every page carries
the title block, the page number ("第 N 页 共 M 页"), the issuer line and the time it was generated (Asia/
Shanghai). Fonts: Noto CJK from Debian's fonts-noto-cjk (``scripts/bootstrap.sh``), named in ``base.html``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.localtime import local_text
from dualcarbon.documents import service_content as content
from dualcarbon.store.base import utcnow

Builder = Callable[[Session, Principal, dict[str, str]], dict[str, Any]]

#: kind → (template, context builder, the parameters it needs, title)
KINDS: dict[str, tuple[str, Builder, tuple[str, ...], str]] = {
    "enterprise_annual": (
        "enterprise_annual.html",
        content.enterprise_annual,
        ("report_id",),
        "企业年度能源与碳排放报告",
    ),
    "catalog_notice": ("catalog_notice.html", content.catalog_notice, ("catalog_id",), "能效清单目录公示"),
    "yunnan_annex": ("yunnan_annex.html", content.yunnan_annex, ("catalog_id", "annex"), "云南附件 1–3"),
    "monitoring_monthly": (
        "monitoring_monthly.html",
        content.monitoring_monthly,
        ("region_code", "month"),
        "地区月度能耗监测报告",
    ),
    "subsidy_decision": (
        "subsidy_decision.html",
        content.subsidy_decision,
        ("application_id",),
        "补助决定书",
    ),
    "target_progress": ("target_progress.html", content.target_progress, ("region_code",), "目标进度报告"),
}


def _number(value: Any, digits: int = 2) -> str:
    """A figure for print: thousands separators, fixed decimals; '—' for a missing or non-finite value."""
    if value is None or isinstance(value, bool):
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.{digits}f}"
    return str(value)


def _environment() -> Environment:
    folder = resources.files("dualcarbon.documents") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _number
    env.filters["local"] = lambda value: local_text(value, "zh")
    return env


def render_html(kind: str, context: dict[str, Any], *, now: datetime | None = None) -> str:
    template, _, _, title = KINDS[kind]
    generated = local_text(now or utcnow(), "zh")
    return (
        _environment()
        .get_template(template)
        .render(**context, document_title=context.get("title", title), generated_at=generated)
    )


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy: loaded only when a document is rendered

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its INFO lines are per-step progress

    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def render(session: Session, actor: Principal, kind: str, params: dict[str, str]) -> tuple[bytes, str]:
    """The PDF of ``kind`` for ``params`` and a file name for it; bad kind or parameters → InvalidInput."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind", zh="未知的文书类型")
    _, build, needed, _ = KINDS[kind]
    for name in needed:
        if not params.get(name):
            raise InvalidInput(f"'{kind}' needs the parameter '{name}'", field=name, zh=f"缺少参数 {name}")
    context = build(session, actor, params)
    return html_to_pdf(render_html(kind, context)), f"{context['file_stem']}.pdf"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_KINDS = ("yunnan_annex",)


def render_workbook(session: Session, actor: Principal, kind: str, params: dict[str, str]) -> tuple[bytes, str]:
    """The Excel form of ``kind`` (Yunnan's annexes are tables); other kinds → InvalidInput."""
    from dualcarbon.documents.service_workbooks import annex_workbook  # xlsxwriter only when asked for

    if kind not in WORKBOOK_KINDS:
        raise InvalidInput(f"only {', '.join(WORKBOOK_KINDS)} has an Excel form", field="format", zh="该文书只提供 PDF")
    for name in KINDS[kind][2]:
        if not params.get(name):
            raise InvalidInput(f"'{kind}' needs the parameter '{name}'", field=name, zh=f"缺少参数 {name}")
    return annex_workbook(session, actor, params)
