"""The response cache: answers of pure relational reads of the JSON API, kept per caller, never stale.

An ASGI middleware in front of the routes (``app.api``). For every request under ``/api/`` and ``/public/``
it reads the store's data generation (:mod:`dualcarbon.store.generation`: the marker, and the per-table
counters when the marker moved) and leaves the stamp of the caller tables (:data:`CALLER_TABLES`) in
:data:`~dualcarbon.store.generation.request_generation` for the principal cache. A ``GET`` of a cached path is
then answered from memory, before routing, when an answer to the same request is kept whose stamp — the
counters of the tables it read, and of the caller tables for a caller's answer — is still the current one: no
database, no thread hop. Otherwise the route runs with the tables its SQL names collected
(:data:`~dualcarbon.store.generation.statement_tables`), and a 200 JSON answer without cookies is kept with
the stamp of those tables in the snapshot read *before* it ran (a change committed meanwhile makes that stamp
old, so the answer is never served). A write to a table the answer did not read — a token's ``last_used_at``
is not even counted, a meter, an alert, rollup state — leaves it served (decision 0013).

Key: the caller (SHA-256 of the bearer token, else of the session cookie, else anonymous), the path, the
full query string and ``Accept-Language``. Answers are never shared between callers; anonymous reads of the
public lists are shared by all anonymous callers. A caller's answer is served only while the principal
cache still holds the caller under the same caller stamp (``still_cached``): an expired token or session
is never answered from here; a revoked token, a disabled user or a changed role are writes to the caller
tables, so the stamp covers them.

Memory: least recently used answers are dropped beyond ``DUALCARBON_RESPONSE_CACHE_MB`` (bytes of bodies,
headers and keys); 0 turns the cache off. Each answer carries ``ETag: W/"<hash of its stamp and the key>"``;
a request whose ``If-None-Match`` names the current one gets 304.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualcarbon.store.generation import DataGeneration, Snapshot, request_generation, statement_tables
from dualcarbon.ui.api import SESSION_COOKIE

#: Paths whose GET answers are pure reads of the relational store (no Parquet, no files, no clock),
#: with the query parameters that make an answer depend on something else (then it is not cached).
CACHED_PATHS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"/api/v1/enterprises(?:/[0-9A-Za-z]+)?"), frozenset()),
    (re.compile(r"/api/v1/catalogs(?:/[0-9]+)?"), frozenset()),
    # ?field= reads the reference tables of the data directory (files): not cached
    (re.compile(r"/api/v1/catalogs/[0-9]+/entries"), frozenset({"field"})),
    (re.compile(r"/api/v1/auth/(?:me|tokens)"), frozenset()),
    (re.compile(r"/public/catalogs(?:/[0-9]+/(?:advanced|backward))?"), frozenset()),
)
PREFIXES = ("/api/", "/public/")
#: The tables a caller's resolution reads (accounts: users, tokens, roles, agency assignments): part of the
#: stamp of every caller's answer, and the generation the principal cache compares its entries against.
CALLER_TABLES = ("user_account", "api_token", "role_assignment", "agency_assignment")
_ENTRY_OVERHEAD = 400  # bytes of bookkeeping per entry, roughly (dict slot, tuples, the entry object)
_KEPT_HEADERS = frozenset({b"content-type", b"content-length", b"content-language"})

#: ``still_cached(secret, session_only)``: whether the principal cache serves this caller now.
CallerCheck = Callable[[str, bool], bool]


@dataclass(frozen=True)
class _Answer:
    tables: tuple[str, ...]  # the tables it depends on, sorted (empty: the whole marker)
    stamp: Hashable  # Snapshot.stamp(tables) before it was made
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    size: int


class AnswerStore:
    """Answers by key, least recently used dropped beyond ``max_bytes``; one is served only under its stamp."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._answers: OrderedDict[tuple[object, ...], _Answer] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.bytes = 0

    def get(self, key: tuple[object, ...], snapshot: Snapshot) -> _Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                return None
            if snapshot.stamp(answer.tables) != answer.stamp:
                del self._answers[key]  # something it read changed: never served again
                self.bytes -= answer.size
                return None
            self._answers.move_to_end(key)
            return answer

    def put(self, key: tuple[object, ...], answer: _Answer) -> None:
        if answer.size > self.max_bytes // 4:
            return  # one answer may not push out most of the others
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._answers[key] = answer
            self.bytes += answer.size
            while self.bytes > self.max_bytes and self._answers:
                _, dropped = self._answers.popitem(last=False)
                self.bytes -= dropped.size


