"""Request bodies of the period-report API (``/api/v1`` reports): create, update, review, deadlines.

The report content is validated by :class:`dualcarbon.reports.service_content.ReportContent` in the service,
so that a bad line is refused naming its path (``energy_lines[2].unit``); here it is a JSON object whose
documented schema is that model's, inlined into the OpenAPI document.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.reports.service_content import ReportContent

PeriodKindName = Literal["year", "quarter", "month"]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` references replaced by the definitions (for an embedded schema)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.split("/")[-1]])
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


CONTENT_SCHEMA = _inline(ReportContent.model_json_schema())
ContentField: Any = Field(
    default_factory=dict,
    description="energy_lines, outputs, economics (see docs/reports.md); errors name e.g. energy_lines[2].unit",
    json_schema_extra=CONTENT_SCHEMA,
)


class ReportCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period_kind: PeriodKindName = "year"
    year: int = Field(description="report year, e.g. 2024")
    period: int = Field(default=0, description="0 for a year, quarter 1-4, month 1-12")
    content: dict[str, Any] = ContentField


class ReportUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: dict[str, Any] = ContentField


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=4000, description="required to return or reopen")


class DeadlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region_code: str = Field(description="6-digit region code inside your scope")
    period_kind: PeriodKindName = "year"
    year: int
    period: int = 0
    deadline: date
