"""Shared CLI plumbing: data directory option, turning domain errors into one line and exit code 2, and the
shapes of a command's output (``--json``, a listing, an output file)."""

from __future__ import annotations

import functools
import getpass
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import DualcarbonError, StoreBusy

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from dualcarbon.reference.tables import ReferenceSet

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="BaseModel")

EXIT_BAD_INPUT = 2
#: Exit status when the store stayed busy (another writer held its lock) past the retries: nothing was changed and
#: the same command may simply be run again — sysexits' EX_TEMPFAIL, for scripts that retry later.
EXIT_STORE_BUSY = 75
#: Runs of a command whose transaction could not even begin (the write lock not had within the lock budget).
STORE_BUSY_ATTEMPTS = 3
STORE_BUSY_MESSAGE = (
    "数据库正忙于其他修改（如在线监测写入），本次未作任何更改，请稍后重试 / "
    "the store is busy with other changes (e.g. live monitoring); nothing was changed, try again shortly"
)
#: Exit status when the reader of stdout closed the pipe: 128 + SIGPIPE, what a shell reports for such a tool.
EXIT_CLOSED_PIPE = 141

DataDirOption = typer.Option(
    None, "--data-dir", envvar="DUALCARBON_DATA_DIR", help="Data directory (default ./dualcarbon-data)"
)
JsonOption = typer.Option(False, "--json", help="print the result as JSON")


def data_dir_or_default(data_dir: Path | None) -> Path:
    """``--data-dir`` when given, else the ``DUALCARBON_DATA_DIR`` setting (default ``./dualcarbon-data``)."""
    if data_dir:
        return data_dir
    from dualcarbon.core.settings import get_settings  # pydantic-settings only once a command runs

    return get_settings().data_dir


def active_reference(data_dir: Path | None) -> ReferenceSet:
    """The reference tables active in the data directory (the shipped ones overlaid by what was imported)."""
    from dualcarbon.reference.tables import load_reference

    return load_reference(data_dir_or_default(data_dir))


def debug_enabled() -> bool:
    """The ``DUALCARBON_DEBUG`` setting: let internal errors raise with their traceback."""
    from dualcarbon.core.settings import get_settings

    return get_settings().debug


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one line on stderr and return an Exit to raise."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


def friendly_errors(func: F) -> F:
    """Decorator: domain errors → ``error: <field>: <reason>`` on stderr and exit code 2, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = _retried_while_busy(func, *args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not as a traceback at interpreter exit
            return result
        except BrokenPipeError:
            # The reader went away (``dualcarbon calc energy < x | head -c 10``): not an error of ours. Point
            # stdout at /dev/null so that the final flush at exit stays quiet, and stop like a piped Unix tool.
            _silence_stdout()
            raise typer.Exit(EXIT_CLOSED_PIPE) from None
        except DualcarbonError as exc:
            raise fail(str(exc), code=EXIT_STORE_BUSY if isinstance(exc, StoreBusy) else EXIT_BAD_INPUT) from None
        except FileNotFoundError as exc:
            raise fail(f"file not found: {exc.filename}") from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _store_busy(exc):  # still locked after the retries: say so plainly, with its own exit status
                raise fail(STORE_BUSY_MESSAGE, code=EXIT_STORE_BUSY) from None
            try:
                debug = debug_enabled()
            except DualcarbonError as bad_setting:  # e.g. DUALCARBON_DEBUG=maybe
                raise fail(str(bad_setting)) from None
            if debug:
                raise
            raise fail(
                f"internal error ({type(exc).__name__}: {exc}); set DUALCARBON_DEBUG=1 for details", code=1
            ) from None

    return wrapper  # type: ignore[return-value]


def _store_busy(exc: BaseException) -> bool:
    from dualcarbon.store.db import is_transient_lock_error

    return is_transient_lock_error(exc)


def _retried_while_busy(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, run again (up to :data:`STORE_BUSY_ATTEMPTS` runs, each waiting the lock budget)
    when its transaction could not *begin* for a lock: it changed nothing then, so a second run is the same command.
    A lock lost later in a transaction is not retried here (the command may have done other work meanwhile)."""
    for attempt in range(1, STORE_BUSY_ATTEMPTS + 1):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            statement = str(getattr(exc, "statement", "") or "").strip().upper()
            if attempt >= STORE_BUSY_ATTEMPTS or not _store_busy(exc) or not statement.startswith("BEGIN"):
                raise
            print(f"store busy, trying again ({attempt}/{STORE_BUSY_ATTEMPTS - 1}) …", file=sys.stderr)
    raise AssertionError("unreachable")  # pragma: no cover


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


