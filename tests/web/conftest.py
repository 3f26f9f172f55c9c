"""Browser-test fixtures: a seeded data directory, the real ``dualcarbon serve`` in a subprocess on a free
port, and Debian chromium driven by Playwright (never ``playwright install``).

* ``web_world`` (session) — a temporary data directory seeded with :mod:`fixture_data` through the services.
* ``server`` (session) — ``python -m dualcarbon.app.cli serve --data-dir … --port <free>``, waited for
  until ``/healthz`` answers, terminated after the session. Its output goes to ``tests/_artifacts/server.log``.
* ``browser`` (session) and ``page`` (per test, a fresh context so cookies never leak between tests).
* ``login(page, username)`` — fills the login form and waits for the home page.

The browser tests run on the embedded SQLite store; the services underneath are tested on both backends.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .fixture_data import PASSWORD, World, seed
from .processes import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
STARTUP_SECONDS = 90.0


@dataclass
class Server:
    base_url: str
    data_dir: Path
    world: World

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    data_dir = tmp_path_factory.mktemp("web") / "data"
    return data_dir, seed(data_dir)


@pytest.fixture(scope="session")
def server(web_world: tuple[Path, World], artifacts: Path) -> Iterator[Server]:
    data_dir, world = web_world
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DUALCARBON_DATABASE_URL", "DUALCARBON_DATA_DIR")}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "dualcarbon.app.cli", "serve", "--data-dir", str(data_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    with serving(
        command,
        env=env,
        cwd=data_dir.parent,
        log_path=artifacts / "server.log",
        ready_url=base + "/healthz",
        seconds=STARTUP_SECONDS,
        name="the server",
    ):
        yield Server(base, data_dir, world)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[object]:
    context = browser.new_context(
        base_url=server.base_url,
        viewport={"width": 1440, "height": 900},  # type: ignore[attr-defined]
        locale="zh-CN",
        accept_downloads=True,
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def login(server: Server) -> Callable[..., None]:
    def do(page: object, username: str, password: str = PASSWORD) -> None:
        page.goto("/login")  # type: ignore[attr-defined]
        page.locator("input[name=username]").fill(username)  # type: ignore[attr-defined]
        page.locator("input[name=password]").fill(password)  # type: ignore[attr-defined]
        page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
        page.wait_for_url(lambda url: "/login" not in url)  # type: ignore[attr-defined]
        page.get_by_role("button", name="退出登录").wait_for()  # type: ignore[attr-defined]

    return do


def shot(page: object, artifacts: Path, name: str) -> Path:
    """A full-page screenshot in tests/_artifacts/ (after the page has settled)."""
    path = artifacts / f"{name}.png"
    page.wait_for_timeout(400)  # type: ignore[attr-defined]  # let charts finish their entry animation
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests share one served app and one chromium: keep them on one xdist worker."""
    for item in items:
        if "tests/web/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("browser"))
