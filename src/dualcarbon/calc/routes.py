"""``POST /api/v1/calc/{kind}``: the `dualcarbon calc` JSON contracts over HTTP (docs/contracts.md).

Open to any logged-in caller: the computations read only the reference tables, never enterprise data. The body
is read as the CLI reads its input (:func:`dualcarbon.calc.contract.load_json`), so a body that is not JSON is
refused in the same words — Chinese first — at field ``input``, with its line and column.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from dualcarbon.calc import contract
from dualcarbon.ui.api import API_PREFIX, Caller, reference_of

router = APIRouter(prefix=API_PREFIX + "/calc", tags=["calc 计算"])

CalcKind = Literal["energy", "carbon", "classify", "savings", "mv", "subsidy", "datacentre", "target", "warning"]

_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "description": "see docs/contracts.md"}}},
    }
}


@router.post("/{kind}", summary="Run a calc contract (docs/contracts.md)", openapi_extra=_JSON_BODY)
async def run_contract(kind: CalcKind, request: Request, _caller: Caller) -> dict[str, Any]:
    payload = contract.load_json(await request.body())
    result = await run_in_threadpool(contract.run_contract, kind, payload, reference_of(request))
    return dict(result)
