"""Shared CLI plumbing: data directory option, turning domain errors into one line and exit code 2."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from dualcarbon.errors import DualcarbonError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2

DataDirOption = typer.Option(
    None, "--data-dir", envvar="DUALCARBON_DATA_DIR", help="Data directory (default ./dualcarbon-data)"
)


def data_dir_or_default(data_dir: Path | None) -> Path:
    return data_dir or Path(os.environ.get("DUALCARBON_DATA_DIR", "dualcarbon-data"))


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one line on stderr and return an Exit to raise."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


def friendly_errors(func: F) -> F:
    """Decorator: domain errors → ``error: <field>: <reason>`` on stderr and exit code 2, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DualcarbonError as exc:
            raise fail(str(exc)) from None
        except FileNotFoundError as exc:
            raise fail(f"file not found: {exc.filename}") from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("DUALCARBON_DEBUG"):
                raise
            raise fail(
                f"internal error ({type(exc).__name__}: {exc}); set DUALCARBON_DEBUG=1 for details", code=1
            ) from None

    return wrapper  # type: ignore[return-value]