def _cacheable(path: str, query: bytes) -> bool:
    for pattern, refused in CACHED_PATHS:
        if pattern.fullmatch(path):
            if refused and query:
                names = {part.split(b"=", 1)[0].decode("latin-1") for part in query.split(b"&")}
                return not (names & refused)
            return True
    return False


def _caller(headers: list[tuple[bytes, bytes]]) -> tuple[str, bool] | None:
    """(secret, session_only) exactly as ``ui.api`` reads it (the first ``Authorization`` header when it is a
    bearer token, else the session cookie as Starlette parses the first ``Cookie`` header)."""
    authorization = cookie = None
    for name, value in headers:
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"cookie" and cookie is None:
            cookie = value.decode("latin-1")
    if authorization and authorization[:7].lower() == "bearer " and authorization[7:].strip():
        return authorization[7:].strip(), False
    secret = cookie_parser(cookie).get(SESSION_COOKIE) if cookie else None
    return (secret, True) if secret else None


class ResponseCache:
    """ASGI middleware: answer cached reads before routing (see the module's description)."""

    def __init__(self, app: ASGIApp, *, generation: DataGeneration, max_bytes: int, still_cached: CallerCheck) -> None:
        self.app = app
        self.generation = generation
        self.still_cached = still_cached
        self.answers = AnswerStore(max_bytes)
        self.enabled = max_bytes > 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or not scope["path"].startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        snapshot = self.generation.current()
        token = request_generation.set(None if snapshot is None else snapshot.stamp(CALLER_TABLES))
        try:
            if snapshot is None or scope["method"] != "GET" or not _cacheable(scope["path"], scope["query_string"]):
                await self.app(scope, receive, send)
                return
            await self._read(scope, receive, send, snapshot)
        finally:
            request_generation.reset(token)

    async def _read(self, scope: Scope, receive: Receive, send: Send, snapshot: Snapshot) -> None:
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        caller = _caller(headers)
        language = if_none_match = b""
        for name, value in headers:
            if name == b"accept-language":
                language = value
            elif name == b"if-none-match":
                if_none_match = value
        identity = None if caller is None else (hashlib.sha256(caller[0].encode()).digest(), caller[1])
        key = (identity, scope["path"], scope["query_string"], language)
        answer = self.answers.get(key, snapshot)
        if answer is not None and (caller is None or self.still_cached(*caller)):
            self.answers.hits += 1
            await _send_answer(send, answer, if_none_match)
            return
        self.answers.misses += 1
        await self._run_and_keep(scope, receive, send, key, snapshot, if_none_match)

    async def _run_and_keep(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[object, ...],
        snapshot: Snapshot,
        if_none_match: bytes,
    ) -> None:
        read: set[str] = set()
        collecting = statement_tables.set(read)
        try:
            await self._run_collecting(scope, receive, send, key, snapshot, if_none_match, read)
        finally:
            statement_tables.reset(collecting)

    async def _run_collecting(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[object, ...],
        snapshot: Snapshot,
        if_none_match: bytes,
        read: set[str],
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        keep = False
        tables: tuple[str, ...] = ()
        stamp: Hashable = None
        etag = b""

        async def keeping(message: Message) -> None:
            nonlocal start, keep, tables, stamp, etag
            if message["type"] == "http.response.start":
                start = message
                sent = message.get("headers", [])
                keep = message["status"] == 200 and _json_without_cookies(sent)
                if keep:
                    # a JSON route has run its SQL before its response starts: what it read is known now
                    tables, stamp = _depends_on(snapshot, read, caller=key[0] is not None)
                    etag = _etag(stamp, key)
                    message["headers"] = [*sent, *_cache_headers(etag, key)]
                    if _matches(if_none_match, etag):
                        return  # held back: a 304 goes out once the body is complete
                await send(message)
                return
            if message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    if not _matches(if_none_match, etag):
                        await send(message)
                    return
                body = b"".join(chunks)
                if _depends_on(snapshot, read, caller=key[0] is not None)[0] != tables:
                    # it read more while its body was sent (a stream): neither kept nor answered with 304
                    if _matches(if_none_match, etag):
                        assert start is not None
                        await send(start)
                        await send({"type": "http.response.body", "body": body})
                        return
                    await send(message)
                    return
                answer = _answer(tables, stamp, start, body, etag, key)
                self.answers.put(key, answer)
                if _matches(if_none_match, etag):
                    await _send_answer(send, answer, if_none_match)
                    return
            await send(message)

        await self.app(scope, receive, keeping)


def _depends_on(snapshot: Snapshot, read: set[str], *, caller: bool) -> tuple[tuple[str, ...], Hashable]:
    """The tables an answer depends on (those its SQL named, and the caller tables for a caller's answer) and
    their stamp in ``snapshot``. No SQL seen at all: the whole marker (nothing is assumed)."""
    if "" not in read:
        return (), snapshot.stamp(())
    tables = set(read) & snapshot.tables
    if caller:
        tables.update(CALLER_TABLES)
    names = tuple(sorted(tables))
    return names, snapshot.stamp(names)


def _etag(stamp: Hashable, key: tuple[object, ...]) -> bytes:
    """From the answer's stamp and the key: equal tags, equal answers (a stamp of counters is the same in every
    process of the store; a stamp of the marker names its process on SQLite)."""
    digest = hashlib.sha256(repr((stamp, key)).encode("utf-8", "backslashreplace")).hexdigest()[:32]
    return f'W/"{digest}"'.encode()


def _json_without_cookies(headers: list[tuple[bytes, bytes]]) -> bool:
    json = False
    for name, value in headers:
        if name == b"set-cookie":
            return False
        if name == b"content-type":
            json = value.split(b";", 1)[0].strip() == b"application/json"
    return json


def _cache_headers(etag: bytes, key: tuple[object, ...]) -> list[tuple[bytes, bytes]]:
    # a caller's answer may be kept by the caller only, and must be revalidated (ETag) before reuse
    control = b"no-cache" if key[0] is None else b"private, no-cache"
    return [(b"etag", etag), (b"cache-control", control)]


def _answer(
    tables: tuple[str, ...], stamp: Hashable, start: Message | None, body: bytes, etag: bytes, key: tuple[object, ...]
) -> _Answer:
    assert start is not None
    headers = [(n, v) for n, v in start.get("headers", []) if n in _KEPT_HEADERS or n in (b"etag", b"cache-control")]
    if not any(n == b"content-length" for n, _ in headers):
        headers.append((b"content-length", str(len(body)).encode()))
    size = len(body) + sum(len(n) + len(v) for n, v in headers) + len(repr(key)) + _ENTRY_OVERHEAD
    size += 8 * len(tables)
    return _Answer(tables, stamp, int(start["status"]), headers, body, etag, size)


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    if not if_none_match:
        return False
    wanted = {tag.strip() for tag in if_none_match.split(b",")}
    return etag in wanted or b"*" in wanted or etag[2:] in wanted  # weak comparison: W/"x" equals "x"


async def _send_answer(send: Send, answer: _Answer, if_none_match: bytes) -> None:
    if _matches(if_none_match, answer.etag):
        headers = [(n, v) for n, v in answer.headers if n in (b"etag", b"cache-control")]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": answer.status, "headers": list(answer.headers)})
    await send({"type": "http.response.body", "body": answer.body})
