"""The web UI: NiceGUI pages mounted on the FastAPI app of ``dualcarbon.app.api``.

``mount_web(app)`` adds the session routes (``/web/login``, ``/web/logout``, ``/web/lang/…``) and mounts
NiceGUI at ``/`` with ``ui.run_with``; it must be the last thing added to the app, because NiceGUI's mount
catches every path not matched before it. ``create_web_app(...)`` builds the API app and mounts the UI.

Pages call the services directly inside a session from ``app.state.session_factory`` as the logged-in
user (see ``session.WebContext``). Everything the browser loads — Vue, Quasar, AG Grid, ECharts, fonts —
is served from NiceGUI's wheel; nothing comes from the internet.

NiceGUI keeps one global page registry per process, so one process serves one web app.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

_mounted: list[FastAPI] = []


def mount_web(app: FastAPI, *, title: str = "双碳平台", show_welcome_message: bool = False) -> FastAPI:
    """Attach the web UI to ``app`` (once per process) and return it."""
    if _mounted:
        if _mounted[0] is app:
            return app
        raise RuntimeError("the web UI is already mounted on another app in this process")
    from nicegui import ui

    from dualcarbon.accounts.pages import install_session_routes
    from dualcarbon.ui.web.session import bind_app_state

    bind_app_state(app.state)
    ui.button.default_props("no-caps")  # Chinese has no case; keep English labels as written too
    data_dir = getattr(app.state, "data_dir", None)
    if data_dir is not None and "NICEGUI_STORAGE_PATH" not in os.environ:
        from nicegui.storage import Storage

        Storage.path = (Path(data_dir) / "nicegui").resolve()  # not ./.nicegui in whatever directory we run in
    install_session_routes(app)
    _register_pages()
    # an address a page cannot take (``/audits/abc``): a 400 page with the reason, not FastAPI's bare JSON
    from fastapi.exceptions import RequestValidationError
    from nicegui import app as pages_app

    from dualcarbon.ui.web.bad_address import bad_address, page_not_found

    pages_app.add_exception_handler(RequestValidationError, bad_address)
    pages_app.add_exception_handler(404, page_not_found)  # NiceGUI's own 404 page is English only
    ui.run_with(
        app,
        title=title,
        favicon=Path(__file__).with_name("favicon.svg"),
        language="zh-CN",
        dark=False,
        show_welcome_message=show_welcome_message,
        reconnect_timeout=10.0,
        storage_secret=None,
    )
    _mounted.append(app)
    return app


def create_web_app(database_url: str | None = None, *, data_dir: Path | None = None) -> FastAPI:
    """The API app of ``dualcarbon.app.api.create_app`` with the web UI mounted on it."""
    from sqlalchemy.orm import configure_mappers

    from dualcarbon.app.api import create_app

    app = mount_web(create_app(database_url, data_dir=data_dir))
    # every subject's models are imported by now: configure the ORM mappers once, here, before the server's
    # worker threads and the background loops first touch them at the same moment (a lazy configuration
    # raced by threads at start-up once failed with SystemError and left every login a 500 until a restart)
    configure_mappers()
    return app


def _register_pages() -> None:
    """Import every subject's pages (their ``@ui.page`` decorators register them), listed explicitly:
    a moved or missing page module is an import error, never a silent skip."""
    from dualcarbon.accounts import pages as _login  # noqa: F401
    from dualcarbon.accounts import pages_audit as _audit  # noqa: F401
    from dualcarbon.alerts import pages as _alerts  # noqa: F401
    from dualcarbon.alerts import pages_sections as _alert_sections
    from dualcarbon.app import pages_dashboard as _dashboard  # noqa: F401
    from dualcarbon.app import pages_enterprises as _enterprises  # noqa: F401
    from dualcarbon.app import pages_reference as _reference  # noqa: F401
    from dualcarbon.assets import pages as _assets  # noqa: F401
    from dualcarbon.assets import pages_detail as _asset_detail  # noqa: F401
    from dualcarbon.audits import pages as _audits  # noqa: F401
    from dualcarbon.catalog import pages as _catalogs  # noqa: F401
    from dualcarbon.catalog import pages_appeals as _appeals  # noqa: F401
    from dualcarbon.catalog import pages_detail as _catalog  # noqa: F401
    from dualcarbon.catalog import pages_public as _public  # noqa: F401
    from dualcarbon.equipment import pages as _equipment  # noqa: F401
    from dualcarbon.footprint import pages as _footprint  # noqa: F401
    from dualcarbon.monitoring import pages as _meters  # noqa: F401
    from dualcarbon.monitoring import pages_enterprise as _monitoring_enterprise
    from dualcarbon.monitoring import pages_meter as _meter  # noqa: F401
    from dualcarbon.monitoring import pages_prefill as _prefill  # noqa: F401
    from dualcarbon.monitoring import pages_quality as _quality  # noqa: F401
    from dualcarbon.monitoring import pages_region as _monitoring_region
    from dualcarbon.policy import pages as _policy  # noqa: F401
    from dualcarbon.projects import pages as _projects  # noqa: F401
    from dualcarbon.reports import pages as _reports  # noqa: F401
    from dualcarbon.reports import pages_review as _review  # noqa: F401
    from dualcarbon.subsidies import pages as _subsidies  # noqa: F401
    from dualcarbon.targets import pages as _targets  # noqa: F401

    # The monitoring dashboards show the alerts through section lists (monitoring may not import alerts).
    if _alert_sections.region_alerts_section not in _monitoring_region.REGION_SECTIONS:
        _monitoring_region.REGION_SECTIONS.append(_alert_sections.region_alerts_section)
        _monitoring_enterprise.ENTERPRISE_SECTIONS.append(_alert_sections.enterprise_alerts_section)
