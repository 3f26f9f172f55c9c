"""``POST /api/v1/calc/{kind}``: the `dualcarbon calc` JSON contracts over HTTP (docs/contracts.md).

Open to any logged-in caller: the computations read only the reference tables, never enterprise data.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from fastapi import APIRouter, Body, Request

from dualcarbon.calc.contract import check_finite
from dualcarbon.ui.api import API_PREFIX, Caller, reference_of

router = APIRouter(prefix=API_PREFIX + "/calc", tags=["calc 计算"])

CalcKind = Literal["energy", "carbon", "classify", "savings", "mv", "subsidy", "datacentre", "target", "warning"]


@router.post("/{kind}", summary="Run a calc contract (docs/contracts.md)")
def run_contract(kind: CalcKind, request: Request, _caller: Caller, payload: Any = Body(...)) -> dict[str, Any]:
    module = importlib.import_module(f"dualcarbon.calc.{kind}")
    result: dict[str, Any] = module.run(payload, reference_of(request))
    check_finite(result)
    return result
