"""The 数据来源 (computed from) block of a project's verification: which meters or hand-entered periods, which
dates, which weather station and energy basis, and the periods and days used and left out (gaps) — so that a
reviewer reading the verification later can tell what it was computed from. Texts under the i18n prefix
``projects.verification.source``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from nicegui import ui
from pydantic import ValidationError

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.projects.schemas import VerificationPeriodSource, VerificationSource

PREFIX = "projects.verification.source"


class _Translates(Protocol):
    language: str

    def t(self, key: str, **values: Any) -> str: ...


def _period_text(ctx: _Translates, period: VerificationPeriodSource) -> str:
    text = ctx.t(
        f"{PREFIX}.period",
        date_from=str(period.date_from or "—"),
        date_to=str(period.date_to or "—"),
        periods=period.periods_used,
        days=period.days_used,
    )
    if period.periods_left_out is None:
        return text + ctx.t(f"{PREFIX}.left_out_unknown")
    if not period.periods_left_out:
        return text + ctx.t(f"{PREFIX}.left_out_none")
    reasons = ctx.t(f"{PREFIX}.separator").join(
        ctx.t(f"{PREFIX}.reason.{reason}", count=count) for reason, count in period.left_out.items()
    )
    return text + ctx.t(
        f"{PREFIX}.left_out", periods=period.periods_left_out, days=period.days_left_out, reasons=reasons
    )


def verification_source_lines(
    ctx: _Translates, source: VerificationSource, carrier_name: Callable[[str], str] = str
) -> list[tuple[str, str]]:
    """(label key, text) lines in the page's language for the stored ``computed_from`` record."""
    lines = [
        (f"{PREFIX}.kind", ctx.t(f"{PREFIX}.kind.{source.kind}") + ctx.t(f"{PREFIX}.interval.{source.interval}")),
        (f"{PREFIX}.basis", ctx.t(f"{PREFIX}.basis.{source.energy_basis}")),
    ]
    if source.kind == "meters":
        meters = ctx.t(f"{PREFIX}.separator").join(
            ctx.t(f"{PREFIX}.meter", meter=m.meter, carrier=carrier_name(m.carrier), meter_id=m.meter_id)
            for m in source.meters
        )
        station = source.weather_station or ctx.t(f"{PREFIX}.no_weather")
        lines += [(f"{PREFIX}.meters", meters), (f"{PREFIX}.weather_station", station)]
    lines += [
        (f"{PREFIX}.baseline", _period_text(ctx, source.baseline)),
        (f"{PREFIX}.reporting", _period_text(ctx, source.reporting)),
    ]
    if source.factor_rows:
        lines.append((f"{PREFIX}.factor_rows", ", ".join(source.factor_rows)))
    if source.reference_versions:
        versions = ", ".join(f"{name} {version}" for name, version in sorted(source.reference_versions.items()))
        lines.append((f"{PREFIX}.reference", versions))
    return lines


def stored_source(record: Mapping[str, Any]) -> VerificationSource | None:
    """The record's ``computed_from`` (None in a record stored before verifications kept it, or unreadable)."""
    raw = record.get("computed_from")
    if not isinstance(raw, dict):
        return None
    try:
        return VerificationSource.model_validate(raw)
    except ValidationError:
        return None


def verification_source_section(ctx: Any, record: Mapping[str, Any]) -> None:
    """The block under the verification's figures (``ctx``: the page's WebContext)."""
    ui.label(ctx.t(f"{PREFIX}.title")).classes("text-base font-medium mt-2")
    source = stored_source(record)
    if source is None:
        ui.label(ctx.t(f"{PREFIX}.not_recorded")).classes("text-sm text-gray-600").props(
            'data-testid="projects-verification-source-missing"'
        )
        return

    def carrier_name(code: str) -> str:
        try:
            carrier = ctx.reference().carrier(code)
        except DualcarbonError:
            return code
        return str(carrier.name_zh if ctx.language == "zh" else carrier.name_en)

    with (
        ui.grid(columns="12rem 1fr")
        .classes("w-full gap-x-6 gap-y-1")
        .props('data-testid="projects-verification-source"')
    ):
        for key, value in verification_source_lines(ctx, source, carrier_name):
            ui.label(ctx.t(key)).classes("text-gray-600")
            ui.label(value).props(f'data-testid="{key.replace(".", "-")}"')
