"""``lazy_import`` must never make a second copy of a module that importing its parent package already loaded.

``importlib.util.find_spec`` imports the parent package first; when the parent's ``__init__`` imports the module
itself (``dualcarbon.reference`` imports ``.tables``), a lazy module created after that would replace it in
``sys.modules`` and every class in it would exist twice (``isinstance`` then fails between callers). Run in a fresh
interpreter, where ``dualcarbon.reference`` is not imported yet.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from dualcarbon.ui.commands import lazy_import
assert "dualcarbon.reference" not in sys.modules
lazy = lazy_import("dualcarbon.reference.tables")
import dualcarbon.reference as package
from dualcarbon.reference.tables import ReferenceSet
print(package.ReferenceSet is ReferenceSet, lazy.ReferenceSet is ReferenceSet)
"""


def test_a_lazily_imported_module_is_the_one_its_package_loaded() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]
