"""A busy SQLite store never turns into a 500 or an "internal error" (brief I: the live demo on SQLite).

Another connection holds the write lock while a browser logs in, opens a page that writes, or the CLI runs:
within the lock budget they wait and succeed; past it they answer a Chinese 503 page with ``Retry-After`` (web)
or a "store busy" line and exit status 75 (CLI) — and a read-only ``audit verify`` never waits at all.

The web UI mounts once per process (``app.web.mount_web``), so the web requests run in a child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from typer.testing import CliRunner

from dualcarbon.store import db
from dualcarbon.store.db import session_scope
from dualcarbon.ui.commands import EXIT_STORE_BUSY

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_lock (importlib mode)
from race_lock import write_lock_held

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[6])
from race_lock import write_lock_held
from dualcarbon.store import db
url, data_dir, password, budget_ms, hold_s = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
db.SQLITE_BUSY_TIMEOUT_MS = budget_ms
from fastapi.testclient import TestClient
from nicegui import ui
from sqlalchemy import text
from dualcarbon.app.web import create_web_app
from dualcarbon.ui.web.layout import web_page

def _write(session, principal):
    session.scalar(text("SELECT count(*) FROM busy_probe"))  # read first, as pages do: no waiting in a deferred try
    session.execute(text("INSERT INTO busy_probe VALUES (1)"))

@web_page("/busy-probe", title_key="app.title")
def busy_probe(ctx):
    ctx.call(_write)
    ui.label("written")

app = create_web_app(url, data_dir=data_dir)
out = {}
form = {"username": "city", "password": password, "next": "/"}
origin = {"origin": "http://testserver"}

def answer(response, started):
    return {"status": response.status_code, "seconds": round(time.monotonic() - started, 2),
            "location": response.headers.get("location", ""), "retry_after": response.headers.get("retry-after"),
            "text": response.text[-3000:]}

with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
    assert client.post("/web/login", data=form, headers=origin, follow_redirects=False).status_code == 303
    with write_lock_held(url, hold_s):
        started = time.monotonic()
        out["page"] = answer(client.get("/busy-probe"), started)
    client.cookies.clear()
    with write_lock_held(url, hold_s):
        started = time.monotonic()
        out["login"] = answer(client.post("/web/login", data=form, headers=origin, follow_redirects=False), started)
app.state.engine.dispose()
print(json.dumps(out))
"""


@pytest.fixture
def sqlite_world(world: Any) -> Any:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")
    with session_scope(world.engine) as session:
        session.execute(text("CREATE TABLE busy_probe (n INTEGER)"))
    return world


def _child(world: Any, tmp_path: Path, budget_ms: int, hold_s: float) -> dict[str, Any]:
    tests = str(Path(__file__).resolve().parents[1])
    args = [world.url, str(tmp_path), world.password, str(budget_ms), str(hold_s), tests]
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_within_the_budget_a_login_and_a_writing_page_wait_and_succeed(sqlite_world: Any, tmp_path: Path) -> None:
    out = _child(sqlite_world, tmp_path, budget_ms=5000, hold_s=1.5)
    page, login = out["page"], out["login"]
    assert page["status"] == 200 and "written" in page["text"], page
    assert page["seconds"] >= 1.0  # it waited for the other writer instead of failing at once
    assert login["status"] == 303 and "error=" not in login["location"], login  # before: 503 at once
    assert login["seconds"] >= 1.0
    with session_scope(sqlite_world.engine, write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM busy_probe")) == 1


def test_past_the_budget_the_browser_gets_a_chinese_503_page_never_500(sqlite_world: Any, tmp_path: Path) -> None:
    out = _child(sqlite_world, tmp_path, budget_ms=300, hold_s=2.0)
    for name in ("page", "login"):
        answer = out[name]
        assert answer["status"] == 503, (name, answer["status"], answer["text"][-500:])  # the page was a 500
        assert answer["retry_after"] == "1"
        assert "数据库正忙" in answer["text"] and 'data-testid="store-busy"' in answer["text"]
    with session_scope(sqlite_world.engine, write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM busy_probe")) == 0  # nothing was changed


def _cli(args: list[str]) -> Any:
    from dualcarbon.app.cli import app

    return CliRunner().invoke(app, args)


def test_audit_verify_reads_without_the_write_lock(sqlite_world: Any) -> None:
    data_dir = str(Path(str(make_url(sqlite_world.url).database)).parent)
    with write_lock_held(sqlite_world.url, 3.0):
        started = time.monotonic()
        result = _cli(["audit", "verify", "--data-dir", data_dir])
        seconds = time.monotonic() - started
    assert "internal error" not in result.output and "database is locked" not in result.output, result.output
    assert "chain intact" in result.output and result.exit_code == 0, result.output
    assert seconds < 2.5  # did not queue behind the writer (it used to fail on BEGIN IMMEDIATE after 5 s)


def test_a_cli_command_past_the_budget_retries_then_says_the_store_is_busy(
    sqlite_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    data_dir = str(Path(str(make_url(sqlite_world.url).database)).parent)
    with write_lock_held(sqlite_world.url, 2.5):
        result = _cli(["audit", "checkpoint", "--data-dir", data_dir])
    assert result.exit_code == EXIT_STORE_BUSY, result.output
    assert "internal error" not in result.output
    assert "数据库正忙" in result.output and "trying again (2/2)" in result.output
