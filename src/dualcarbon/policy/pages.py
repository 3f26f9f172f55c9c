"""规则包 pages: every policy pack the platform applies (``/policy``) and one pack in full (``/policy/{id}``).

Open to every logged-in user, as the API is (public policy texts). The list shows each pack's jurisdiction,
title, validity, status, the version in force and what it holds; a pack's page shows its title, scope, source
document, validity and boundary convention, its versions (the one in force marked; ``?version=N|shipped`` shows
another), then one section per kind of item with each item's clause, quoted text and what it says
(:mod:`.pages_text`, :mod:`.pages_money`). English pages show the packs' English renderings with the Chinese
original beside them. An unknown id or alias is the not-found page (404), never a refusal or an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import quote

from nicegui import ui

from dualcarbon.core.errors import NotFound
from dualcarbon.policy.pages_money import money_rule_block, warning_block
from dualcarbon.policy.pages_text import (
    Markup,
    Value,
    Words,
    catalog_schedule_block,
    kv,
    obligation_block,
    parameter_block,
    schedule_block,
    target_block,
)
from dualcarbon.policy.service import SHIPPED, list_packs, show_pack
from dualcarbon.reference.policy import PolicyPack, parse_pack
from dualcarbon.ui.web.formatting import when
from dualcarbon.ui.web.layout import section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

#: the kinds of items a pack holds, in the order the page shows them, each with how one item is drawn
KINDS: tuple[tuple[str, Callable[[Words, Any, str], str]], ...] = (
    ("obligations", obligation_block),
    ("targets", target_block),
    ("schedules", schedule_block),
    ("parameters", parameter_block),
    ("rules", money_rule_block),
    ("warning_schemes", warning_block),
)
COLUMNS = (
    Column("id", "policy.col.id", width=200),
    Column("jurisdiction", "policy.col.jurisdiction", width=135),
    Column("title", "policy.col.title"),
    Column("validity", "policy.col.validity", width=190),
    Column("status", "policy.col.status", width=100),
    Column("in_force", "policy.col.in_force", width=120),
    Column("holds", "policy.col.holds", width=260),
)
_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CSS = (
    ".dc-kv { display: grid; grid-template-columns: minmax(6rem, max-content) minmax(0, 1fr); gap: 2px 16px;"
    " margin: 4px 0 0 0; font-size: 0.875rem; line-height: 1.45 }"
    " .dc-kv dt { color: #4b5563; white-space: nowrap } .dc-kv dd { margin: 0; overflow-wrap: anywhere }"
    " .dc-pol-item { padding: 10px 0; border-top: 1px solid #e5e7eb } .dc-pol-item:first-child { border-top: 0 }"
)


def _title(ctx: WebContext, item: dict[str, Any]) -> str:
    return str(item["title_en"] if ctx.language == "en" and item.get("title_en") else item["title_zh"])


def _version(ctx: WebContext, version: int | str) -> str:
    return ctx.t("policy.version.shipped") if version == SHIPPED else ctx.t("policy.version.number", n=version)


def _holds(ctx: WebContext, counts: dict[str, int]) -> str:
    parts = [ctx.t("policy.count", kind=ctx.t(f"policy.kind.{kind}"), count=counts[kind]) for kind, _ in KINDS]
    return " · ".join(part for part, (kind, _) in zip(parts, KINDS, strict=True) if counts.get(kind))


@web_page("/policy", title_key="policy.title")
def packs_page(ctx: WebContext) -> None:
    items = ctx.call(list_packs)
    rows = [
        {
            "id": item["id"],
            "jurisdiction": item["jurisdiction"],
            "title": _title(ctx, item),
            "validity": _validity(Words(ctx.language), item["valid_from"], item["valid_to"]),
            "status": _status(Words(ctx.language), item["status"]),
            "in_force": _version(ctx, item["in_force"]),
            "holds": _holds(ctx, item["counts"]) or ctx.t("policy.none"),
        }
        for item in items
    ]
    with section(f"{ctx.t('policy.title')}（{len(rows)}）"):
        ui.label(ctx.t("policy.intro")).classes("text-sm text-gray-600")
        grid = simple_table(
            ctx,
            COLUMNS,
            rows,
            export_name=ctx.t("policy.title"),
            testid="policy-packs",
            on_row_click=lambda row: ui.navigate.to(f"/policy/{row['id']}"),
        )
        for definition in grid.options["columnDefs"]:  # long texts wrap: a title is read whole, not cut off
            definition.update(wrapHeaderText=True, autoHeaderHeight=True, wrapText=True, autoHeight=True)
            definition["cellStyle"] = {"lineHeight": "1.45", "padding": "6px 16px", "wordBreak": "normal"}
        grid.update()


def _not_found(ctx: WebContext, pack_id: str) -> None:
    """The not-found page in the frame: 404, what was asked for, and the way back to the list."""
    ui.context.client.status_code = 404
    with ui.column().classes("dc-card items-center w-full py-12 gap-2").props('data-testid="page-error"'):
        ui.icon("search_off", size="3rem", color="warning")
        ui.label(ctx.t("notfound.title")).classes("text-xl font-semibold")
        ui.label(ctx.t("policy.not_found", pack=pack_id[:80])).classes("text-gray-700")
        ui.link(ctx.t("policy.back"), "/policy")


def _html(content: str) -> ui.html:
    return ui.html(content, sanitize=False)  # built by pages_text / pages_money with every text escaped


def _head_rows(words: Words, shown: dict[str, Any], pack: PolicyPack) -> list[tuple[str, Value | None]]:
    t = words.t
    document = pack.document
    colon, semicolon = (": ", "; ") if words.en else ("：", "；")
    about = [
        f"{t('policy.field.number')}{colon}{document.number}" if document.number else "",
        f"{t('policy.field.issuer')}{colon}{document.issuer}" if document.issuer else "",
        f"{t('policy.field.issued')}{colon}{document.issued.isoformat()}" if document.issued else "",
    ]
    document_text = words.shown(document.title, pack.title_en if document.title == pack.title_zh else None)
    if any(about):
        extra = semicolon.join(part for part in about if part)
        document_text = Markup(f"{document_text}<div>{escape(extra)}</div>")
    boundary = pack.boundary_convention
    return [
        (t("policy.col.id"), pack.id),
        (t("policy.field.aliases"), "、".join(pack.aliases) if not words.en else ", ".join(pack.aliases)),
        (t("policy.col.jurisdiction"), pack.jurisdiction),
        (t("policy.col.status"), _status(words, str(shown["status"]))),
        (t("policy.col.validity"), _validity(words, shown["valid_from"], shown["valid_to"])),
        (t("policy.field.validity_note"), words.note(pack.valid.note)),
        (t("policy.field.scope"), words.shown(pack.scope_zh, pack.scope_en) if pack.scope_zh else ""),
        (t("policy.field.document"), document_text),
        (t("policy.field.url"), document.url),
        (t("policy.field.boundary"), words.clause_and_text(boundary) if boundary else ""),
    ]


def _status(words: Words, status: str) -> str:
    text = words.t(f"policy.status.{status}")
    return status if text == f"policy.status.{status}" else text


def _validity(words: Words, start: str | None, end: str | None) -> str:
    unknown = words.t("policy.not_stated")
    if not start and not end:
        return unknown
    return words.t("policy.validity", start=start or unknown, end=end or unknown)


def _versions_html(ctx: WebContext, shown: dict[str, Any]) -> str:
    items = []
    for row in shown["versions"]:
        version = row["version"]
        name = escape(_version(ctx, version))
        href = f"/policy/{quote(str(shown['id']))}?version={quote(str(version))}"
        text = f'<a class="nicegui-link" href="{escape(href)}" target="_self">{name}</a>'
        if version == shown["version"]:
            text = f"<b>{name}</b>"
        if row.get("in_force"):
            text += f' <span class="text-positive font-semibold">（{escape(ctx.t("policy.in_force_mark"))}）</span>'
        if row.get("imported_by"):
            imported = ctx.t("policy.imported", by=row["imported_by"], at=when(row["imported_at"], ctx))
            text += f' <span class="text-xs text-gray-600">{escape(imported)}</span>'
        items.append(f'<li data-testid="policy-version-{escape(str(version))}">{text}</li>')
    return f'<ul class="list-disc pl-5 m-0 text-sm">{"".join(items)}</ul>'


@web_page("/policy/{pack_id}", title_key="policy.pack_title")
def pack_page(ctx: WebContext, pack_id: str, version: str = "") -> None:
    if not _PACK_ID.match(pack_id):
        _not_found(ctx, pack_id)
        return
    try:
        shown = ctx.call(show_pack, pack_id, version or None)
    except NotFound:
        _not_found(ctx, pack_id)
        return
    pack = parse_pack(shown["pack"], f"{shown['id']} {shown['version']}")
    words = Words(ctx.language)
    ui.add_css(CSS)
    document = pack.document.title
    with section(_title(ctx, shown)).props('data-testid="policy-head"'):
        if ctx.language == "en" and pack.title_en and pack.title_en != pack.title_zh:
            ui.label(ctx.t("policy.original", text=pack.title_zh)).classes("text-xs text-gray-600")
        _html(kv(_head_rows(words, shown, pack))).classes("w-full")
        ui.link(ctx.t("policy.back"), "/policy").classes("text-sm")
    with section(ctx.t("policy.versions")).props('data-testid="policy-versions"'):
        if not shown["is_in_force"]:
            note = ctx.t(
                "policy.viewing", version=_version(ctx, shown["version"]), in_force=_version(ctx, shown["in_force"])
            )
            ui.label(note).classes("text-sm text-warning font-semibold")
        _html(_versions_html(ctx, shown)).classes("w-full")
    for kind, block in KINDS:
        items = getattr(pack, kind)
        if not items:
            continue
        heading = f"{ctx.t(f'policy.kind.{kind}')}（{len(items)}）"
        with section(heading).props(f'data-testid="policy-{kind}"'):
            _html("".join(block(words, item, document) for item in items)).classes("w-full")
    if pack.catalog_schedule is not None:
        with section(ctx.t("policy.kind.catalog_schedule")).props('data-testid="policy-catalog_schedule"'):
            _html(catalog_schedule_block(words, pack.catalog_schedule, document)).classes("w-full")
    if pack.omitted:
        with section(ctx.t("policy.field.omitted")).props('data-testid="policy-omitted"'):
            ui.label(ctx.t("policy.omitted_intro")).classes("text-sm text-gray-600")
            _html(kv([(str(n), words.note(text)) for n, text in enumerate(pack.omitted, 1)])).classes("w-full")