def lazy_import(name: str) -> ModuleType:
    """The module ``name``, executed on its first attribute access.

    Command modules bind services, the store, Polars and NiceGUI through this, so that building the
    command tree (``dualcarbon --help``) imports none of them. Pair it with an ``if TYPE_CHECKING:`` import of
    the same module so that mypy and import-linter still see the dependency.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    if name in sys.modules:  # find_spec imports the parent package, whose __init__ may have imported ``name``:
        return sys.modules[name]  # a second module object would give two copies of every class in it
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def cli_principal() -> Principal:
    """The administrator the CLI acts as; audit rows name it ``cli:<os user>``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Principal(user_id=None, username=f"cli:{who}"[:64], grants=(Grant("admin"),))


def open_store(data_dir: Path | None) -> Engine:
    """The migrated store of an existing workspace; exit 2 when there is none yet.

    A store already at the newest migration is only read to find that out: migrating takes SQLite's write lock,
    and a read-only command must not wait for (or block) a writer just to learn that nothing is to be done."""
    from dualcarbon.store.db import init_store, make_engine, resolve_database_url, sqlite_path
    from dualcarbon.store.migrate import current_revision, head_revision

    url = resolve_database_url(data_dir)
    db_file = sqlite_path(url)
    if db_file is not None and not db_file.exists():
        raise fail(f"no database at {db_file}; run `dualcarbon init --data-dir {db_file.parent}` first")
    engine = make_engine(url)
    if current_revision(engine) == head_revision():
        return engine
    engine.dispose()
    return init_store(url)


@contextmanager
def session_factory(data_dir: Path | None) -> Iterator[Callable[[], AbstractContextManager[Session]]]:
    """One opened store for a long-running command (a subscriber): each call of the factory is one transaction.
    Opening the store checks the migrations, so it is done once here, not per transaction."""
    from dualcarbon.store.db import session_scope

    engine = open_store(data_dir)
    try:
        yield lambda: session_scope(engine)
    finally:
        engine.dispose()


@contextmanager
def transaction(data_dir: Path | None, *, write: bool = True) -> Iterator[Session]:
    """One transaction on the store; ``write=False`` for a read-only command (on SQLite it never waits for, nor
    blocks, a writer)."""
    from dualcarbon.store.db import session_scope

    engine = open_store(data_dir)
    try:
        with session_scope(engine, write=write) as session:
            yield session
    finally:
        engine.dispose()


# ---- output -----------------------------------------------------------------------------------------
def echo_json(data: Any) -> None:
    """Print a result as indented JSON: a model with the API's keys (its aliases), text unescaped, dates as ISO."""
    plain = data.model_dump(mode="json", by_alias=True) if hasattr(data, "model_dump") else data
    typer.echo(json.dumps(plain, ensure_ascii=False, indent=2, default=str))


def echo_listing(
    items: Sequence[M], line: Callable[[M], str], count: str, *, as_json: bool, total: int | None = None
) -> None:
    """A listing command's output. With ``--json`` the items as JSON (``{"items": …, "total": …}`` when the
    listing is paged, i.e. ``total`` is given); otherwise one ``line`` an item on stdout and ``count`` on stderr."""
    if as_json:
        dumped = [item.model_dump(mode="json") for item in items]
        echo_json(dumped if total is None else {"items": dumped, "total": total})
        return
    for item in items:
        typer.echo(line(item))
    typer.echo(count, err=True)


def check_output(out: Path, force: bool, suffix: str = ".xlsx") -> None:
    """Refuse an output name without ``suffix``, or an existing file without ``--force`` (before any work)."""
    if out.suffix.lower() != suffix:
        raise fail(f"{out}: the output file must end in {suffix}")
    if out.exists() and not force:
        raise fail(f"{out} already exists (use --force to replace it)")
