"""The frame every page shares: header with navigation by role, language switch, logout; the refusal page.

:func:`web_page` is the decorator pages use instead of ``ui.page``: it resolves the session (redirecting
to ``/login`` when there is none), checks the roles the page needs, draws the frame and runs the page
body with a :class:`~dualcarbon.ui.web.session.WebContext`. A page the role may not see — or an object
outside the user's scope (services raise NotFound/PermissionDenied) — shows the refusal (无权访问, HTTP 403)
instead of any data.

Plain links and texts of the frame (the title and top links, each menu's entries, the language switch) and the
dashboard figures are written as one HTML element per group (:func:`_links_html`) rather than one NiceGUI
element per link: every element costs its construction and its place in the page sent, and the frame is drawn
on every page (~30 elements fewer per page; the same tags, classes and test ids as ``ui.link`` gives).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import Request
from nicegui import ui

from dualcarbon.core.errors import DualcarbonError, NotFound, PermissionDenied
from dualcarbon.ui.api import MAX_ID
from dualcarbon.ui.web.busy import is_store_busy, store_busy_response
from dualcarbon.ui.web.i18n import LANGUAGE_NAMES, LANGUAGES
from dualcarbon.ui.web.session import WebContext, anonymous_language, context_for, login_redirect, safe_next

PRIMARY = "#1f6f5c"  # 双碳 green

NavEntry = tuple[str, str, tuple[str, ...] | None]

#: Top-level links: (path, label key, roles that see it; None = every logged-in user).
NAV: tuple[NavEntry, ...] = (
    ("/", "nav.dashboard", None),
    ("/enterprises", "nav.enterprises", None),
)

_READERS = ("agency", "enterprise", "regulator", "reviewer")
_SUPERVISORS = ("regulator", "reviewer")
#: Grouped menus: (group key, label key, entries). An entry's ``{region}`` is the user's first region root
#: (hidden without one). Every page module of ``app/web.py`` is reached from here or from a list it links.
NAV_GROUPS: tuple[tuple[str, str, tuple[NavEntry, ...]], ...] = (
    (
        "reports",
        "nav.group.reports",
        (
            ("/reports", "nav.reports", ("enterprise", "agency", "regulator")),
            ("/review", "nav.review", _SUPERVISORS),
        ),
    ),
    (
        "catalogs",
        "nav.group.catalogs",
        (
            ("/catalogs", "nav.catalogs", None),
            ("/appeals", "nav.appeals", ("enterprise", "regulator", "reviewer")),
            ("/published", "public.title", None),
        ),
    ),
    (
        "monitoring",
        "nav.group.monitoring",
        (
            ("/monitoring/region/{region}", "dash.region_title", ("regulator", "reviewer", "admin")),
            ("/monitoring/meters", "monitoring.meters_title", None),
            ("/monitoring/quality", "monitoring.quality_title", None),
            ("/monitoring/manual", "monitoring.manual_title", None),
            ("/alerts", "alerts.page_title", None),
        ),
    ),
    (
        "retrofit",
        "nav.group.retrofit",
        (
            ("/audits", "audits.title", _READERS),
            ("/projects", "projects.title", _READERS),
            ("/projects-shares", "projects.shares", _SUPERVISORS),
            ("/equipment", "equipment.title", _READERS),
            ("/technologies", "equipment.tech_title", None),
            ("/waste-heat", "equipment.heat_title", _READERS),
        ),
    ),
    (
        "policy",
        "nav.group.policy",
        (
            ("/policy", "nav.policy_packs", None),
            ("/subsidies", "subsidies.title", _READERS),
            ("/targets", "nav.targets", ("regulator", "reviewer", "enterprise")),
            ("/assets/pv", "assets.pv", _READERS),
            ("/assets/storage", "assets.storage", _READERS),
            ("/assets/datacentres", "assets.datacentres", _READERS),
            ("/assets/green", "assets.green", _READERS),
            ("/footprints", "footprint.title", _READERS),
            ("/footprint-register", "footprint.register_title", _SUPERVISORS),
        ),
    ),
    (
        "admin",
        "nav.group.admin",
        (
            ("/audit", "nav.audit", ("admin",)),
            ("/reference-import", "nav.reference_import", ("admin",)),
        ),
    ),
)

_ROLE_ORDER = ("admin", "regulator", "reviewer", "agency", "enterprise", "public")


def apply_theme() -> None:
    ui.colors(primary=PRIMARY, secondary="#3d8b74", accent="#c98a1b", positive="#2e7d32", negative="#c62828")
    ui.add_css(
        "body { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei',"
        " 'PingFang SC', sans-serif; background: #f5f7f6; }"
        " .dc-card { background: white; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.08); padding: 16px; }"
        " .dc-figure { font-size: 1.6rem; font-weight: 600; color: #1f6f5c; }"
        " .dc-deviation { background: #fdecea !important; color: #b71c1c; font-weight: 600; }"
        " .ag-theme-quartz .dc-deviation { background: #fdecea; }"
        # AG Grid keeps 150px for the rows of an auto-height grid; a short table should be short
        " .ag-layout-auto-height .ag-center-cols-viewport, .ag-layout-auto-height .ag-center-cols-container"
        " { min-height: 42px !important; }"
    )


def role_summary(ctx: WebContext) -> str:
    roles = sorted(ctx.roles, key=lambda r: _ROLE_ORDER.index(r) if r in _ROLE_ORDER else 99)
    return "、".join(ctx.t(f"role.{role}") for role in roles) if roles else ctx.t("role.public")


def _visible(ctx: WebContext, roles: tuple[str, ...] | None) -> bool:
    return roles is None or ctx.has_role(*roles)


#: A link as ``ui.link`` draws it: (text, href, classes, test id or None).
LinkHtml = tuple[str, str, str, str | None]


def _links_html(links: list[LinkHtml], *, separator: str = "") -> str:
    """``<a>`` tags as ``ui.link`` renders them (its ``nicegui-link`` class, same tab), texts and attributes escaped."""
    tags = []
    for text, href, classes, testid in links:
        test = f' data-testid="{escape(testid)}"' if testid else ""
        tags.append(
            f'<a class="nicegui-link {escape(classes)}" href="{escape(href)}" target="_self"{test}>{escape(text)}</a>'
        )
    return separator.join(tags)


def _html(content: str) -> ui.html:
    """One element holding ``content`` (markup this module built, every text escaped: nothing to sanitise)."""
    return ui.html(content, sanitize=False)


def language_switch(language: str, path: str) -> None:
    """中文 / English links; the choice is kept in the ``dc_lang`` cookie."""
    links: list[LinkHtml] = [
        (
            LANGUAGE_NAMES[code],
            f"/web/lang/{code}?next={quote(path, safe='')}",
            "text-white no-underline" + (" font-bold underline" if code == language else " opacity-80"),
            f"lang-{code}",
        )
        for code in LANGUAGES
    ]
    _html(_links_html(links, separator='<div class="opacity-60">/</div>')).classes(
        "nicegui-row items-center gap-1 text-sm"
    )


def _is_current(ctx: WebContext, path: str) -> bool:
    return ctx.path == path or (path != "/" and ctx.path.startswith(path.split("{", 1)[0].rstrip("/") + "/"))


def _href(ctx: WebContext, path: str) -> str | None:
    """The entry's link for this user; None when it needs a region the user does not have."""
    if "{region}" not in path:
        return path
    region = next(iter(ctx.principal.region_roots("regulator", "reviewer")), None)
    return path.replace("{region}", region) if region else None


