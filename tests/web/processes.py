"""A server process for the browser tests: started, waited for until a URL answers 200, stopped afterwards."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


@contextmanager
def serving(
    command: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, ready_url: str, seconds: float, name: str
) -> Iterator[None]:
    """Runs ``command`` (output to ``log_path``) until ``ready_url`` answers 200, within ``seconds``; fails the test
    naming ``name`` and the log if it exits or does not answer; terminates it (then kills it) on leaving."""
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=dict(env), cwd=cwd)
    deadline = time.monotonic() + seconds
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}; see {log_path}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not answer {ready_url} within {seconds:.0f} s; see {log_path}")
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
