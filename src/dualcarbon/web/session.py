"""Browser sessions of the web UI: login/logout routes, the language cookie, and the per-page context.

The login form posts to ``POST /web/login`` (a plain FastAPI route, so the response can set cookies):
on success it sets ``dc_session`` (HttpOnly, SameSite=Strict, the secret of an ``issue_token(...,
scopes='session')`` token) and ``dc_csrf`` (readable by scripts, sent back as ``X-CSRF-Token`` to the API),
the same cookies ``dualcarbon.api.deps`` accepts — so the browser's session works for the API too.
``POST /web/logout`` ends the session. ``GET /web/lang/{code}`` stores the display language in ``dc_lang``.

A page resolves its :class:`WebContext` from the request cookies; every service call from a page goes
through :meth:`WebContext.call`, which re-checks the session (a logout or expiry takes effect at once)
and runs the service in one transaction with the Principal of the logged-in user.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.api.deps import CSRF_COOKIE, SESSION_COOKIE, set_session_cookies
from dualcarbon.errors import AuthenticationFailed
from dualcarbon.reference import ReferenceSet, load_reference
from dualcarbon.reference.tables import manifest_path
from dualcarbon.services.access import Principal
from dualcarbon.services.auth import authenticate, end_session, issue_token, principal_for, resolve_token
from dualcarbon.settings import security_settings
from dualcarbon.web.i18n import normalise_language, translate

LANG_COOKIE = "dc_lang"
LOGIN_PATH = "/login"

P = ParamSpec("P")
T = TypeVar("T")


# ---- where a redirect may go -----------------------------------------------------------------------
def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (``/…`` but not ``//host``), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    """Send an anonymous browser to the login page, remembering where it wanted to go."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(wanted, safe='')}", status_code=303)


def _login_error_code(exc: AuthenticationFailed) -> str:
    message = exc.message.lower()
    if "locked" in message:
        return "locked"
    if "disabled" in message:
        return "disabled"
    return "bad"


def _same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site (login CSRF)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", request.url.netloc)


_bound: list[Any] = []  # the state of the FastAPI app the UI is mounted on (NiceGUI pages see NiceGUI's app)


def bind_app_state(state: Any) -> None:
    """Remember the main app's ``state`` (engine, session factory, data directory) for the pages."""
    _bound.clear()
    _bound.append(state)


def app_state(request: Request) -> Any:
    """The main app's state: the request's own app when it carries one, else the bound one."""
    if hasattr(request.app.state, "session_factory"):
        return request.app.state
    if not _bound:
        raise RuntimeError("the web UI is not mounted (call dualcarbon.web.mount_web)")
    return _bound[0]


def _session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app_state(request).session_factory
    return factory


# ---- routes ------------------------------------------------------------------------------------------
def install_session_routes(app: FastAPI) -> None:
    """Add the login, logout and language routes to ``app`` (before NiceGUI's catch-all mount)."""

    @app.post("/web/login", include_in_schema=False)
    def web_login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> RedirectResponse:
        target = safe_next(next)
        if not _same_origin(request):
            return RedirectResponse(f"{LOGIN_PATH}?error=origin", status_code=303)
        if not username.strip() or not password:
            return RedirectResponse(f"{LOGIN_PATH}?error=missing&next={quote(target, safe='')}", status_code=303)
        with _session_factory(request)() as session:
            try:
                user = authenticate(session, username, password)
            except AuthenticationFailed as exc:
                session.commit()  # keep the failure counter and any lock
                code = _login_error_code(exc)
                back = f"{LOGIN_PATH}?error={code}&user={quote(username.strip()[:64], safe='')}"
                return RedirectResponse(f"{back}&next={quote(target, safe='')}", status_code=303)
            secret = issue_token(session, user, name="browser session", scopes="session")
            language = user.language or "zh"
            session.commit()
        response = RedirectResponse(target, status_code=303)
        settings = security_settings()
        set_session_cookies(response, secret)
        if LANG_COOKIE not in request.cookies:
            response.set_cookie(LANG_COOKIE, language, path="/", samesite="strict", secure=settings.secure_cookies)
        return response

    @app.post("/web/logout", include_in_schema=False)
    def web_logout(request: Request, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
        secret = request.cookies.get(SESSION_COOKIE)
        expected = request.cookies.get(CSRF_COOKIE, "")
        if secret and expected and secrets.compare_digest(csrf, expected):
            with _session_factory(request)() as session:
                end_session(session, secret)
                session.commit()
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


# ---- the context a page works in ---------------------------------------------------------------------
@dataclass
class WebContext:
    """The logged-in user of one page: how to call services as them, and their display language."""

    factory: sessionmaker[Session]
    secret: str
    principal: Principal
    display_name: str
    language: str
    csrf: str
    path: str
    data_dir: Path | None = None

    def t(self, key: str, **values: Any) -> str:
        """The label ``key`` in the page's language."""
        return translate(self.language, key, **values)

    def call(self, service: Callable[Concatenate[Session, Principal, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``service(session, principal, *args, **kwargs)`` in one transaction as the logged-in user.

        The session cookie's token is checked again first: AuthenticationFailed when it was ended or expired.
        """
        with self.factory() as session:
            try:
                user, _ = resolve_token(session, self.secret, session_only=True)
                principal = principal_for(session, user)
                result = service(session, principal, *args, **kwargs)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise

    def reference(self) -> ReferenceSet:
        """The active reference tables (shipped, overlaid by imports in the data directory)."""
        return reference_for(self.data_dir)

    def read(self, query: Callable[[Session], T]) -> T:
        """Run a read-only ``query(session)`` that needs no principal (reference lookups, region names)."""
        with self.factory() as session:
            try:
                return query(session)
            finally:
                session.rollback()

    @property
    def roles(self) -> set[str]:
        return {grant.role for grant in self.principal.grants}

    def has_role(self, *roles: str) -> bool:
        return self.principal.is_admin or self.principal.has_role(*roles)


def context_for(request: Request) -> WebContext | None:
    """The page context of the browser's session; None when it has no valid session."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    factory = _session_factory(request)
    with factory() as session:
        try:
            user, _ = resolve_token(session, secret, session_only=True)
        except AuthenticationFailed:
            session.rollback()
            return None
        principal = principal_for(session, user)
        display_name = user.display_name or user.username
        user_language = user.language
        session.commit()
    language = normalise_language(request.cookies.get(LANG_COOKIE) or user_language)
    return WebContext(
        factory=factory,
        secret=secret,
        principal=principal,
        display_name=display_name,
        language=language,
        csrf=request.cookies.get(CSRF_COOKIE, ""),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        data_dir=getattr(app_state(request), "data_dir", None),
    )


_reference_cache: dict[tuple[str, float], ReferenceSet] = {}


def reference_for(data_dir: Path | None) -> ReferenceSet:
    """The reference set of ``data_dir``, loaded again only when its import manifest changes."""
    manifest = manifest_path(data_dir) if data_dir is not None else None
    stamp = manifest.stat().st_mtime if manifest is not None and manifest.exists() else 0.0
    key = (str(data_dir), stamp)
    found = _reference_cache.get(key)
    if found is None:
        found = load_reference(data_dir)
        _reference_cache.clear()
        _reference_cache[key] = found
    return found


def anonymous_language(request: Request) -> str:
    """The display language for pages without a session (login, public lists)."""
    return normalise_language(request.cookies.get(LANG_COOKIE))
