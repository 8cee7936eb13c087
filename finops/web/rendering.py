"""HTML rendering: the Jinja2 environment (autoescaped) and the filters the templates use (the chart is charts.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"



def money(amount: Decimal | int | float, currency: str = "usd") -> str:
    """``1234.5`` -> ``1,234.50 USD`` (two decimals, half up)."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,.2f} {currency.upper()}"


def unit_cost(value: Decimal | None, currency: str = "usd") -> str:
    """A unit cost (an estimate: a division): two decimals, four under 1, with the currency; an em dash for none."""
    if value is None:
        return "—"
    places = Decimal("0.01") if abs(value) >= 1 or not value else Decimal("0.0001")
    return f"{value.quantize(places, rounding=ROUND_HALF_UP):,} {currency.upper()}"


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


@cache
def environment() -> Environment:
    """The templates' environment: every value autoescaped, undefined names are errors."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = money
    env.filters["when"] = when
    env.filters["unit_cost"] = unit_cost
    env.filters["provider_label"] = provider_label
    return env


def render(template: str, **context: Any) -> str:
    """A template rendered with ``context``."""
    return environment().get_template(template).render(**context)
