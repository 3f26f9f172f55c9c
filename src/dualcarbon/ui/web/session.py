"""Browser sessions of the web UI: login/logout routes, the language cookie, and the per-page context.

The login form posts to ``POST /web/login`` (a plain FastAPI route, so the response can set cookies):
on success it sets ``dc_session`` (HttpOnly, SameSite=Strict, the secret of an ``issue_token(...,
scopes='session')`` token) and ``dc_csrf`` (readable by scripts, sent back as ``X-CSRF-Token`` to the API),
the same cookies ``dualcarbon.ui.api`` accepts — so the browser's session works for the API too.
``POST /web/logout`` ends the session. ``GET /web/lang/{code}`` stores the display language in ``dc_lang``.

A page resolves its :class:`WebContext` from the request cookies; every service call from a page goes
through :meth:`WebContext.call`, which re-checks the session (a logout or expiry takes effect at once)
and runs the service in one transaction with the Principal of the logged-in user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import AuthenticationFailed, StoreBusy
from dualcarbon.reference import ReferenceSet, load_reference
from dualcarbon.reference.tables import manifest_path
from dualcarbon.store.db import is_transient_lock_error
from dualcarbon.ui.api import CSRF_COOKIE, SESSION_COOKIE, CallerResolver
from dualcarbon.ui.web.i18n import normalise_language, translate

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


def login_error_code(exc: AuthenticationFailed) -> str:
    message = exc.message.lower()
    if "locked" in message:
        return "locked"
    if "disabled" in message:
        return "disabled"
    return "bad"


def same_origin(request: Request) -> bool:
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
        raise RuntimeError("the web UI is not mounted (call dualcarbon.app.web.mount_web)")
    return _bound[0]


def _resolver(state: Any) -> CallerResolver:
    resolve: CallerResolver = state.resolve_caller
    return resolve


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app_state(request).session_factory
    return factory


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
    #: Resolves the session secret again on every call; None for anonymous pages (public lists).
    resolve: CallerResolver | None = None
    #: Sessions that take SQLite's write lock at BEGIN (``app.state.write_session_factory``), for a retry.
    write_factory: sessionmaker[Session] | None = None

    def t(self, key: str, **values: Any) -> str:
        """The label ``key`` in the page's language."""
        return translate(self.language, key, **values)

    def call(self, service: Callable[Concatenate[Session, Principal, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``service(session, principal, *args, **kwargs)`` in one transaction as the logged-in user.

        The session cookie's token is checked again first: AuthenticationFailed when it was ended or expired.
        A call that lost a lock (on SQLite: it read, another writer committed, so it may no longer write) was
        rolled back; it runs once more in a transaction that takes the write lock at BEGIN, waiting within the
        lock budget, and ``StoreBusy`` when that fails too.
        """
        try:
            return self._call_in(self.factory, service, *args, **kwargs)
        except DBAPIError as exc:
            if not is_transient_lock_error(exc):
                raise
        try:
            return self._call_in(self.write_factory or self.factory, service, *args, **kwargs)
        except DBAPIError as exc:
            if not is_transient_lock_error(exc):
                raise
            raise StoreBusy() from exc

    def _call_in(
        self,
        factory: sessionmaker[Session],
        service: Callable[Concatenate[Session, Principal, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with factory() as session:
            try:
                if self.resolve is None or not self.secret:
                    raise AuthenticationFailed("login required", zh="请先登录")
                principal = self.resolve(session, self.secret, True).principal
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
    factory = session_factory(request)
    with factory() as session:
        try:
            found = _resolver(app_state(request))(session, secret, True)
        except AuthenticationFailed:
            session.rollback()
            return None
        session.commit()
    principal, display_name, user_language = found.principal, found.display_name, found.language
    language = normalise_language(request.cookies.get(LANG_COOKIE) or user_language)
    return WebContext(
        factory=factory,
        secret=secret,
        principal=principal,
        display_name=display_name,
        language=language,
        csrf=request.cookies.get(CSRF_COOKIE, ""),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        resolve=_resolver(app_state(request)),
        data_dir=getattr(app_state(request), "data_dir", None),
        write_factory=getattr(app_state(request), "write_session_factory", None),
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
