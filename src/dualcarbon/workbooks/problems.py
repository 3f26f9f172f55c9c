"""Validation problems of an imported workbook: where (sheet, row, column) and why.

An import is all-or-nothing: readers collect every problem they find and raise ``WorkbookInvalid``
carrying the whole list; nothing is stored unless the list is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from dualcarbon.core.errors import InvalidInput

MAX_IN_MESSAGE = 3


@dataclass(frozen=True)
class WorkbookProblem:
    """One problem: sheet name, Excel row number (1-based; None = the whole sheet), column header, reason."""

    sheet: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列")
        return f"{' '.join(where)}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


class WorkbookInvalid(InvalidInput):
    """The workbook has problems; ``problems`` lists them all. Nothing was imported."""

    def __init__(self, problems: list[WorkbookProblem]) -> None:
        shown = "; ".join(str(p) for p in problems[:MAX_IN_MESSAGE])
        more = f" (and {len(problems) - MAX_IN_MESSAGE} more)" if len(problems) > MAX_IN_MESSAGE else ""
        first = problems[0] if problems else None
        super().__init__(
            f"{len(problems)} problem(s) in the workbook, nothing imported: {shown}{more}",
            field=f"{first.sheet}!{first.column}" if first and first.column else None,
        )
        self.problems = problems
