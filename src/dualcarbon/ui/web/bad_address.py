"""The page a browser gets for an address the page cannot take (``/audits/abc`` where a number is expected, a
query parameter of the wrong type): 400 with the reason in the reader's language — never FastAPI's bare JSON
``{"detail": …}`` and never a 500. Registered on NiceGUI's app by ``dualcarbon.app.web.mount_web``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse

from dualcarbon.core.errors import validation_message_zh
from dualcarbon.ui.web.i18n import translate
from dualcarbon.ui.web.session import anonymous_language


def _label(language: str, name: str) -> str:
    key = f"field.{name}"
    text = translate(language, key)
    return name if text == key else text


def _page(language: str, title: str, detail_html: str, status: int) -> HTMLResponse:
    """A self-contained error page (no NiceGUI: it must render whatever state the page app is in)."""
    lang = "en" if language == "en" else "zh-CN"
    home = translate(language, "refusal.home")
    body = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">'
        f'<h1 data-testid="page-error" style="font-size: 1.5rem">{escape(title)}</h1>'
        f'{detail_html}<p><a href="/">{escape(home)}</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=status)


def bad_address_response(language: str, errors: list[dict[str, Any]]) -> HTMLResponse:
    """A self-contained 400 page naming the first parameter of the address that cannot be read, and why."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": ""}
    name = str(first.get("loc", ("",))[-1]) if first.get("loc") else ""
    label = _label(language, name) if name else ""
    why = str(first.get("msg", "")) if language == "en" else validation_message_zh(first, label or None)
    detail = translate(language, "badaddress.detail", field=label or "?", why=why)
    detail_html = f'<p data-testid="page-error-detail">{escape(detail)}</p>'
    return _page(language, translate(language, "badaddress.title"), detail_html, 400)


async def bad_address(request: Request, exc: Exception) -> HTMLResponse:
    """Exception handler of the page app for :class:`RequestValidationError`."""
    errors = list(exc.errors()) if isinstance(exc, RequestValidationError) else []
    return bad_address_response(anonymous_language(request), errors)


def not_found_response(language: str) -> HTMLResponse:
    """A self-contained 404 page in the reader's language for an address no page has (NiceGUI's own is English)."""
    detail_html = f"<p>{escape(translate(language, 'notfound.detail'))}</p>"
    return _page(language, translate(language, "notfound.title"), detail_html, 404)


async def page_not_found(request: Request, exc: Exception) -> HTMLResponse:
    """Exception handler of the page app for 404 (an address no page has)."""
    return not_found_response(anonymous_language(request))
