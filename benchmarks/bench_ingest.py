"""Benchmark of reading ingestion end to end: HTTP (JSON and CSV) and MQTT, on SQLite + Parquet and PostgreSQL.

    uv run python benchmarks/bench_ingest.py [--meters 100] [--http-readings 200000] [--mqtt-readings 30000]
                                             [--stores sqlite,postgresql] [--batch 10000]

For each store a fresh workspace (one enterprise in 浙江, ``--meters`` cumulative electricity meters, an
enterprise user with an API token) is set up, untimed. Then:

* **HTTP** — a real uvicorn server (``dualcarbon.app.api:create_app``, one worker, a new process per format) gets
  ``POST /api/v1/readings`` in batches of 10,000 readings (``--batch``), one after the other, as JSON and as CSV
  (bodies built before the clock starts). A receipt is returned after the batch committed, so the last receipt is
  the end: readings/s = readings ÷ (first request → last receipt). Every receipt must report all rows accepted.
  **Baseline** in the same run, in a child process: the same bodies parsed and stored with no HTTP, no
  validation and no duplicate check — SQLite store: ``json.loads`` / DuckDB ``read_csv`` and a DuckDB ``COPY``
  to a zstd Parquet file per batch; PostgreSQL: ``COPY`` into a plain table with the same primary key.
* **MQTT** — a Mosquitto on a spare port (anonymous, ``max_inflight_messages 0``, ``max_queued_messages 0``: see
  the note printed at the end), ``dualcarbon ingest mqtt`` as the subscriber (batch 10,000, flush 1 s), one paho
  publisher sending one reading per message with QoS 1 to ``dualcarbon/{credit_code}/{meter_code}``; the clock
  runs from the first publish until the store counts every reading. **Baseline**: the same publisher and broker
  with a bare paho subscriber that only counts messages (auto-ack).
* Both platform paths get one untimed warm-up batch of 100 readings first (first-request imports, connections).
* Memory: peak RSS (``VmHWM``) of the server / subscriber process, and its RSS before the load.

Prints one Markdown table for docs/benchmarks.md ("Ingest").

``--scale DAYS`` measures instead what docs/scale.md extrapolates from: ``--meters`` counters × DAYS days of
15-min readings (registered to 0.01 kWh) ingested as one table and, for the first month, in batches of 10,000
(bytes per reading of the Parquet lake either way), then ``dualcarbon scale rollups`` over the DAYS (Spark
``local[2]``; readings per second of the job).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BATCH = 10_000
PG_ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)
UVICORN = (sys.executable, "-m", "uvicorn", "--factory", "dualcarbon.app.api:create_app", "--host", "127.0.0.1")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
START = dt.datetime(2024, 1, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int | str) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc (``VmHWM``; unlike ``ru_maxrss`` it does not
    carry the parent's peak across fork + exec)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


# ---- workspace -----------------------------------------------------------------------------------------
def setup_store(url: str, work: Path, meters: int) -> tuple[str, str]:
    """Enterprise, meters M000…, an enterprise user; returns (credit code, API token)."""
    from dualcarbon.accounts import service as accounts
    from dualcarbon.accounts import service_auth as auth
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.domain.identifiers import make_credit_code
    from dualcarbon.monitoring import service_meters
    from dualcarbon.reference import shipped_reference
    from dualcarbon.registry import service as registry
    from dualcarbon.registry.models import Region
    from dualcarbon.store.db import init_store, session_scope

    code = make_credit_code("91330302MA2AA0001")
    engine = init_store(url)
    register = work / "meters.csv"
    lines = ["credit_code,meter_code,carrier,unit,kind,multiplier"]
    lines += [f"{code},M{i:03d},electricity,kWh,cumulative,1" for i in range(meters)]
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        zj = Region.create("330000", "浙江省", "province")
        wz = Region.create("330300", "温州市", "city", zj)
        session.add_all([zj, wz, Region.create("330302", "鹿城区", "district", wz)])
        session.flush()
        registry.create_enterprise(
            session, SYSTEM, registry.EnterpriseSpec(code, "接入基准企业", "330302", "C3443", above_scale=True)
        )
        session.flush()
        service_meters.import_meters(session, SYSTEM, register, shipped_reference())
        user = auth.create_user(
            session, SYSTEM, auth.NewUser("bench-ent", secrets.token_hex(12), "enterprise", enterprise_credit_code=code)
        )
        session.flush()
        token, _ = accounts.create_token(session, auth.principal_for(session, user), name="bench")
    engine.dispose()
    return code, token


def readings(meters: int, count: int, first_step: int) -> list[tuple[str, str, float]]:
    """``count`` readings (meter code, Shanghai time, counter value), time-major from step ``first_step``."""
    rows: list[tuple[str, str, float]] = []
    step = first_step
    while len(rows) < count:
        ts = (START + dt.timedelta(minutes=15 * step)).isoformat()
        rows.extend((f"M{m:03d}", ts, float(step * 3 + m)) for m in range(min(meters, count - len(rows))))
        step += 1
    return rows


def bodies(code: str, rows: list[tuple[str, str, float]], fmt: str, batch: int = BATCH) -> list[bytes]:
    out = []
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        if fmt == "json":
            out.append(json.dumps({"readings": [{"meter": m, "ts": t, "value": v} for m, t, v in chunk]}).encode())
        else:
            text = "credit_code,meter_code,ts,value\n" + "".join(f"{code},{m},{t},{v!r}\n" for m, t, v in chunk)
            out.append(text.encode())
    return out


# ---- HTTP ----------------------------------------------------------------------------------------------
def http_run(
    url: str, env: dict[str, str], token: str, posts: list[bytes], warmup: bytes, fmt: str, log: Path
) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen(
        [*UVICORN, "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env | {"DUALCARBON_DATABASE_URL": url},
        stderr=log.open("ab"),
    )
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        deadline = time.monotonic() + 120
        while True:
            try:
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json" if fmt == "json" else "text/csv",
        }
        conn.request("POST", "/api/v1/readings", body=warmup, headers=headers)  # first-request imports, untimed
        conn.getresponse().read()
        idle, _ = rss_kib(server.pid)
        accepted = 0
        began = time.perf_counter()
        for body in posts:
            conn.request("POST", "/api/v1/readings", body=body, headers=headers)
            response = conn.getresponse()
            payload = json.loads(response.read())
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}: {payload}")
            accepted += payload["accepted"]
        seconds = time.perf_counter() - began
        _, peak = rss_kib(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return {"seconds": seconds, "accepted": accepted, "idle_kib": idle, "peak_kib": peak}


def _floor_child(kind: str, url: str, fmt: str, posts: list[bytes], out: Path, queue: Any) -> None:
    """Parse and store the same bodies with no HTTP, validation or duplicate check (runs in a child)."""
    import duckdb
    import pyarrow as pa

    began = time.perf_counter()
    if kind == "sqlite":
        con = duckdb.connect()
        for i, body in enumerate(posts):
            if fmt == "json":
                rows = json.loads(body)["readings"]
                table = pa.table(
                    {
                        "meter": [r["meter"] for r in rows],
                        "ts": [r["ts"] for r in rows],
                        "value": [r["value"] for r in rows],
                    }
                )
                con.register("batch", table)
                source = "SELECT meter, CAST(ts AS TIMESTAMP) AS ts, value FROM batch"
            else:
                path = out / f"batch{i}.csv"
                path.write_bytes(body)
                source = f"SELECT meter_code AS meter, ts, value FROM read_csv('{path}', header=true)"
            con.execute(f"COPY ({source}) TO '{out / f'part{i}.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
        con.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_floor")
            conn.execute("CREATE TABLE bench_floor (meter text, ts timestamptz, value float8, PRIMARY KEY (meter, ts))")
            for body in posts:
                with conn.transaction(), conn.cursor() as cursor:
                    if fmt == "json":
                        with cursor.copy("COPY bench_floor (meter, ts, value) FROM STDIN") as copy:
                            for r in json.loads(body)["readings"]:
                                copy.write_row((r["meter"], r["ts"] + "+08:00", r["value"]))
                    else:
                        cursor.execute(
                            "CREATE TEMP TABLE IF NOT EXISTS csv_in (cc text, meter text, ts text, value float8)"
                        )
                        cursor.execute("TRUNCATE csv_in")
                        with cursor.copy("COPY csv_in FROM STDIN (FORMAT csv, HEADER true)") as copy:
                            copy.write(body)
                        cursor.execute(
                            "INSERT INTO bench_floor SELECT meter, (ts || '+08:00')::timestamptz, value FROM csv_in"
                        )
            conn.execute("DROP TABLE bench_floor")
    seconds = time.perf_counter() - began
    queue.put((seconds, rss_kib("self")[1]))


def floor_run(kind: str, url: str, fmt: str, posts: list[bytes], work: Path) -> dict[str, Any]:
    out = work / f"floor-{kind}-{fmt}"
    out.mkdir()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_floor_child, args=(kind, url, fmt, posts, out, queue))
    child.start()
    seconds, peak = queue.get()
    child.join()
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "peak_kib": peak}


# ---- MQTT ----------------------------------------------------------------------------------------------
def start_broker(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = work / f"mosquitto-{port}.conf"
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_inflight_messages 0\nmax_queued_messages 0\n",
        encoding="utf-8",
    )
    broker = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return broker, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("mosquitto did not start")


def publish(port: int, code: str, rows: list[tuple[str, str, float]]) -> float:
    """Publish every reading (QoS 1) and wait for the broker's acknowledgements; returns the start time."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{port}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    began = time.perf_counter()
    infos = [client.publish(f"dualcarbon/{code}/{m}", json.dumps({"ts": t, "value": v}), qos=1) for m, t, v in rows]
    for info in infos:
        info.wait_for_publish(timeout=600)
    client.loop_stop()
    client.disconnect()
    return began


