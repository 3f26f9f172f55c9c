"""Fixtures for the domain tests."""

from __future__ import annotations

import pytest

from dualcarbon.reference import ReferenceSet, shipped_reference


@pytest.fixture(scope="session")
def reference() -> ReferenceSet:
    return shipped_reference()
