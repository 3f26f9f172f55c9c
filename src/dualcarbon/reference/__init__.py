"""Versioned standard tables shipped with the package, and administrator imports beside them.

Each row keeps its ``source`` and ``confidence``. A blank value stays blank: code that needs it raises
``MissingCoefficient`` naming the row and how to import the official table. Use :func:`load_reference`
to get the active :class:`ReferenceSet` (shipped tables overlaid by imported versions in a data directory).
"""

from dualcarbon.reference.model import (
    BenchmarkRow,
    CarbonateFactor,
    Carrier,
    ConversionCoefficient,
    EmissionDefaults,
    GridFactor,
    PlatformRule,
    Provenance,
    SupplyCoalRate,
)
from dualcarbon.reference.tables import ReferenceSet, load_reference, shipped_reference

__all__ = [
    "BenchmarkRow",
    "CarbonateFactor",
    "Carrier",
    "ConversionCoefficient",
    "EmissionDefaults",
    "GridFactor",
    "PlatformRule",
    "Provenance",
    "ReferenceSet",
    "SupplyCoalRate",
    "load_reference",
    "shipped_reference",
]
