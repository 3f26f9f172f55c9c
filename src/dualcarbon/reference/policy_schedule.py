"""When a policy pack's half-year efficiency catalog (能效清单目录) is due and which reports feed it.

Part of the pack schema (:class:`dualcarbon.reference.policy.PolicyPack` field ``catalog_schedule``);
used by the catalog subject's schedule service.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from dualcarbon.reference.policy_rules import PackModel as _Model
from dualcarbon.reference.policy_rules import Source

HalfYear = Literal["H1", "H2"]


class HalfYearDue(_Model):
    """One half-year's catalog and the day of the year it is due by (e.g. H1 by 15 January)."""

    half: HalfYear
    due_month: int = Field(ge=1, le=12)
    due_day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _real_day(self) -> HalfYearDue:
        try:
            date(2001, self.due_month, self.due_day)  # a common year: 29 February is not a yearly due date
        except ValueError:
            raise ValueError(f"there is no day {self.due_day} in month {self.due_month} every year") from None
        return self


class CatalogSchedule(_Model):
    """When the efficiency catalog (能效清单目录) of a half-year is due and which annual reports feed it.

    A catalog is named ``YYYY-H1`` / ``YYYY-H2``: it is due by ``due_month``/``due_day`` of YYYY and built
    from the annual reports of year YYYY + ``data_year_offset`` (−1: the year before).
    The report years accepted at all are a platform rule (``platform_rules`` table), not part of the schedule.
    """

    halves: tuple[HalfYearDue, ...] = Field(min_length=2, max_length=2)
    data_year_offset: int = Field(ge=-5, le=0)
    source: Source
    data_year_source: Source

    @model_validator(mode="after")
    def _both_halves(self) -> CatalogSchedule:
        if sorted(item.half for item in self.halves) != ["H1", "H2"]:
            raise ValueError("give H1 and H2 once each")
        first, second = sorted(self.halves, key=lambda item: item.half)
        if (first.due_month, first.due_day) >= (second.due_month, second.due_day):
            raise ValueError("H1 must be due before H2 in the year")
        return self

    def due(self, half: HalfYear) -> HalfYearDue:
        return next(item for item in self.halves if item.half == half)

    def due_date(self, year: int, half: HalfYear) -> date:
        """The day the catalog ``{year}-{half}`` is due by."""
        item = self.due(half)
        return date(year, item.due_month, item.due_day)

    def data_year(self, year: int) -> int:
        """The year of the annual reports a catalog of ``year`` is built from."""
        return year + self.data_year_offset
