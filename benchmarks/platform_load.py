"""Load generators for ``bench_platform.py``: a Python one (asyncio streams, bounded request count) and wrk.

Both are closed loops: ``concurrency`` clients each send their next request as soon as the previous
answer arrives, so by Little's law the mean latency is ``concurrency / throughput`` once the server is
saturated. Latency is measured per request from send to full body; percentiles are nearest-rank.
Only loopback URLs are accepted.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class LoadResult:
    """What one load run measured (latencies in seconds)."""

    name: str
    tool: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    requests: int = 0  # wrk: counted by wrk; python: len(latencies) + errors
    wrk_percentiles_ms: dict[str, float] | None = None

    def row(self) -> dict[str, float | int | str]:
        if self.wrk_percentiles_ms is not None:
            p = self.wrk_percentiles_ms
            return {
                "name": self.name,
                "tool": self.tool,
                "concurrency": self.concurrency,
                "requests": self.requests,
                "errors": self.errors,
                "rps": self.requests / self.seconds,
                "p50_ms": p["p50"],
                "p95_ms": p["p95"],
                "p99_ms": p["p99"],
                "max_ms": p["max"],
            }
        values = sorted(self.latencies)
        return {
            "name": self.name,
            "tool": self.tool,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "rps": self.requests / self.seconds,
            "p50_ms": percentile(values, 50) * 1000,
            "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "max_ms": (values[-1] if values else math.nan) * 1000,
        }


def _check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host}: the benchmark only drives loopback addresses")


class _Connection:
    """One keep-alive HTTP/1.1 connection (asyncio streams): GET and read the whole response."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}\r\n"
        self.writer.write(request.encode("latin-1"))
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in fields:
            await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _python_load(
    base_url: str, path_for: Callable[[int], str], headers: dict[str, str], total: int, concurrency: int, name: str
) -> LoadResult:
    _check_loopback(base_url)
    parts = urlsplit(base_url)
    latencies: list[float] = []
    errors = 0
    issued = 0

    async def worker() -> None:
        nonlocal issued, errors
        connection = _Connection(parts.hostname or "127.0.0.1", parts.port or 80, headers)
        try:
            while issued < total:
                index = issued
                issued += 1
                started = time.perf_counter()
                try:
                    ok = await connection.get(path_for(index)) == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    await connection.close()
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    return LoadResult(name, "python-asyncio", concurrency, seconds, latencies, errors, len(latencies) + errors)


def python_load(
    base_url: str, path_for: Callable[[int], str], headers: dict[str, str], *, total: int, concurrency: int, name: str
) -> LoadResult:
    """``total`` GETs of ``path_for(i)`` with ``concurrency`` keep-alive connections, each sending its next
    request when the previous answer is read (plain asyncio streams: httpx's AsyncClient itself became the
    bottleneck at 100 connections on this machine)."""
    return asyncio.run(_python_load(base_url, path_for, headers, total, concurrency, name))


_WRK_SCRIPT = """
local total = {total}
local counter = 0
wrk.headers["Authorization"] = "{authorization}"
request = function()
  counter = counter + 1
  return wrk.format(nil, string.format("{path_format}", (counter * {step}) % total))
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, ' ..
    '"p50": %f, "p95": %f, "p99": %f, "max": %f}}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_load(
    base_url: str,
    path_format: str,
    step: int,
    total: int,
    authorization: str,
    *,
    seconds: int,
    concurrency: int,
    threads: int,
    name: str,
) -> LoadResult:
    """wrk for ``seconds`` with ``concurrency`` connections; ``path_format`` takes one ``%d`` (an offset
    cycling by ``step`` over ``total``)."""
    _check_loopback(base_url)
    script = _WRK_SCRIPT.format(total=max(total, 1), authorization=authorization, path_format=path_format, step=step)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.lua"
        path.write_text(script, encoding="utf-8")
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(path),
            base_url,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    found = json.loads(line.removeprefix("WRKJSON "))
    result = LoadResult(
        name,
        "wrk",
        concurrency,
        found["duration_us"] / 1e6,
        errors=found["errors"] + found["non2xx"],
        requests=found["requests"],
    )
    result.wrk_percentiles_ms = {key: found[key] for key in ("p50", "p95", "p99", "max")}
    return result
