"""Child process of ``test_page_fuzz.py``: NiceGUI mounts one web UI per process, so the pages are requested here.

Arguments: database URL, data directory, password, then a JSON object ``{"users": [...], "wide": bool,
"ids": {name: value}}``. Prints one JSON line: ``{"requests": n, "findings": [...], "routes": [...]}``, a
finding being a short text naming the user, the request and what is wrong with the answer.

Every GET page route of the app is enumerated (NiceGUI's routes, less its own ``/_nicegui`` files); each
query parameter a page declares, and a few it does not, gets hostile values; path parameters get hostile
values and real ids (of the seeded world and of objects the test made). An answer must be < 500, must not
reflect the injected markup unescaped, and a 4xx page must say what is wrong in the user's language.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dualcarbon.app.web import create_web_app

MARKUP = ["<script>dcx(1)</script>", '"><img src=x onerror=dcx(2)>', "</script><svg onload=dcx(3)>"]
REFLECTED = re.compile(r"<script>dcx|<img src=x onerror|<svg onload", re.IGNORECASE)
HOSTILE = [
    *MARKUP,
    "99999999999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "' OR '1'='1' --",
    "1; DROP TABLE enterprises; --",
    "2026-13-45",
    "0000-00-00",
    "9999-12-31T25:61:61",
    "no-such-value",
    "测试\u202e\u0000𝔘\ufeff",
    "%",
    "",
    "x" * 5000,
]
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{4,}[ ,.:;]+[A-Za-z]{2,}")  # a few words of English (the text, not tags)
# NiceGUI sends the element tree as JSON; a page outside NiceGUI (bad address, store busy) is plain HTML
ERROR_MARKERS = ('"data-testid":"page-error"', '"data-testid":"refusal"', 'data-testid="page-error"')


def _page_routes(app: Any) -> list[APIRoute]:
    from nicegui import app as nicegui_app

    return [
        route
        for route in nicegui_app.routes
        if isinstance(route, APIRoute) and "GET" in route.methods and not route.path.startswith("/_nicegui")
    ]


PATH_HOSTILE = ["0", "-1", "99999999999999999999", "<script>dcx(1)</script>", "' OR 1=1 --", "测试"]


def _path_values(name: str, ids: dict[str, Any], wide: bool, turn: int) -> list[str]:
    """Real values of the parameter (by name) and hostile ones: all when wide, else one, by turn."""
    real = [str(v) for k, v in ids.items() if k == name or k.endswith(name)][:1]
    return real + (PATH_HOSTILE if wide else [PATH_HOSTILE[turn % len(PATH_HOSTILE)]])


def _error_text(html: str) -> str | None:
    """The JSON text of the page-error or refusal element, None when the page has neither."""
    for marker in ERROR_MARKERS:
        at = html.find(marker)
        if at >= 0:  # an element's text may come before its props in NiceGUI's JSON
            return html[max(0, at - 200) : at + 1500]
    return None


def _check(user: str, url: str, lang: str, status: int, html: str, content_type: str) -> list[str]:
    found = []
    where = f"{user} ({lang}) GET {url[:200]}"
    if status >= 500:
        found.append(f"{where}: status {status}: {html[-300:]}")
        return found
    match = REFLECTED.search(html)
    if match:
        found.append(f"{where}: markup reflected unescaped: …{html[max(0, match.start() - 120) : match.end() + 40]}…")
    if 400 <= status < 500:
        if "json" in content_type:
            body = html
            if lang == "zh" and not CJK.search(body):
                found.append(f"{where}: {status} JSON without a Chinese message: {body[:300]}")
            else:
                found.append(f"{where}: {status} answered as JSON, not a page: {body[:300]}")
            return found
        text = _error_text(html)
        if text is None:
            found.append(f"{where}: {status} page without an error or refusal element")
        elif lang == "zh" and not CJK.search(text):
            found.append(f"{where}: {status} error not in Chinese: {text[:300]}")
        elif lang == "en" and not ENGLISH.search(text):
            found.append(f"{where}: {status} error not in English: {text[:300]}")
    return found


def main() -> None:
    url, data_dir, password, spec_text = sys.argv[1:5]
    spec = json.loads(spec_text)
    app = create_web_app(url, data_dir=Path(data_dir))
    routes = _page_routes(app)
    findings: list[str] = []
    requests = 0
    wide = bool(spec["wide"])
    for user_index, user in enumerate(spec["users"]):
        with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
            client.post(
                "/web/login",
                data={"username": user, "password": password, "next": "/"},
                headers={"origin": "http://testserver"},
                follow_redirects=False,
            )
            assert "dc_session" in client.cookies, f"login of {user} failed"
            for route_index, route in enumerate(routes):
                if route.path == "/login":
                    continue
                names = [param.name for param in route.dependant.query_params]
                path_names = [param.name for param in route.dependant.path_params]
                turn = user_index + route_index
                path_choices = [_path_values(name, spec["ids"], wide, turn) for name in path_names]
                paths = []
                for values in itertools.product(*path_choices):
                    path = route.path
                    for name, value in zip(path_names, values, strict=True):
                        path = path.replace("{" + name + "}", quote(value, safe=""))  # one path segment
                    paths.append(path)
                # Bounded: each (user, route) takes a different slice of the hostile values, so that across
                # the users every value reaches every route; wide: all of them.
                offset = (user_index * 7 + route_index * 2) % len(HOSTILE)
                values = HOSTILE if wide else (HOSTILE * 2)[offset : offset + 2]
                for path, value in itertools.product(paths, values):
                    query: list[tuple[str, str]] = [(name, value) for name in names]
                    query += [("page", "-5"), ("page", value), ("status", value), ("zzz", value)]
                    for lang in ("zh", "en") if wide or value in MARKUP else ("zh",):
                        full = path + "?" + urlencode(query)
                        requests += 1
                        client.cookies.set("dc_lang", lang)  # the display language is the cookie's
                        answer = client.get(full, follow_redirects=False)
                        kind = answer.headers.get("content-type", "")
                        found = _check(user, full, lang, answer.status_code, answer.text, kind)
                        for line in found:
                            print(line[:1500], file=sys.stderr, flush=True)  # seen even if the run is cut short
                        findings += found
    app.state.engine.dispose()
    print(json.dumps({"requests": requests, "findings": findings, "routes": [r.path for r in routes]}))


if __name__ == "__main__":
    main()
