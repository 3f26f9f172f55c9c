"""The demo workspace: a fresh directory only; --force replaces an earlier demo, never anything else."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.core.errors import Conflict
from dualcarbon.demo.build import DemoLogin
from dualcarbon.demo.workspace import (
    LOGINS_FILE,
    MARKER,
    check_port_free,
    logins_text,
    prepare_workspace,
    write_logins,
)


def test_new_directory_is_created_with_its_marker(tmp_path: Path) -> None:
    workspace = prepare_workspace(tmp_path / "new" / "demo")
    assert (workspace.directory / MARKER).is_file()
    assert workspace.database_url.endswith("/new/demo/dualcarbon.sqlite3")


def test_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Conflict, match="not empty"):
        prepare_workspace(tmp_path)
    with pytest.raises(Conflict, match="not a demo workspace"):
        prepare_workspace(tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_force_replaces_an_earlier_demo(tmp_path: Path) -> None:
    workspace = prepare_workspace(tmp_path / "demo")
    (workspace.directory / "dualcarbon.sqlite3").write_bytes(b"old")
    (workspace.directory / "nicegui").mkdir()
    again = prepare_workspace(tmp_path / "demo", force=True)
    assert sorted(p.name for p in again.directory.iterdir()) == [MARKER]


def test_cli_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["demo", "--data-dir", str(tmp_path), "--no-serve", "--enterprises", "10", "--meter-days", "3"]
    )
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_cli_refuses_a_busy_port_before_building(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(Conflict, match="cannot listen"):
            check_port_free("127.0.0.1", port)
        result = CliRunner().invoke(
            app, ["demo", "--data-dir", str(tmp_path / "d"), "--port", str(port), "--meter-days", "3", "--no-live"]
        )
    assert result.exit_code == 2 and "cannot listen" in result.output
    assert not (tmp_path / "d").exists()


def test_logins_file_is_private(tmp_path: Path) -> None:
    workspace = prepare_workspace(tmp_path / "demo")
    logins = [DemoLogin("admin", "admin", "全部 (all)", "pw-1234567890ab")]
    path = write_logins(workspace, logins, "http://127.0.0.1:8000/")
    assert path.name == LOGINS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == logins_text(logins, "http://127.0.0.1:8000/")
    assert "admin\tadmin\t全部 (all)\tpw-1234567890ab" in path.read_text(encoding="utf-8")
