"""Typed results of the registry services that other subjects and the API read.

So far the region tree (GB/T 2260) and the result of seeding regions; enterprises, sites and units still
travel as dicts (see the registry routes).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.core.vocab import RegionLevel


class RegionNode(BaseModel):
    """A region with the regions below it (as deep as the tree was asked for)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="6-digit 行政区划代码")
    name: str
    level: RegionLevel
    children: list[RegionNode] = Field(default_factory=list)


class RegionTree(BaseModel):
    """The region tree for pickers: its top nodes."""

    model_config = ConfigDict(extra="forbid")

    items: list[RegionNode]


class RegionsSeeded(BaseModel):
    """How many regions an import added, renamed, or found unchanged."""

    model_config = ConfigDict(extra="forbid")

    created: int
    renamed: int
    unchanged: int
