"""Raw-SQL baselines for ``bench_platform.py``: the same rows the services wrote, without the services.

* ``copy_reports`` — into a second, empty store of the same schema: the reports' rows exactly as the
  services stored them (period_report, its versions with their computed JSON, energy and output lines,
  economics, review steps, and the reports' audit rows), written with SQLAlchemy Core ``executemany``,
  one transaction per 1,000 reports. No validation, no computation, no permission check, no ORM. The
  registry rows they refer to are copied first, untimed.
* ``catalog_floor`` — on the benchmark store, in a transaction that is rolled back: one SELECT of what
  catalog generation reads (the approved annual-report versions of the region with their output lines)
  and one ``executemany`` INSERT of the generated catalog's entry rows into a fresh catalog row.

Both give the floor the database itself sets for the same work on the same machine in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Table, bindparam, insert, select, update

import dualcarbon.store.models  # noqa: F401 - registers every table on the metadata
from dualcarbon.registry.models import in_region_subtree
from dualcarbon.store.base import Base

TABLES = Base.metadata.tables
_CHUNK = 1_000


def _table(name: str) -> Table:
    return TABLES[name]


def _rows(engine: Engine, table: Table, *where: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            dict(row._mapping) for row in connection.execute(select(table).where(*where).order_by(*table.primary_key))
        ]


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def copy_reports(source: Engine, target: Engine, report_ids: Sequence[int]) -> dict[str, float]:
    """Insert the reports' rows of ``source`` into the empty ``target``; seconds (wall) and row count."""
    for name in ("region", "user_account", "enterprise", "site", "production_unit"):  # untimed set-up
        rows = _rows(source, _table(name))
        if name == "region":  # parents first: the tree is ordered by path
            rows.sort(key=lambda row: row["path"])
        with target.begin() as connection:
            for chunk in _chunks(rows):
                connection.execute(insert(_table(name)), list(chunk))
    wanted = set(report_ids)
    report, version = _table("period_report"), _table("period_report_version")
    reports = [row for row in _rows(source, report) if row["id"] in wanted]
    versions = [row for row in _rows(source, version) if row["report_id"] in wanted]
    version_ids = {row["id"] for row in versions}
    children = {
        name: [row for row in _rows(source, _table(name)) if row["version_id"] in version_ids]
        for name in ("energy_line", "output_line", "economics")
    }
    reviews = [row for row in _rows(source, _table("report_review")) if row["report_id"] in wanted]
    audit = [
        row
        for row in _rows(source, _table("audit_log"), _table("audit_log").c.entity == "period_report")
        if int(row["entity_id"]) in wanted
    ]
    current = [{"rid": row["id"], "vid": row["current_version_id"]} for row in reports]
    for row in reports:
        row["current_version_id"] = None  # circular reference: set after the versions exist, as the ORM does
    count = len(reports) + len(versions) + sum(len(rows) for rows in children.values()) + len(reviews) + len(audit)
    started = time.perf_counter()
    by_report: dict[int, list[dict[str, Any]]] = {}
    for row in versions:
        by_report.setdefault(row["report_id"], []).append(row)
    for chunk in _chunks(reports):
        ids = {row["id"] for row in chunk}
        chunk_versions = [v for rid in ids for v in by_report.get(rid, [])]
        chunk_version_ids = {v["id"] for v in chunk_versions}
        with target.begin() as connection:
            connection.execute(insert(report), list(chunk))
            connection.execute(insert(version), chunk_versions)
            for name, rows in children.items():
                selected = [row for row in rows if row["version_id"] in chunk_version_ids]
                if selected:
                    connection.execute(insert(_table(name)), selected)
            connection.execute(insert(_table("report_review")), [r for r in reviews if r["report_id"] in ids])
            chunk_audit = [a for a in audit if int(a["entity_id"]) in ids]
            if chunk_audit:
                connection.execute(insert(_table("audit_log")), chunk_audit)
            connection.execute(
                update(report).where(report.c.id == bindparam("rid")).values(current_version_id=bindparam("vid")),
                [c for c in current if c["rid"] in ids],
            )
    return {"seconds": time.perf_counter() - started, "rows": float(count), "reports": float(len(reports))}


def catalog_floor(engine: Engine, region_code: str, data_year: int, catalog_id: int) -> dict[str, float]:
    """SELECT the generation inputs and INSERT a copy of catalog ``catalog_id``'s entries; rolled back."""
    report, version, output = _table("period_report"), _table("period_report_version"), _table("output_line")
    enterprise, entry, catalog = _table("enterprise"), _table("catalog_entry"), _table("catalog")
    entries = _rows(engine, entry, entry.c.catalog_id == catalog_id)
    template = _rows(engine, catalog, catalog.c.id == catalog_id)[0]
    query = (
        select(version.c.id, version.c.content_hash, version.c.computed, report.c.enterprise_id, output)
        .join(report, report.c.current_version_id == version.c.id)
        .join(output, output.c.version_id == version.c.id)
        .join(enterprise, enterprise.c.id == report.c.enterprise_id)
        .where(
            report.c.period_kind == "year",
            report.c.year == data_year,
            report.c.state.in_(("approved", "locked")),
            in_region_subtree(enterprise.c.region_code, region_code),
        )
    )
    with engine.connect() as connection:
        transaction = connection.begin()
        started = time.perf_counter()
        inputs = connection.execute(query).all()
        selected = time.perf_counter()
        new_catalog = {k: v for k, v in template.items() if k != "id"} | {
            "state": "draft",
            "issue_no": 0,
            "snapshot_hash": None,
            "published_at": None,
        }
        new_id = connection.execute(insert(catalog).returning(catalog.c.id), new_catalog).scalar_one()
        connection.execute(
            insert(entry), [{k: v for k, v in e.items() if k != "id"} | {"catalog_id": new_id} for e in entries]
        )
        inserted = time.perf_counter()
        transaction.rollback()
    return {
        "select_seconds": selected - started,
        "insert_seconds": inserted - selected,
        "inputs": float(len(inputs)),
        "entries": float(len(entries)),
    }
