"""Structured logging: one logger per module, JSON lines for machines, readable lines for people.

Modules log through ``logging.getLogger(__name__)``; :func:`configure_logging` installs one handler on the
root logger that writes to stderr:

* ``json`` — one JSON object per line: ``ts`` (ISO-8601 with time zone), ``level``, ``logger``, ``message``,
  ``request_id`` when inside a request, every field given with ``extra={...}``, and ``exc`` with the
  traceback when there is one;
* ``text`` — ``12:30:05 INFO dualcarbon.app.api: message key=value …``;
* ``auto`` (the default) — text when stderr is a terminal, JSON otherwise (services, containers, pipes).

The request id of the HTTP request being served lives in :data:`request_id_var` (a context variable, so it
follows the request into worker threads); every record logged meanwhile carries it. This module imports
only the standard library, so the command line can configure logging without slowing its start.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from dualcarbon.core.settings import Settings

#: The id of the HTTP request being served (None outside a request).
request_id_var: ContextVar[str | None] = ContextVar("dualcarbon_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra={...}``.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (from :data:`request_id_var`) to records that do not carry one already."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = request_id_var.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL logger: message key=value …`` in local time, for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).astimezone().strftime("%H:%M:%S")
        line = f"{moment} {record.levelname:<7} {record.name}: {record.getMessage()}"
        extras = " ".join(f"{key}={value}" for key, value in _extra_fields(record).items())
        if extras:
            line = f"{line} {extras}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be swapped, e.g. by a test
    runner), instead of the stream that was current when the handler was made."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def wants_json(log_format: str, stream: TextIO | None = None) -> bool:
    """``json``/``text`` as asked; ``auto``: JSON unless ``stream`` (stderr) is a terminal."""
    if log_format != "auto":
        return log_format == "json"
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    try:
        return not (callable(isatty) and isatty())
    except ValueError:  # closed stream
        return True


_installed: list[logging.Handler] = []
# Libraries whose INFO lines are chatter for us (each migration step, each HTTP call of a test client): held
# at WARNING, and let through only when the level is DEBUG.
QUIET_LIBRARIES = ("alembic", "httpx", "httpcore")


def configure_logging(settings: Settings) -> logging.Handler:
    """Install the dualcarbon handler on the root logger (replacing one installed before) and set the root
    level from ``settings.log_level``; other handlers on the root logger are left alone, the chatty libraries
    of :data:`QUIET_LIBRARIES` are held at WARNING unless the level is DEBUG. Returns the handler."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if wants_json(settings.log_format) else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    root.addHandler(handler)
    _installed.append(handler)
    root.setLevel(settings.log_level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if settings.log_level == "DEBUG" else logging.WARNING)
    # core.units defines the energy units it needs (tce, toe, …) on pint's registry on purpose; pint warns at
    # WARNING about each definition it already had ('Redefining toe'), which is noise on every command.
    logging.getLogger("pint.util").setLevel(logging.NOTSET if settings.log_level == "DEBUG" else logging.ERROR)
    return handler
