"""Subsidy and award applications against policy-pack rules, with the computed amount, its trace, review, payment and budget pools."""
