"""Subsidy and award applications against policy-pack rules: the computed amount and its trace, review,
payment, budget pools; differentiated electricity surcharges."""
