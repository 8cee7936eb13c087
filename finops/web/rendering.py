"""HTML rendering: the Jinja2 environment (autoescaped) and the server-side SVG spend chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

CHART_WIDTH = 600
CHART_HEIGHT = 150
CHART_LEFT = 56
CHART_BOTTOM = 22
CHART_TOP = 8


def money(amount: Decimal | int | float, currency: str = "usd") -> str:
    """``1234.5`` -> ``1,234.50 USD`` (two decimals, half up)."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,.2f} {currency.upper()}"


def when(value: datetime | date | None) -> str:
    """A timestamp in UTC to the minute, a date as ISO, or an em dash."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return value.isoformat()


def provider_label(name: str | None) -> str:
    """``anthropic`` -> ``Anthropic``: a provider's display name."""
    from finops.providers import PROVIDERS

    return PROVIDERS[name].label if name in PROVIDERS else str(name or "")


@dataclass(frozen=True)
class Bar:
    """One day's bar of the spend chart."""

    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Chart:
    """Geometry of a spend chart, ready for the SVG template."""

    width: int
    height: int
    left: int
    baseline: float
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    currency: str
    total: str


def _nice_max(value: Decimal) -> Decimal:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1)."""
    if value <= 0:
        return Decimal(1)
    exponent = Decimal(10) ** (len(str(int(value))) - 1) if value >= 1 else Decimal("0.01")
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def spend_chart(series: Any) -> Chart:
    """Bars for each day of a ``SpendSeries``, with a 0/half/max axis and a few date labels."""
    days = series.days
    top = _nice_max(max((d.amount for d in days), default=Decimal(0)))
    plot_w = CHART_WIDTH - CHART_LEFT - 4
    plot_h = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    baseline = CHART_TOP + plot_h
    slot = plot_w / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        h = float(d.amount / top) * plot_h if d.amount > 0 else 0.0
        bars.append(Bar(x=round(CHART_LEFT + i * slot + slot * 0.15, 2), y=round(baseline - h, 2),
                        width=round(slot * 0.7, 2), height=round(h, 2),
                        title=f"{d.day.isoformat()}: {money(d.amount, series.currency)}"))
    ticks = [(round(baseline - plot_h * f, 2), money(top * Decimal(str(f)), series.currency).split(" ")[0])
             for f in (0, 0.5, 1)]
    label_every = max(1, len(days) // 5)
    labels = [(round(min(CHART_LEFT + i * slot + slot / 2, CHART_WIDTH - 22), 2), f"{d.day:%b %d}")
              for i, d in enumerate(days) if i % label_every == 0 or i == len(days) - 1]
    return Chart(width=CHART_WIDTH, height=CHART_HEIGHT, left=CHART_LEFT, baseline=baseline, bars=bars,
                 ticks=ticks, labels=labels, currency=series.currency.upper(), total=money(series.total, series.currency))


@cache
def environment() -> Environment:
    """The templates' environment: every value autoescaped, undefined names are errors."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = money
    env.filters["when"] = when
    env.filters["provider_label"] = provider_label
    env.globals["spend_chart"] = spend_chart
    return env


def render(template: str, **context: Any) -> str:
    """A template rendered with ``context``."""
    return environment().get_template(template).render(**context)