BARE_SUBSCRIBER = """
import sys, threading, time
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
port, want = int(sys.argv[1]), int(sys.argv[2])
seen, done = [0], threading.Event()
def on_message(client, userdata, message):
    seen[0] += 1
    if seen[0] >= want:
        done.set()
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", clean_session=False)
client.on_connect = lambda c, *a: c.subscribe("dualcarbon/+/+", qos=1)
client.on_message = on_message
client.connect("127.0.0.1", port)
client.loop_start()
time.sleep(1.0)
print("ready", flush=True)
done.wait()
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
print(time.time(), status["VmHWM"].split()[0], flush=True)
"""


def mqtt_run(
    url: str,
    env: dict[str, str],
    code: str,
    rows: list[tuple[str, str, float]],
    warmup: list[tuple[str, str, float]],
    work: Path,
) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    broker, port = start_broker(work)
    subscriber = subprocess.Popen(
        [str(Path(sys.executable).parent / "dualcarbon"), "ingest", "mqtt", "--port", str(port)],
        env=env | {"DUALCARBON_DATABASE_URL": url},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        assert subscriber.stderr is not None
        subscriber.stderr.readline()  # "subscribed to …"
        time.sleep(1.0)
        idle, _ = rss_kib(subscriber.pid)
        engine = create_engine(url)
        store_count = "SELECT count(*) FROM meter_reading"
        parquet_root = Path(url.split("///", 1)[1]).parent / "monitoring" if url.startswith("sqlite") else None

        def count() -> int:
            if parquet_root is not None:
                from dualcarbon.monitoring.store_readings import ParquetReadingsStore

                return ParquetReadingsStore(parquet_root).count(code)
            with engine.connect() as connection:
                return int(connection.execute(text(store_count)).scalar_one())

        before = count()  # the HTTP runs' readings
        publish(port, code, warmup)  # first-flush imports and connections, untimed
        while count() - before < len(warmup):
            time.sleep(0.1)
        before += len(warmup)
        began = publish(port, code, rows)
        while (stored := count() - before) < len(rows):
            time.sleep(0.1)
        seconds = time.perf_counter() - began
        _, peak = rss_kib(subscriber.pid)
        engine.dispose()
    finally:
        subscriber.send_signal(signal.SIGINT)
        subscriber.wait(timeout=60)
        broker.terminate()
        broker.wait()
    return {"seconds": seconds, "stored": stored, "idle_kib": idle, "peak_kib": peak}


def mqtt_floor(code: str, rows: list[tuple[str, str, float]], work: Path) -> dict[str, Any]:
    broker, port = start_broker(work)
    bare = subprocess.Popen(
        [sys.executable, "-c", BARE_SUBSCRIBER, str(port), str(len(rows))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert bare.stdout is not None
        bare.stdout.readline()  # ready
        began_wall = time.time()
        publish(port, code, rows)
        finished, peak = bare.stdout.readline().split()
        seconds = float(finished) - began_wall
    finally:
        bare.kill()
        broker.terminate()
        broker.wait()
    return {"seconds": seconds, "peak_kib": int(peak)}


# ---- lake bytes and Spark throughput (--scale) ---------------------------------------------------------
def counters(meters: int, days: int, seed: int = 7) -> Any:
    """Cumulative counters of ``meters`` meters, 15-min readings from 2024-01-01 for ``days`` days (+ the closing
    one), random 0–50 kWh per interval, registered to 0.01 kWh (a meter's display resolution)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    steps = days * 96 + 1
    times = np.datetime64("2024-01-01T00:00", "us") + np.arange(steps) * np.timedelta64(15, "m")
    values = np.round(np.cumsum(rng.uniform(0, 50, (meters, steps)), axis=1) + 1000.0, 2)
    return pa.table(
        {
            "meter_code": pa.array(np.repeat([f"M{i:03d}" for i in range(meters)], steps), pa.string()),
            "ts": pa.array(np.tile(times, meters), pa.timestamp("us")),
            "value": pa.array(values.ravel(), pa.float64()),
        }
    )


def lake_bytes(root: Path) -> tuple[int, int, int]:
    """(bytes, rows, files) of the Parquet readings under ``root``."""
    import pyarrow.parquet as pq

    files = list((root / "monitoring" / "readings").rglob("*.parquet"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return sum(f.stat().st_size for f in files), rows, len(files)


def scale_run(meters: int, days: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_ingest
    from dualcarbon.store.db import init_store, session_scope

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        os.environ["DUALCARBON_AUDIT_KEY_FILE"] = str(work / "audit.key")
        os.environ["DUALCARBON_AUDIT_CHECKPOINT_FILE"] = str(work / "audit-checkpoints.jsonl")
        table = counters(meters, days).sort_by([("ts", "ascending"), ("meter_code", "ascending")])
        lines, spark_line = [], ""
        variants = (
            ("one table (as `ingest FILE`)", table.num_rows, table.num_rows),
            ("batches of 10,000 (first 31 days)", BATCH, meters * 31 * 96),
            (f"one quarter-hour of all meters per batch ({meters}; first day)", meters, meters * 96),
        )
        for label, batch_rows, limit in variants:
            data = work / f"lake-{batch_rows}"
            data.mkdir()
            url = f"sqlite+pysqlite:///{data / 'dualcarbon.sqlite3'}"
            code, _ = setup_store(url, data, meters)
            full = table.slice(0, limit)
            full = full.add_column(0, "credit_code", pa.array([code] * full.num_rows, pa.string()))
            full = full.set_column(2, "ts", pc.strftime(full["ts"], "%Y-%m-%dT%H:%M:%S"))
            full = full.set_column(3, "value", pc.cast(full["value"], pa.string()))
            engine = init_store(url)
            began = time.perf_counter()
            for offset in range(0, full.num_rows, batch_rows):
                with session_scope(engine) as session:
                    service_ingest.ingest_table(session, SYSTEM, full.slice(offset, batch_rows), source="file")
            seconds = time.perf_counter() - began
            engine.dispose()
            size, rows, files = lake_bytes(data)
            lines.append(
                f"| {label} | {rows:,} | {files} | {size / 1e6:.2f} | {size / rows:.2f} | {rows / seconds:,.0f} |"
            )
            if batch_rows == table.num_rows:
                spark_line = spark_run(url, data, work, days)
    print(f"\n{dt.date.today()} · {platform.machine()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")
    print("| written as | readings | files | MB | bytes/reading | ingest readings/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(lines))
    print(spark_line)


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spark_run(url: str, data: Path, work: Path, days: int) -> str:
    """The Spark job over the lake of ``data`` in this process: wall and CPU (the JVM's and Python's)."""
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_spark
    from dualcarbon.reference import shipped_reference
    from dualcarbon.store.db import init_store, session_scope

    first, last = dt.date(2024, 1, 1), dt.date(2024, 1, 1) + dt.timedelta(days=days - 1)
    engine = init_store(url)
    with session_scope(engine) as session:
        service_spark.export_register(session, SYSTEM, shipped_reference(), first, last, work / "register")
    engine.dispose()
    started = time.perf_counter()
    spark = service_spark.spark_session("local[2]")
    jvm = spark.sparkContext._gateway.proc.pid  # type: ignore[union-attr]
    start_wall = time.perf_counter() - started
    cpu0, py0 = _cpu_of(jvm), time.process_time()
    summary = service_spark.run_spark_rollups(data, work / "register", first, last, work / "out", 0.9, spark=spark)
    cpu = _cpu_of(jvm) - cpu0 + time.process_time() - py0
    spark.stop()
    n = summary.readings
    return (
        f"Spark local[2]: {n:,} readings read (range + 31-day look-back), rows {summary.rows}; "
        f"job {summary.seconds:.1f} s wall ({n / summary.seconds:,.0f} readings/s), {cpu:.1f} s CPU "
        f"({n / cpu:,.0f} readings per CPU-second); session start {start_wall:.1f} s"
    )


# ---- main ----------------------------------------------------------------------------------------------
def pg_database() -> tuple[str, str, Any] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    for admin_url in PG_ADMIN_URLS:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            name = f"dc_bench_{secrets.token_hex(4)}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name, admin
        except OperationalError:
            admin.dispose()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--http-readings", type=int, default=200_000)
    parser.add_argument("--mqtt-readings", type=int, default=30_000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--batch", type=int, default=BATCH, help="readings per HTTP request")
    parser.add_argument("--scale", type=int, metavar="DAYS", help="instead: lake bytes/reading and Spark throughput")
    args = parser.parse_args()
    if args.scale:
        scale_run(args.meters, args.scale)
        return

    results: list[tuple[str, str, dict[str, Any], dict[str, Any], int]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        env["DUALCARBON_AUDIT_KEY_FILE"] = str(work / "audit.key")
        env["DUALCARBON_AUDIT_CHECKPOINT_FILE"] = str(work / "audit-checkpoints.jsonl")
        os.environ.update({k: env[k] for k in ("DUALCARBON_AUDIT_KEY_FILE", "DUALCARBON_AUDIT_CHECKPOINT_FILE")})
        for kind in args.stores.split(","):
            admin: Any = None
            if kind == "sqlite":
                (work / "sqlite").mkdir()
                url = f"sqlite+pysqlite:///{work / 'sqlite' / 'dualcarbon.sqlite3'}"
            else:
                created = pg_database()
                if created is None:
                    print("PostgreSQL not reachable: skipped", file=sys.stderr)
                    continue
                url, name, admin = created
            try:
                code, token = setup_store(url, work, args.meters)
                step = 0
                for fmt in ("json", "csv"):
                    rows = readings(args.meters, args.http_readings, step)
                    step += -(-args.http_readings // args.meters) + 1
                    posts = bodies(code, rows, fmt, args.batch)
                    warmup = bodies(code, readings(args.meters, 100, step), fmt)[0]
                    step += -(-100 // args.meters) + 1
                    print(f"{kind} http {fmt}: {len(rows)} readings in {len(posts)} batches …", file=sys.stderr)
                    platform_result = http_run(url, env, token, posts, warmup, fmt, work / "server.log")
                    assert platform_result["accepted"] == len(rows), platform_result
                    floor = floor_run(kind, url, fmt, posts, work)
                    results.append((kind, f"HTTP {fmt.upper()} ×{args.batch:,}", platform_result, floor, len(rows)))
                if not args.mqtt_readings:
                    continue
                warmup_rows = readings(args.meters, 100, step)
                step += -(-100 // args.meters) + 1
                rows = readings(args.meters, args.mqtt_readings, step)
                print(f"{kind} mqtt: {len(rows)} messages …", file=sys.stderr)
                platform_result = mqtt_run(url, env, code, rows, warmup_rows, work)
                floor = mqtt_floor(code, rows, work)
                results.append((kind, "MQTT", platform_result, floor, len(rows)))
            finally:
                if admin is not None:
                    from sqlalchemy import text

                    with admin.connect() as connection:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()

    print(f"\n{dt.date.today()} · {platform.machine()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")
    print(
        "| store | path | readings | platform s | readings/s | baseline s | baseline readings/s | ratio |"
        " server RSS idle → peak MiB | baseline peak MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, path, mine, floor, n in results:
        print(
            f"| {kind} | {path} | {n:,} | {mine['seconds']:.2f} | {n / mine['seconds']:,.0f} | "
            f"{floor['seconds']:.2f} | "
            f"{n / floor['seconds']:,.0f} | {mine['seconds'] / floor['seconds']:.1f}× | "
            f"{mine['idle_kib'] / 1024:.0f} → {mine['peak_kib'] / 1024:.0f} | {floor['peak_kib'] / 1024:.0f} |"
        )


if __name__ == "__main__":
    main()
