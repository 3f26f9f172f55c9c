"""The web UI: NiceGUI pages mounted on the FastAPI app of ``dualcarbon.api.app``.

``mount_web(app)`` adds the session routes (``/web/login``, ``/web/logout``, ``/web/lang/…``) and mounts
NiceGUI at ``/`` with ``ui.run_with``; it must be the last thing added to the app, because NiceGUI's mount
catches every path not matched before it. ``create_web_app(...)`` builds the API app and mounts the UI.

Pages call the services directly inside a session from ``app.state.session_factory`` as the logged-in
user (see ``session.WebContext``). Everything the browser loads — Vue, Quasar, AG Grid, ECharts, fonts —
is served from NiceGUI's wheel; nothing comes from the internet.

NiceGUI keeps one global page registry per process, so one process serves one web app.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from fastapi import FastAPI

PAGE_MODULES: tuple[str, ...] = (
    "dualcarbon.web.pages_login",
    "dualcarbon.web.pages_public",
    "dualcarbon.web.pages_dashboard",
    "dualcarbon.web.pages_enterprises",
    "dualcarbon.web.pages_reports",
    "dualcarbon.web.pages_review",
    "dualcarbon.web.pages_catalogs",
    "dualcarbon.web.pages_appeals",
    "dualcarbon.web.pages_audit",
)

_mounted: list[FastAPI] = []


def mount_web(app: FastAPI, *, title: str = "双碳平台", show_welcome_message: bool = False) -> FastAPI:
    """Attach the web UI to ``app`` (once per process) and return it."""
    if _mounted:
        if _mounted[0] is app:
            return app
        raise RuntimeError("the web UI is already mounted on another app in this process")
    from nicegui import ui

    from dualcarbon.web.session import bind_app_state, install_session_routes

    bind_app_state(app.state)
    ui.button.default_props("no-caps")  # Chinese has no case; keep English labels as written too
    data_dir = getattr(app.state, "data_dir", None)
    if data_dir is not None and "NICEGUI_STORAGE_PATH" not in os.environ:
        from nicegui.storage import Storage

        Storage.path = (Path(data_dir) / "nicegui").resolve()  # not ./.nicegui in whatever directory we run in
    install_session_routes(app)
    for module in PAGE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a page whose service is still being written
            if exc.name != module:
                raise
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
    """The API app of ``dualcarbon.api.app.create_app`` with the web UI mounted on it."""
    from dualcarbon.api.app import create_app

    return mount_web(create_app(database_url, data_dir=data_dir))
