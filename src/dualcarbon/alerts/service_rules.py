"""The parameters of the alert rules, read from reference data — never literals in code.

* Numbers: ``platform_rules`` rows PR-A01…PR-A09 (anomaly k·MAD, history weeks, minimum samples, least
  deviation, imbalance tolerance, delivery attempts, retry back-off, upload retention).
* Which warning scheme judges a budget in a jurisdiction: ``alerts/data/budget_warning.csv`` (the longest
  ``region_prefix`` that begins the enterprise's region code wins; the empty prefix is the default). The
  schemes themselves (bands, boundaries, clauses) are the ``warning_schemes`` of the policy packs
  (reference/policies/*-warning.yaml), the same ones ``dualcarbon calc warning`` uses.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.rules import warning_level
from dualcarbon.reference.policy import PolicyPack, list_packs, load_pack
from dualcarbon.reference.policy_incentives import WarningScheme
from dualcarbon.reference.tables import ReferenceSet

#: The calc warning levels, mildest first; ``green`` never raises an alert.
LEVEL_ORDER: tuple[str, ...] = ("green", "yellow", "orange", "red")
LEVEL_ZH = {"green": "绿色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
#: The sources' names for texts made outside the web kit (e-mail); the same words as the pages' ``alert_source.*``
#: keys (tests/alerts/test_channels.py checks that they agree).
SOURCE_ZH = {
    "budget": "用能预算",
    "anomaly": "用能异常",
    "stale": "数据中断",
    "quality": "数据质量",
    "imbalance": "总分表不平衡",
    "conflict": "冲突数据",
}


@dataclass(frozen=True)
class AlertRules:
    anomaly_k_mad: float
    anomaly_history_weeks: int
    anomaly_min_samples: int
    anomaly_min_deviation_pct: float
    imbalance_tolerance_pct: float
    delivery_max_attempts: int
    retry_base_s: float
    retry_max_s: float
    upload_retention_days: int

    @classmethod
    def of(cls, reference: ReferenceSet) -> AlertRules:
        def rule(key: str) -> float:
            return reference.platform_rule(key).value

        return cls(
            rule("alert_anomaly_k_mad"),
            int(rule("alert_anomaly_history_weeks")),
            int(rule("alert_anomaly_min_samples")),
            rule("alert_anomaly_min_deviation_pct"),
            rule("alert_imbalance_tolerance_pct"),
            int(rule("alert_delivery_max_attempts")),
            rule("alert_retry_base_s"),
            rule("alert_retry_max_s"),
            int(rule("upload_retention_days")),
        )

    def backoff_s(self, attempts: int) -> float:
        """Delay before the next try after ``attempts`` failures: base × 2^(attempts − 1), at most the maximum."""
        return float(min(self.retry_max_s, self.retry_base_s * 2 ** max(attempts - 1, 0)))


@cache
def _jurisdictions() -> tuple[tuple[str, str], ...]:
    text = resources.files("dualcarbon.alerts.data").joinpath("budget_warning.csv").read_text(encoding="utf-8")
    rows = [(row["region_prefix"].strip(), row["scheme"].strip()) for row in csv.DictReader(text.splitlines())]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def budget_scheme_id(region_code: str) -> str:
    """The warning scheme configured for a budget of an enterprise in ``region_code``."""
    for prefix, scheme in _jurisdictions():
        if region_code.startswith(prefix):
            return scheme
    raise InvalidInput(f"no budget warning scheme configured for region {region_code}", field="region")


@cache
def find_scheme(scheme_id: str) -> tuple[PolicyPack, WarningScheme]:
    """The shipped warning scheme ``scheme_id`` and its pack."""
    for name in list_packs():
        pack = load_pack(name)
        for scheme in pack.warning_schemes:
            if scheme.id == scheme_id:
                return pack, scheme
    raise InvalidInput(f"no warning scheme '{scheme_id}' in the shipped packs", field="scheme")


def judge(scheme_id: str, value: float, period: str = "") -> dict[str, str | float | None]:
    """The level of ``value`` (the scheme's measure) with the band and clause it comes from."""
    pack, scheme = find_scheme(scheme_id)
    level, band = warning_level(scheme, round(value, 9), period)
    return {
        "level": level,
        "scheme": scheme.id,
        "measure": scheme.measure,
        "value": round(value, 9),
        "rule": band,
        "clause": scheme.source.clause,
        "document": pack.document.title,
    }
