"""Structured logging (dualcarbon.core.logging) and the request id of the API (dualcarbon.app.api.RequestId)."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dualcarbon.core.logging import (
    JsonFormatter,
    TextFormatter,
    configure_logging,
    request_id_var,
    wants_json,
)
from dualcarbon.core.settings import Settings

PATH = "/api/v1/enterprises"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_logging() -> Iterator[logging.Handler]:
    """The dualcarbon handler in JSON mode on the root logger (as a served app has it)."""
    handler = configure_logging(Settings(log_format="json", log_level="INFO"))
    yield handler
    configure_logging(Settings(log_format="json", log_level="WARNING"))


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_json_line_has_time_level_logger_message_and_extras(
    json_logging: logging.Handler, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("dualcarbon.test.one")
    log.info("imported %d rows", 12, extra={"table": "platform_rules", "rows": 12})
    token = request_id_var.set("req-42")
    try:
        log.warning("inside a request")
    finally:
        request_id_var.reset(token)
    first, second = _json_lines(capsys.readouterr().err)[-2:]
    assert first["level"] == "INFO" and first["logger"] == "dualcarbon.test.one"
    assert first["message"] == "imported 12 rows"
    assert (first["table"], first["rows"]) == ("platform_rules", 12)
    assert "request_id" not in first
    moment = datetime.fromisoformat(first["ts"])
    assert moment.tzinfo is not None and moment.utcoffset() is not None  # ISO-8601 with a time zone
    assert second["request_id"] == "req-42" and second["level"] == "WARNING"


def test_exceptions_and_odd_values_still_make_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", ("步骤",), exc_info)
    record.when = datetime(2026, 1, 1)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed: 步骤" and "ValueError: boom" in entry["exc"]
    assert entry["when"] == "2026-01-01 00:00:00"


def test_text_on_a_terminal_json_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not wants_json("auto", Terminal()) and wants_json("auto", io.StringIO())
    assert wants_json("json", Terminal()) and not wants_json("text", io.StringIO())
    record = logging.LogRecord("dualcarbon.x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id = "abc"
    line = TextFormatter().format(record)
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO    dualcarbon\.x: hello request_id=abc", line)


def test_configure_logging_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    other = logging.NullHandler()
    root.addHandler(other)
    try:
        first = configure_logging(Settings(log_format="text", log_level="WARNING"))
        second = configure_logging(Settings(log_format="json", log_level="WARNING"))
        assert second in root.handlers and first not in root.handlers and other in root.handlers
        assert root.level == logging.WARNING
        assert logging.getLogger("alembic").level == logging.WARNING  # migration chatter stays quiet
        assert isinstance(second.formatter, JsonFormatter)
    finally:
        root.removeHandler(other)


# ---- the request id of the API -------------------------------------------------------------------------


def test_every_response_carries_a_request_id_and_a_sane_one_is_echoed(
    client: TestClient,
    json_logging: logging.Handler,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO, logger="dualcarbon.app.api")
    fresh = client.get(PATH)  # no credentials: 401, still logged and tagged
    assert fresh.status_code == 401 and GENERATED_ID.fullmatch(fresh.headers["X-Request-ID"])
    assert client.get("/healthz").headers["X-Request-ID"] != fresh.headers["X-Request-ID"]

    echoed = client.get(PATH, headers={"X-Request-ID": "trace-2026.01_a"})
    assert echoed.headers["X-Request-ID"] == "trace-2026.01_a"
    for bad in ("has spaces", "x" * 65, "semi;colon", "ünïcode".encode()):
        replaced = client.get(PATH, headers={"X-Request-ID": bad})
        assert GENERATED_ID.fullmatch(replaced.headers["X-Request-ID"]), bad

    access = [r for r in caplog.records if r.name == "dualcarbon.app.api" and hasattr(r, "duration_ms")]
    assert len(access) == 6  # one per API request; /healthz is not an API path
    line = access[1].__dict__
    assert (access[1].levelno, line["method"], line["path"], line["status"]) == (logging.INFO, "GET", PATH, 401)
    assert line["request_id"] == "trace-2026.01_a" and line["duration_ms"] >= 0
    written = [e for e in _json_lines(capsys.readouterr().err) if e.get("logger") == "dualcarbon.app.api"]
    assert {"ts", "level", "message", "method", "path", "status", "duration_ms", "request_id"} <= set(written[1])
    assert written[1]["request_id"] == "trace-2026.01_a"


def test_records_logged_while_serving_carry_the_request_id(
    json_logging: logging.Handler, capsys: pytest.CaptureFixture[str]
) -> None:
    from dualcarbon.app.api import RequestId

    app = FastAPI()

    @app.get("/api/v1/work")
    def work() -> dict[str, str]:  # a sync route: runs in a worker thread
        logging.getLogger("dualcarbon.test.work").info("working")
        return {"seen": request_id_var.get() or ""}

    app.add_middleware(RequestId)
    with TestClient(app) as client:
        response = client.get("/api/v1/work", headers={"X-Request-ID": "job-7"})
    assert response.json() == {"seen": "job-7"} and response.headers["X-Request-ID"] == "job-7"
    entries = _json_lines(capsys.readouterr().err)
    working = next(e for e in entries if e["logger"] == "dualcarbon.test.work")
    assert working["request_id"] == "job-7" and working["message"] == "working"
    assert request_id_var.get() is None  # reset after the request
