"""The JSON contracts of `dualcarbon calc …` (energy, carbon, classify, savings, mv, subsidy, datacentre, target,
warning), also served by the API.

Each submodule has pydantic input models and ``run(payload: dict, reference: ReferenceSet) -> dict``.
Input problems become ``InvalidInput`` naming the field path (``items[2].quantity``) and the reason.
Field-by-field documentation with examples: ``docs/contracts.md``.
"""

#: The contracts, one module each (``dualcarbon.calc.<kind>`` with ``run(payload, reference)``).
KINDS = ("energy", "carbon", "classify", "savings", "mv", "subsidy", "datacentre", "target", "warning")
