"""Tariffs (电价 / 能源价格) from the reference table ``electricity_tariffs_tou``: the price of one unit of a
carrier in each Asia/Shanghai (month, hour) of a year, with its time-of-use band (峰谷分时).

A row of the table gives, for a region-code prefix (``33`` = 浙江省, ``3303`` = 温州市 …), a carrier and an
inclusive range of years, the months (``1-6|9-12``) and hours (``8-11|17-22``: start-end, end exclusive, local
time) of one band — ``sharp`` 尖峰, ``peak`` 峰, ``flat`` 平, ``valley`` 谷, or ``single`` for a one-price carrier —
and its price per ``unit`` (``元/kWh``, ``元/m3`` …). The rows that apply to an enterprise are those of the
**longest** prefix of its region code that has rows for the carrier and year (a city's table overrides its
province's). Together they must cover each (month, hour) of the year exactly once; a gap or an overlap makes the
whole year unusable and says which rows and hours (``TariffProblem``), never a silent zero.

The shipped rows are a DEMO tariff of the synthetic demo city (3399xx) only: no provincial table is shipped
because no provincial price was checked against its 发改委 document (docs/monitoring.md, "Dashboards and cost").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.core.units import conversion_factor
from dualcarbon.reference.tables import ReferenceSet, parse_number

TABLE = "electricity_tariffs_tou"
BANDS: tuple[str, ...] = ("sharp", "peak", "flat", "valley", "single")
BAND_ZH: dict[str, str] = {"sharp": "尖峰", "peak": "峰", "flat": "平", "valley": "谷", "single": "单一"}
_SPAN = re.compile(r"^\s*(\d{1,2})\s*(?:-\s*(\d{1,2}))?\s*$")


class TariffProblem(DualcarbonError):
    """A tariff that cannot be used (no rows, a blank price, a gap or an overlap); the message says where."""


@dataclass(frozen=True)
class Tariff:
    """The prices of one carrier for one year in one region: ``grid[month - 1][hour]`` = (band, price per
    ``unit``, row id); ``demo`` when any row used is a DEMO row (never shown as official)."""

    carrier: str
    year: int
    region_prefix: str
    unit: str
    grid: tuple[tuple[tuple[str, float, str], ...], ...]
    demo: bool
    rows: tuple[str, ...] = field(default=())

    def price_per(self, meter_unit: str) -> float:
        """Factor from a quantity in ``meter_unit`` to the tariff's unit (万kWh → kWh: 10 000)."""
        return conversion_factor(meter_unit, self.unit)

    def valley_price(self, month: int) -> float | None:
        """The lowest 谷 price of ``month`` (None when the month has no valley band)."""
        prices = [price for band, price, _ in self.grid[month - 1] if band == "valley"]
        return min(prices) if prices else None

    @property
    def signature(self) -> str:
        text = repr((self.carrier, self.year, self.region_prefix, self.unit, self.grid))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _spans(cell: str, low: int, high: int, row_id: str, column: str) -> list[int]:
    """``'1-6|9-12'`` with ``high`` inclusive (months) or ``'8-11|17-22'`` (hours, end exclusive: high=24)."""
    out: list[int] = []
    for part in (cell or "").split("|"):
        match = _SPAN.match(part)
        if match is None:
            raise TariffProblem(f"{TABLE} row {row_id}: column {column} '{cell}' is not like '1-6|9-12'")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else (first if column == "months" else first + 1)
        values = range(first, last + 1) if column == "months" else range(first, last)
        if first < low or last > high or not values:
            raise TariffProblem(f"{TABLE} row {row_id}: column {column} '{cell}' is out of {low}-{high}")
        out.extend(values)
    return out


def _year(cell: str | None, row_id: str, column: str) -> int:
    value = parse_number(cell)
    if value is None:
        raise TariffProblem(f"{TABLE} row {row_id}: column {column} is blank")
    return int(value)


def tariff_for(reference: ReferenceSet, region_code: str, carrier: str, year: int) -> Tariff:
    """The tariff of ``carrier`` in ``year`` for an enterprise of ``region_code`` (module docstring);
    raises :class:`TariffProblem` naming the rows when there is none or it is unusable."""
    return _cached(reference, region_code, carrier, year)


@lru_cache(maxsize=1024)
def _cached(reference: ReferenceSet, region_code: str, carrier: str, year: int) -> Tariff:
    table = reference.tables.get(TABLE)
    rows = list(table.rows) if table is not None else []
    candidates = [
        row
        for row in rows
        if row.get("carrier", "").strip() == carrier
        and region_code.startswith(row.get("region_code", "").strip() or "\x00")
        and _year(row.get("year_from"), row["row_id"], "year_from")
        <= year
        <= _year(row.get("year_to"), row["row_id"], "year_to")
    ]
    if not candidates:
        raise TariffProblem(f"no tariff for {carrier} in region {region_code}, {year} ({TABLE})")
    prefix = max((row["region_code"].strip() for row in candidates), key=len)
    chosen = [row for row in candidates if row["region_code"].strip() == prefix]
    units = {row.get("unit", "").strip() for row in chosen}
    if len(units) != 1:
        raise TariffProblem(f"{TABLE}: rows of {carrier}, {prefix}, {year} mix units {sorted(units)}")
    unit = units.pop().removeprefix("元/").removeprefix("yuan/")
    grid: list[list[tuple[str, float, str] | None]] = [[None] * 24 for _ in range(12)]
    for row in chosen:
        row_id = row["row_id"]
        band = row.get("band", "").strip()
        if band not in BANDS:
            raise TariffProblem(f"{TABLE} row {row_id}: band '{band}' is not one of {', '.join(BANDS)}")
        price = parse_number(row.get("price"))
        if price is None or price < 0:
            raise TariffProblem(f"{TABLE} row {row_id}: no price (blank in the table; import a sourced value)")
        for month in _spans(row.get("months", ""), 1, 12, row_id, "months"):
            for hour in _spans(row.get("hours", ""), 0, 24, row_id, "hours"):
                held = grid[month - 1][hour]
                if held is not None:
                    raise TariffProblem(
                        f"{TABLE}: rows {held[2]} and {row_id} both cover month {month}, hour {hour} ({year})"
                    )
                grid[month - 1][hour] = (band, price, row_id)
    gaps = [(m + 1, h) for m in range(12) for h in range(24) if grid[m][h] is None]
    if gaps:
        month, hour = gaps[0]
        raise TariffProblem(
            f"{TABLE}: the rows of {carrier}, {prefix}, {year} leave {len(gaps)} hours uncovered "
            f"(first: month {month}, hour {hour})"
        )
    return Tariff(
        carrier=carrier,
        year=year,
        region_prefix=prefix,
        unit=unit,
        grid=tuple(tuple(cell for cell in month if cell is not None) for month in grid),
        demo=any(row.get("confidence", "").strip().lower().startswith("demo") for row in chosen),
        rows=tuple(sorted(row["row_id"] for row in chosen)),
    )


def region_has_rows(reference: ReferenceSet, region_code: str, carrier: str) -> bool:
    """True when some row of the table (any year) prices ``carrier`` for a prefix of ``region_code`` — the cheap
    check that lets the cost step skip enterprises no tariff can apply to."""
    table = reference.tables.get(TABLE)
    return table is not None and any(
        row.get("carrier", "").strip() == carrier
        and bool(row.get("region_code", "").strip())
        and region_code.startswith(row.get("region_code", "").strip())
        for row in table.rows
    )
