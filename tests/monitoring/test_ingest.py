"""Ingestion on both stores (SQLite + Parquet, PostgreSQL): receipt counts, duplicates, conflicts, time zones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from dualcarbon.monitoring import service_ingest
from dualcarbon.monitoring.io.readings_file import read_readings_file
from dualcarbon.monitoring.models import ReadingConflict
from dualcarbon.store.db import session_scope


def _batch(rows: list[tuple[Any, Any, Any, Any]]) -> pa.Table:
    names = ["credit_code", "meter_code", "ts", "value"]
    return pa.table(
        {n: pa.array([None if r[i] is None else str(r[i]) for r in rows], pa.string()) for i, n in enumerate(names)}
    )


def _ingest(world: Any, principal: Any, rows: list[tuple[Any, Any, Any, Any]]) -> dict[str, Any]:
    with session_scope(world.engine) as session:
        return service_ingest.ingest_table(session, principal, _batch(rows), source="file").model_dump()


def test_receipt_counts_and_reasons(world, meters, admin) -> None:
    a = world.codes["a"]
    receipt = _ingest(
        world,
        admin,
        [
            (a, "E1", "2024-01-01T00:00:00", 100),  # 1 accepted
            (a, "E1", "2024-01-01T00:15:00+08:00", 110),  # 2 accepted
            (a, "E1", "yesterday", 1),  # 3 bad time
            (a, "NOPE", "2024-01-01T00:00:00", 1),  # 4 unknown meter
            (a, "E1", "2024-01-01T00:30:00", "abc"),  # 5 bad value
            (a, "E1", "2024-01-01T00:45:00", "nan"),  # 6 not finite
            ("", "E1", "2024-01-01T00:45:00", 1),  # 7 no enterprise
            (a, "E1", "2024-01-01T00:15:00", 110),  # 8 same key as 2, same value → duplicate
            (a, "E1", "2024-01-01T00:15:00", 111),  # 9 same key as 2, other value → conflict
        ],
    )
    assert (receipt["accepted"], receipt["duplicate"], receipt["conflict"], receipt["rejected"]) == (2, 1, 1, 5)
    assert [p["row"] for p in receipt["problems"]] == [3, 4, 5, 6, 7]
    reasons = [p["reason"] for p in receipt["problems"]]
    assert reasons[0].startswith("ts:") and reasons[1].startswith("meter_code:") and reasons[2].startswith("value:")
    assert reasons[4].startswith("credit_code:")


def test_resend_is_duplicate_and_a_changed_value_is_a_conflict_kept_aside(world, meters, admin) -> None:
    a = world.codes["a"]
    rows = [(a, "E1", f"2024-01-01T00:{m:02d}:00", 100 + m) for m in (0, 15, 30, 45)]
    first = _ingest(world, admin, rows)
    assert (first["accepted"], first["duplicate"], first["conflict"]) == (4, 0, 0)
    again = _ingest(world, admin, rows)
    assert (again["accepted"], again["duplicate"], again["conflict"]) == (0, 4, 0)
    # The same instant written in UTC is the same key: 00:30 Shanghai = 16:30 UTC the day before.
    same = _ingest(world, admin, [(a, "E1", "2023-12-31T16:30:00Z", 130), (a, "E1", "2023-12-31T16:45:00Z", 999)])
    assert (same["accepted"], same["duplicate"], same["conflict"]) == (0, 1, 1)
    with session_scope(world.engine) as session:
        kept = session.scalars(select(ReadingConflict)).all()
    assert [(c.meter_id, c.ts, c.stored_value, c.offered_value) for c in kept] == [
        (meters["a/E1"], datetime(2023, 12, 31, 16, 45, tzinfo=UTC), 145.0, 999.0)
    ]


def test_an_enterprise_writes_only_its_own_meters(world, meters, enterprise_principal) -> None:
    a, b = world.codes["a"], world.codes["b"]
    receipt = _ingest(
        world,
        enterprise_principal("a"),
        [(a, "E1", "2024-01-01T00:00:00", 1), (b, "E1", "2024-01-01T00:00:00", 1)],
    )
    assert (receipt["accepted"], receipt["rejected"]) == (1, 1)
    assert receipt["problems"][0]["row"] == 2 and "may write" in receipt["problems"][0]["reason"]


def test_files_csv_parquet_xlsx_land_the_same(world, meters, admin, tmp_path: Path, write_csv) -> None:
    a = world.codes["a"]
    header = ["credit_code", "meter_code", "ts", "value"]
    rows = [[a, "G1", f"2024-02-01 0{h}:00:00", 3.5] for h in range(3)]
    csv_table = read_readings_file(write_csv(tmp_path / "r.csv", header, rows))
    pq.write_table(
        pa.table(
            {
                "credit_code": [a] * 3,
                "meter_code": ["G1"] * 3,
                "ts": pa.array([datetime(2024, 2, 1, h) for h in range(3, 6)], pa.timestamp("us")),
                "value": [3.5, 3.5, 3.5],
            }
        ),
        tmp_path / "r.parquet",
    )
    parquet_table = read_readings_file(tmp_path / "r.parquet")
    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "r.xlsx")
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for i, h in enumerate(range(6, 9), start=1):
        sheet.write_row(i, 0, [a, "G1", f"2024-02-01 0{h}:00:00", 3.5])
    book.close()
    xlsx_table = read_readings_file(tmp_path / "r.xlsx")
    with session_scope(world.engine) as session:
        receipts = [
            service_ingest.ingest_table(session, admin, t, source="file").model_dump()
            for t in (csv_table, parquet_table, xlsx_table)
        ]
    assert [r["accepted"] for r in receipts] == [3, 3, 3]
    assert all(r["rejected"] == 0 for r in receipts)


def test_slices_keep_the_same_counts(world, meters, admin, monkeypatch) -> None:
    # With slices of 2 rows, the repeat on row 4 of row 1's key is found in the store, not in the slice.
    monkeypatch.setattr(service_ingest, "CHUNK_ROWS", 2)
    a = world.codes["a"]
    rows = [
        (a, "E1", "2024-01-01T00:00:00", 1),
        (a, "E1", "2024-01-01T00:15:00", 2),
        (a, "E1", "bad", 3),
        (a, "E1", "2024-01-01T00:00:00", 1),
        (a, "E1", "2024-01-01T00:15:00", 5),
    ]
    receipt = _ingest(world, admin, rows)
    assert (receipt["accepted"], receipt["duplicate"], receipt["conflict"], receipt["rejected"]) == (2, 1, 1, 1)
    assert [p["row"] for p in receipt["problems"]] == [3]
