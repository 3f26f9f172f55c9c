"""The login page (用户登录). The form posts to ``/web/login`` (see ``session.py``), which sets the cookies."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from dualcarbon.web.i18n import translate
from dualcarbon.web.layout import PRIMARY, apply_theme, language_switch
from dualcarbon.web.session import anonymous_language, context_for, safe_next

_ERRORS = {"bad", "locked", "disabled", "missing", "origin"}


def _hidden(name: str, value: str) -> None:
    element = ui.element("input")
    element.props["type"] = "hidden"
    element.props["name"] = name
    element.props["value"] = value


@ui.page("/login")
def login_page(request: Request, next: str = "/", error: str = "", user: str = "", bye: str = "") -> object:
    target = safe_next(next)
    if context_for(request) is not None:
        return RedirectResponse(target, status_code=303)
    language = anonymous_language(request)

    def t(key: str) -> str:
        return translate(language, key)

    apply_theme()
    ui.page_title(f"{t('login.title')} · {t('app.short')}")
    here = "/login" + (f"?next={target}" if target != "/" else "")
    with ui.header().classes("items-center justify-between px-4 py-2").style(f"background: {PRIMARY}"):
        ui.label(t("app.title")).classes("text-white text-lg font-bold")
        language_switch(language, here)
    with ui.column().classes("w-full items-center pt-16"):
        with ui.column().classes("dc-card w-96 gap-3 p-8"):
            ui.label(t("login.title")).classes("text-2xl font-semibold")
            ui.label(t("login.subtitle")).classes("text-sm text-gray-600")
            if error in _ERRORS:
                ui.label(t(f"login.error.{error}")).classes("text-negative font-medium").props(
                    'data-testid="login-error" role="alert"'
                )
            if bye:
                ui.label(t("login.bye")).classes("text-positive")
            with ui.element("form").props('method="post" action="/web/login"').classes("w-full flex flex-col gap-3"):
                _hidden("next", target)
                ui.input(t("login.username"), value=user).props(
                    'name="username" outlined autocomplete="username" autofocus'
                ).classes("w-full")
                ui.input(t("login.password"), password=True).props(
                    'name="password" outlined autocomplete="current-password"'
                ).classes("w-full")
                ui.button(t("login.submit")).props('type="submit" unelevated color="primary"').classes("w-full")
            ui.link(t("public.title"), "/public").classes("text-sm")
    return None
