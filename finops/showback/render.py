"""The statement as a printable HTML page (Jinja2, autoescaped; inline CSS and SVG, no CDN, A4 without cut columns)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from markupsafe import Markup

from finops.money import plain
from finops.showback.statement import Statement

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CHART_WIDTH = 640
CHART_HEIGHT = 160


def daily_svg(series: list[tuple], currency: str) -> Markup:
    """A bar per day of the month, the day's exact amount in each bar's title (inline SVG)."""
    from markupsafe import escape

    top = max((amount for _, amount in series), default=Decimal(0))
    n = max(len(series), 1)
    width = CHART_WIDTH / n
    bars = []
    for i, (day, amount) in enumerate(series):
        height = float(amount / top * (CHART_HEIGHT - 20)) if top > 0 else 0.0
        x, y = i * width + 1, CHART_HEIGHT - 14 - height
        bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width - 2, 1):.1f}" height="{height:.1f}">'
                    f"<title>{escape(str(day))}: {escape(plain(amount))} {escape(currency)}</title></rect>")
        if day.day in (1, 8, 15, 22, 29):
            bars.append(f'<text x="{x:.1f}" y="{CHART_HEIGHT - 2}">{day.day}</text>')
    return Markup(
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-label="Spend per day in {escape(currency)}">{"".join(bars)}</svg>')


def render_html(statement: Statement, csv_name: str) -> str:
    """The statement page."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined)
    env.filters["exact"] = plain
    env.filters["money"] = lambda amount: f"{amount:,.2f}"
    charts = {c: daily_svg(series, c) for c, series in statement.daily().items()}
    return env.get_template("statement.html").render(s=statement, charts=charts, csv_name=csv_name)
