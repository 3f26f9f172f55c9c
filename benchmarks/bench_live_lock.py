"""How long the SQLite write lock is held under `dualcarbon serve --live`, and whether users still get in.

Run against a served demo (docs/benchmarks.md, "Live demo on SQLite"):

    dualcarbon demo --data-dir D --no-serve --meter-days 30 --meter-enterprises 8
    mosquitto -p 18851 -d
    dualcarbon serve --data-dir D --live --mqtt-port 18851 --live-step-seconds 1 --alerts-seconds 10 --port 8790 &
    python benchmarks/bench_live_lock.py D/dualcarbon.sqlite3 8790 120 ADMIN_PASSWORD

A probe thread tries ``BEGIN IMMEDIATE`` without waiting every 20 ms and sums the time someone else held the lock;
a user thread logs in as ``admin`` every 2 s and opens ``/monitoring/meters/1``. Prints one JSON object.

Before/after: serve two fresh copies of the same demo at the same time, the baseline tree first on ``PYTHONPATH``
(``git archive <commit> src | tar -x -C B``; ``PYTHONPATH=B/src dualcarbon serve …``), each with its own Mosquitto
and port, and run two probes side by side, so that both see the same machine load.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import sys
import threading
import time
import urllib.parse

db, port, seconds, password = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
stop = time.time() + seconds
spans: list[float] = []
logins: list[tuple[int, float, bool]] = []
pages: list[tuple[int, float]] = []


def probe() -> None:
    connection = sqlite3.connect(db, timeout=0, isolation_level=None)
    start = None
    while time.time() < stop:
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            if start is not None:
                spans.append(time.time() - start)
                start = None
        except sqlite3.OperationalError:
            if start is None:
                start = time.time()
        time.sleep(0.02)
    if start is not None:
        spans.append(time.time() - start)


def request(method: str, path: str, body: str | None = None, cookie: str = "") -> tuple[int, float, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    began = time.time()
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    response.read()
    return (
        response.status,
        time.time() - began,
        response.getheader("set-cookie") or "",
        response.getheader("location") or "",
    )


def users() -> None:
    cookie = ""
    while time.time() < stop:
        body = urllib.parse.urlencode({"username": "admin", "password": password, "next": "/"})
        status, took, set_cookie, location = request("POST", "/web/login", body)
        ok = status == 303 and "error=" not in location
        logins.append((status, round(took, 2), ok))
        if ok:
            cookie = "; ".join(p.split(";")[0] for p in set_cookie.split(", ") if p.startswith("dc_"))
        if cookie:
            status, took, *_ = request("GET", "/monitoring/meters/1", cookie=cookie)
            pages.append((status, round(took, 2)))
        time.sleep(2)


def main() -> None:
    threads = [threading.Thread(target=probe), threading.Thread(target=users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    login_times = sorted(t for _, t, _ in logins)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "lock_held_s_per_min": round(sum(spans) / seconds * 60, 1),
                "longest_hold_s": round(max(spans, default=0), 2),
                "holds_over_1s": sum(1 for s in spans if s > 1),
                "logins": len(logins),
                "login_ok": sum(1 for *_, ok in logins if ok),
                "login_status": {str(s): sum(1 for x in logins if x[0] == s) for s in {x[0] for x in logins}},
                "login_median_s": login_times[len(login_times) // 2] if login_times else 0,
                "login_max_s": max(login_times, default=0),
                "pages": len(pages),
                "page_status": {str(s): sum(1 for p in pages if p[0] == s) for s in {p[0] for p in pages}},
                "page_max_s": max((p[1] for p in pages), default=0),
            }
        )
    )


if __name__ == "__main__":
    main()
