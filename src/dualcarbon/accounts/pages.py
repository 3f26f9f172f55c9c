"""The login page (用户登录) and the browser-session routes it posts to.

``install_session_routes(app)`` adds ``POST /web/login`` (a plain FastAPI route, so the response can set
cookies: ``dc_session``, HttpOnly and SameSite=Strict, the secret of a ``scopes='session'`` token, and
``dc_csrf``, sent back as ``X-CSRF-Token`` to the API), ``POST /web/logout`` and ``GET /web/lang/{code}``.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from nicegui import ui
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.accounts.service_auth import authenticate, end_session, issue_token
from dualcarbon.core.errors import AuthenticationFailed
from dualcarbon.core.settings import security_settings
from dualcarbon.ui.api import CSRF_COOKIE, SESSION_COOKIE, set_session_cookies
from dualcarbon.ui.web.busy import is_store_busy, store_busy_response
from dualcarbon.ui.web.i18n import normalise_language, translate
from dualcarbon.ui.web.layout import PRIMARY, apply_theme, language_switch
from dualcarbon.ui.web.session import (
    LANG_COOKIE,
    LOGIN_PATH,
    anonymous_language,
    app_state,
    context_for,
    login_error_code,
    safe_next,
    same_origin,
    session_factory,
)

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
            ui.link(t("public.title"), "/published").classes("text-sm")
    return None


# ---- routes ------------------------------------------------------------------------------------------
def _write_factory(request: Request) -> sessionmaker[Session]:
    """Sessions that take SQLite's write lock at BEGIN (``app.state.write_session_factory``), else the plain ones."""
    factory: sessionmaker[Session] | None = getattr(app_state(request), "write_session_factory", None)
    return factory or session_factory(request)


def _busy(request: Request, retry_path: str) -> Response:
    return store_busy_response(anonymous_language(request), retry_path)


def install_session_routes(app: FastAPI) -> None:
    """Add the login, logout and language routes to ``app`` (before NiceGUI's catch-all mount)."""

    @app.post("/web/login", include_in_schema=False)
    def web_login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        target = safe_next(next)
        if not same_origin(request):
            return RedirectResponse(f"{LOGIN_PATH}?error=origin", status_code=303)
        if not username.strip() or not password:
            return RedirectResponse(f"{LOGIN_PATH}?error=missing&next={quote(target, safe='')}", status_code=303)
        # A writing session: authenticate reads the user outside it, checks the password, then takes the write
        # lock (waiting within the lock budget) — a read transaction could not upgrade once another write committed.
        try:
            with _write_factory(request)() as session:
                try:
                    user = authenticate(session, username, password)
                except AuthenticationFailed as exc:
                    session.commit()  # keep the failure counter and any lock
                    code = login_error_code(exc)
                    back = f"{LOGIN_PATH}?error={code}&user={quote(username.strip()[:64], safe='')}"
                    return RedirectResponse(f"{back}&next={quote(target, safe='')}", status_code=303)
                secret = issue_token(session, user, name="browser session", scopes="session")
                language = user.language or "zh"
                session.commit()
        except Exception as exc:  # still locked after the budget: nothing was changed, a 503 page (never 500)
            if not is_store_busy(exc):
                raise
            return _busy(request, f"{LOGIN_PATH}?next={quote(target, safe='')}")
        response = RedirectResponse(target, status_code=303)
        settings = security_settings()
        set_session_cookies(response, secret)
        if LANG_COOKIE not in request.cookies:
            response.set_cookie(LANG_COOKIE, language, path="/", samesite="strict", secure=settings.secure_cookies)
        return response

    @app.post("/web/logout", include_in_schema=False)
    def web_logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        secret = request.cookies.get(SESSION_COOKIE)
        expected = request.cookies.get(CSRF_COOKIE, "")
        if secret and expected and secrets.compare_digest(csrf, expected):
            try:
                with _write_factory(request)() as session:
                    end_session(session, secret)
                    session.commit()
            except Exception as exc:  # the session is not ended: say so (503), keep the cookies
                if not is_store_busy(exc):
                    raise
                return _busy(request, "/")
        response = RedirectResponse(f"{LOGIN_PATH}?bye=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @app.get("/web/lang/{code}", include_in_schema=False)
    def web_language(request: Request, code: str, next: str = "/") -> RedirectResponse:
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            LANG_COOKIE,
            normalise_language(code),
            path="/",
            samesite="strict",
            max_age=365 * 24 * 3600,
            secure=security_settings().secure_cookies,
        )
        return response