def nav_groups(ctx: WebContext) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The groups the user sees: (group key, label, [(href, label)]), groups without entries left out."""
    out = []
    for group, label_key, entries in NAV_GROUPS:
        links = [
            (href, ctx.t(key))
            for path, key, roles in entries
            if _visible(ctx, roles) and (href := _href(ctx, path)) is not None
        ]
        if links:
            out.append((group, ctx.t(label_key), links))
    return out


def _nav_menus(ctx: WebContext) -> None:
    for group, label, links in nav_groups(ctx):
        current = any(_is_current(ctx, href) or ctx.path == href for href, _ in links)
        button = ui.button(label).props(
            f'flat dense no-caps color="white" icon-right="expand_more" data-testid="nav-{group}"'
        )
        button.classes("px-2" + (" bg-white/20 font-semibold" if current else " opacity-90"))
        entries: list[LinkHtml] = [
            (
                text,
                href,
                "block px-4 py-2 no-underline text-gray-900 hover:bg-gray-100"
                + (" font-semibold bg-gray-100" if _is_current(ctx, href) or ctx.path == href else ""),
                f"nav-link-{href.strip('/').replace('/', '-') or 'home'}",
            )
            for href, text in links
        ]
        with button, ui.menu().props(f'data-testid="nav-menu-{group}"'):
            _html(_links_html(entries))


def header(ctx: WebContext) -> None:
    with ui.header().classes("items-center justify-between px-4 py-2 no-wrap").style(f"background: {PRIMARY}"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            top: list[LinkHtml] = [(ctx.t("app.title"), "/", "text-white text-lg font-bold no-underline mr-2", None)]
            for path, key, roles in NAV:
                if _visible(ctx, roles):
                    current = ctx.path == path or (path != "/" and _is_current(ctx, path))
                    classes = "text-white no-underline px-2 py-1 rounded" + (
                        " bg-white/20 font-semibold" if current else " opacity-90"
                    )
                    top.append((ctx.t(key), path, classes, None))
            _html(_links_html(top)).classes("nicegui-row items-center gap-2 no-wrap")
            _nav_menus(ctx)
        with ui.row().classes("items-center gap-4 no-wrap"):
            language_switch(ctx.language, ctx.path)
            ui.label(f"{ctx.display_name}（{role_summary(ctx)}）").classes("text-white text-sm")
            with ui.element("form").props('method="post" action="/web/logout"').classes("m-0"):
                hidden = ui.element("input")
                hidden.props["type"] = "hidden"
                hidden.props["name"] = "csrf"
                hidden.props["value"] = ctx.csrf
                ui.button(ctx.t("nav.logout")).props('type="submit" flat dense color="white"')


@contextmanager
def frame(ctx: WebContext, title_key: str) -> Iterator[ui.column]:
    """The page frame: theme, header, and a content column titled ``title_key``."""
    apply_theme()
    ui.page_title(f"{ctx.t(title_key)} · {ctx.t('app.short')}")
    header(ctx)
    with ui.column().classes("w-full max-w-screen-2xl mx-auto p-4 gap-4") as content:
        ui.label(ctx.t(title_key)).classes("text-xl font-semibold")
        yield content


def refusal(ctx: WebContext) -> None:
    """The 403 page body: says the page is refused, shows nothing else."""
    ui.context.client.status_code = 403
    with ui.column().classes("dc-card items-center w-full py-12 gap-2").props('data-testid="refusal"'):
        ui.icon("block", size="3rem", color="negative")
        ui.label(ctx.t("refusal.title")).classes("text-2xl font-bold text-negative")
        ui.label(ctx.t("refusal.detail")).classes("text-gray-600")
        ui.link(ctx.t("refusal.home"), "/")


def page_error(ctx: WebContext, exc: DualcarbonError) -> None:
    """The body of a page whose request a service refused (e.g. a region the caller must choose): the translated
    reason and a way back, with status 400 — the page cannot be shown for this request, the server did not fail."""
    ui.context.client.status_code = 400
    with ui.column().classes("dc-card items-center w-full py-12 gap-2").props('data-testid="page-error"'):
        ui.icon("error_outline", size="3rem", color="warning")
        ui.label(error_message(ctx, exc)).classes("text-lg text-gray-800")
        ui.link(ctx.t("refusal.home"), "/")


def error_message(ctx: WebContext, exc: DualcarbonError) -> str:
    """A translated one-line message for a service error, naming the field when there is one."""
    kind = type(exc).__name__
    prefix = ctx.t(f"error.{kind}") if kind in _ERROR_KINDS else ctx.t("error.DualcarbonError")
    where = field_text(ctx, exc.field)
    return f"{prefix}：{exc.message_in(ctx.language)}" + (f"（{ctx.t('error.field')}：{where}）" if where else "")


_INDEXED = re.compile(r"^(?P<list>\w+)\[(?P<index>\d+)\](?:\.(?P<leaf>\w+))?$")


def field_text(ctx: WebContext, field: str | None) -> str:
    """The form field an error points at, as the user reads it (``energy_lines[2].quantity`` → 能源消费 第3行
    消费量); "" when the field has no label — an internal name is never shown."""
    if not field:
        return ""

    def named(name: str) -> str:
        text = ctx.t(f"field.{name}")
        return "" if text == f"field.{name}" else text

    match = _INDEXED.match(field)
    if match is None:
        return named(field)
    section = named(match["list"])
    if not section:
        return ""
    row = ctx.t("field.row", n=int(match["index"]) + 1)
    leaf = named(match["leaf"]) if match["leaf"] else ""
    return " ".join(part for part in (section, row, leaf) if part)


_ERROR_KINDS = {
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "AuthenticationFailed",
    "Conflict",
    "MissingCoefficient",
    "UnknownCarrier",
    "UnitMismatch",
    "UnknownReferenceRow",
}


def notify_error(ctx: WebContext, exc: DualcarbonError) -> None:
    ui.notify(error_message(ctx, exc), type="negative", multi_line=True, close_button=True, timeout=8000)


def run_action(ctx: WebContext, action: Callable[[], Any], *, success_key: str | None = None) -> bool:
    """Run ``action`` (which calls services); show a success note or the error. True when it succeeded."""
    try:
        action()
    except DualcarbonError as exc:
        if type(exc).__name__ == "AuthenticationFailed":
            ui.navigate.to(f"/login?next={quote(ctx.path, safe='')}")
            return False
        notify_error(ctx, exc)
        return False
    if success_key:
        ui.notify(ctx.t(success_key), type="positive")
    return True


def _check_ids(values: dict[str, Any]) -> None:
    """NotFound for a whole number in the address beyond any row id (``/reports/99999999999999999999``): no row
    has it, and the store could not even take it as a parameter (SQLite's INTEGER is 64-bit)."""
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID:
            raise NotFound(f"no {name} {value}", zh="未找到该记录，或您无权查看", field=name)


def web_page(
    path: str, *, title_key: str, roles: tuple[str, ...] | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``body(ctx, **path_params)`` as a logged-in page at ``path`` (see the module docstring)."""

    def decorate(body: Callable[..., None]) -> Callable[..., None]:
        hints = typing.get_type_hints(body)
        params = [
            parameter.replace(annotation=hints.get(name, str))
            for name, parameter in inspect.signature(body).parameters.items()
            if name != "ctx"
        ]

        def page(request: Request, **kwargs: Any) -> Any:
            try:
                return built(request, **kwargs)
            except Exception as exc:  # the store stayed busy past the lock budget: 503 page, never 500
                if not is_store_busy(exc):
                    raise
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return store_busy_response(anonymous_language(request), safe_next(wanted))

        def built(request: Request, **kwargs: Any) -> Any:
            ctx = context_for(request)
            if ctx is None:
                return login_redirect(request)
            with frame(ctx, title_key) as content:
                if roles is not None and not ctx.has_role(*roles):
                    refusal(ctx)
                    return None
                body_column = ui.column().classes("w-full gap-4")
                with body_column:
                    try:
                        _check_ids(kwargs)
                        body(ctx, **kwargs)
                    except (NotFound, PermissionDenied):
                        body_column.clear()
                        with body_column:
                            refusal(ctx)
                    except DualcarbonError as exc:  # a page the request cannot be shown for: say why, never 500
                        if is_store_busy(exc):
                            raise  # the 503 page, below
                        body_column.clear()
                        with body_column:
                            page_error(ctx, exc)
                del content
            return None

        request_parameter = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
        page.__signature__ = inspect.Signature([request_parameter, *params])  # type: ignore[attr-defined]
        page.__name__ = f"page_{body.__name__}"
        page.__qualname__ = page.__name__
        ui.page(path)(page)
        return body

    return decorate


def section(title: str) -> ui.column:
    """A white card with a heading; use as ``with section(...):``."""
    card = ui.column().classes("dc-card w-full gap-2")
    with card:
        ui.label(title).classes("text-base font-semibold")
    return card


def figure(label: str, value: str, *, testid: str | None = None) -> ui.html:
    """A headline number on the dashboard (one element: a card holding the label and the value)."""
    card = _html(_figure_html(label, value))
    card.classes("nicegui-column dc-card gap-0 min-w-48").props(f'data-testid="{testid}"' if testid else "")
    return card


def set_figure(card: ui.html, label: str, value: str) -> None:
    """Show ``value`` in a card :func:`figure` drew (a figure that arrives after the page)."""
    card.set_content(_figure_html(label, value))


def _figure_html(label: str, value: str) -> str:
    return f'<div class="text-sm text-gray-600">{escape(label)}</div><div class="dc-figure">{escape(value)}</div>'
