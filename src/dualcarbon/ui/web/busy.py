"""The page a browser gets when the store stays busy past the lock budget: 503 with ``Retry-After``, never 500.

A page or a form route that lost the database write lock (another writer held it longer than the lock budget,
:data:`dualcarbon.store.db.LOCK_WAIT_BUDGET_MS`) changed nothing; :func:`store_busy_response` says so in the
reader's language (Chinese first) and offers to load the page again. :func:`is_store_busy` tells such an error
from a real fault.
"""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from dualcarbon.core.errors import StoreBusy
from dualcarbon.store.db import is_transient_lock_error
from dualcarbon.ui.web.i18n import translate


def is_store_busy(exc: BaseException) -> bool:
    """True for :class:`StoreBusy` and for a database error that only says a lock was not had in time."""
    return isinstance(exc, StoreBusy) or is_transient_lock_error(exc)


def store_busy_response(language: str, retry_path: str = "/") -> HTMLResponse:
    """A self-contained 503 page (no NiceGUI client: nothing of the half-built page is kept)."""
    title, detail = translate(language, "busy.title"), translate(language, "busy.detail")
    retry = translate(language, "busy.retry")
    lang = "en" if language == "en" else "zh-CN"
    body = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">'
        f'<h1 data-testid="store-busy" style="font-size: 1.5rem">{escape(title)}</h1>'
        f"<p>{escape(detail)}</p>"
        f'<p><a href="{escape(retry_path, quote=True)}">{escape(retry)}</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=503, headers={"Retry-After": str(StoreBusy.retry_after_s)})
