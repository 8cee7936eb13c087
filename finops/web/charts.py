"""The FinOps pages' one chart: server-side SVG geometry of a stacked daily chart (no CDN, colour-blind safe).

``static/charts.js`` enhances it (a day's breakdown on hover or with the arrow keys, legend buttons that hide
or show a series) from the exact figures this module puts beside the SVG as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from finops.money import plain
from finops.web.rendering import money, unit_cost

#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies); grey for "all others".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#8C8C8C"

WIDTH = 760
HEIGHT = 280
LEFT = 72
RIGHT = 8
TOP = 14
BOTTOM = 24


def _nice_max(value: Decimal) -> Decimal:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1)."""
    if value <= 0:
        return Decimal(1)
    exponent = Decimal(10) ** (len(str(int(value))) - 1) if value >= 1 else Decimal("0.01")
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


@dataclass(frozen=True)
class Segment:
    """One series' part of one day's bar."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str
    series: int
    day: int


@dataclass(frozen=True)
class Column:
    """One day's slot, where hovering shows the day's breakdown."""

    x: float
    width: float


@dataclass(frozen=True)
class DayMark:
    """A day drawn differently: provisional (a shaded band) or restated (a marker above the bar)."""

    x: float
    width: float
    kind: str
    title: str


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    total: str
    pattern: str
    key: str | None = None


@dataclass(frozen=True)
class StackedChart:
    """Everything the SVG template draws."""

    width: int
    height: int
    left: int
    baseline: float
    top: int
    segments: list[Segment]
    marks: list[DayMark]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    legend: list[LegendEntry]
    summary: str
    columns: list[Column]
    data_json: str


def colours(series: list[Any]) -> list[str]:
    """Each series' colour: palette in order, grey for "all others"."""
    out, i = [], 0
    for s in series:
        if s.other:
            out.append(OTHER)
        else:
            out.append(PALETTE[i % len(PALETTE)])
            i += 1
    return out


def stacked_chart(data: Any) -> StackedChart:
    """Geometry for ``OverviewData``: one bar per day, stacked by series, with provisional and restated days."""
    days: list[date] = data.days
    currency = data.currency
    top = _nice_max(max(data.daily_totals, default=Decimal(0)))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.78, 1.0)
    palette = colours(data.series)
    segments: list[Segment] = []
    heights = [0.0] * len(days)
    for n, (s, colour) in enumerate(zip(data.series, palette, strict=True)):
        for i, amount in enumerate(s.amounts):
            if amount <= 0:
                continue
            h = float(amount / top) * plot_h
            segments.append(Segment(
                x=round(LEFT + i * slot + (slot - bar_w) / 2, 2), y=round(baseline - heights[i] - h, 2),
                width=round(bar_w, 2), height=round(max(h, 0.5), 2), colour=colour,
                title=f"{days[i].isoformat()}, {s.label}: {money(amount, currency)}", series=n, day=i))
            heights[i] += h
    marks: list[DayMark] = []
    restated = data.restated_dates
    for i, d in enumerate(days):
        x = round(LEFT + i * slot, 2)
        if data.freshness.is_provisional(d):
            marks.append(DayMark(x=x, width=round(slot, 2), kind="provisional",
                                 title=f"{d.isoformat()}: provisional (inside the look-back, may still change)"))
        if d in restated:
            marks.append(DayMark(x=round(x + slot / 2, 2), width=round(slot, 2), kind="restated",
                                 title=f"{d.isoformat()}: restated (a later collection changed this day's total)"))
    ticks = [(round(baseline - plot_h * f, 2), money(top * Decimal(str(f)), currency).split(" ")[0])
             for f in (0, 0.5, 1)]
    every = max(1, len(days) // 6)
    labels = [(round(min(LEFT + i * slot + slot / 2, WIDTH - 24), 2), f"{d:%b %d}")
              for i, d in enumerate(days) if i % every == 0]
    named = data.group == "project"
    legend = [LegendEntry(label=s.label, colour=c, total=money(s.total, currency), pattern=f"p{n}",
                          key=s.key if named and not s.other else None)
              for n, (s, c) in enumerate(zip(data.series, palette, strict=True))]
    columns = [Column(x=round(LEFT + i * slot, 2), width=round(slot, 2)) for i in range(len(days))]
    biggest = ", ".join(f"{s.label} {money(s.total, currency)}" for s in data.series[:3])
    summary = (f"Daily spend from {days[0]} to {days[-1]}, total {money(data.total, currency)}"
               + (f"; biggest: {biggest}" if biggest else "; no spend") + "." if days else "No days in the period.")
    return StackedChart(width=WIDTH, height=HEIGHT, left=LEFT, baseline=baseline, top=TOP, segments=segments,
                        marks=marks, ticks=ticks, labels=labels, legend=legend, summary=summary, columns=columns,
                        data_json=chart_json(data, palette))


def chart_json(data: Any, palette: list[str]) -> str:
    """The chart's exact figures for the hover breakdown: days, series (label, ID, colour, amounts) and totals.

    Amounts are exact decimal strings (as ``cost_data`` sums them); ``<`` is escaped so the JSON cannot end
    its ``<script type="application/json">`` element early.
    """
    body = {
        "currency": data.currency.upper(),
        "days": [d.isoformat() for d in data.days],
        "totals": [plain(t) for t in data.daily_totals],
        "series": [{"label": s.label, "id": s.key if data.group == "project" and not s.other else None,
                    "colour": c, "amounts": [plain(a) for a in s.amounts]}
                   for s, c in zip(data.series, palette, strict=True)],
    }
    return json.dumps(body, separators=(",", ":")).replace("<", "\\u003c")


@dataclass(frozen=True)
class Line:
    """One series drawn as a line: its path (broken where a day has no value), its points and legend."""

    path: str
    points: list[Segment]
    colour: str
    series: int


@dataclass(frozen=True)
class LineChart:
    """Everything the line chart's SVG template draws (the same frame, axes and day slots as the stacked chart)."""

    width: int
    height: int
    left: int
    baseline: float
    top: int
    lines: list[Line]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    legend: list[LegendEntry]
    summary: str
    columns: list[Column]
    data_json: str


def line_chart(days: list[date], series: list[Any], currency: str, unit: str, averages: list[Decimal | None]) -> LineChart:
    """Geometry for values per day (``series``: ``label``, ``key`` and ``values``, None where a day has none).

    The one chart's frame and enhancement: each day a slot, hovering it lists the day's values (as the
    JSON beside the SVG holds them); a line breaks where a day has no value, so a gap is never drawn as zero.
    """
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values, default=Decimal(0)))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = plot_w / max(len(days), 1)
    lines = []
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        parts, points, pen = [], [], "M"
        for i, value in enumerate(s.values):
            if value is None:
                pen = "M"
                continue
            x = round(LEFT + i * slot + slot / 2, 2)
            y = round(baseline - float(value / top) * plot_h, 2)
            parts.append(f"{pen}{x},{y}")
            pen = "L"
            points.append(Segment(x=x, y=y, width=0, height=0, colour=colour, series=n, day=i,
                                  title=f"{days[i].isoformat()}, {s.label}: {unit_cost(value, currency)} {unit}"))
        lines.append(Line(path=" ".join(parts), points=points, colour=colour, series=n))
    ticks = [(round(baseline - plot_h * f, 2), unit_cost(top * Decimal(str(f)), currency).split(" ")[0])
             for f in (0, 0.5, 1)]
    every = max(1, len(days) // 6)
    labels = [(round(min(LEFT + i * slot + slot / 2, WIDTH - 24), 2), f"{d:%b %d}")
              for i, d in enumerate(days) if i % every == 0]
    legend = [LegendEntry(label=s.label, colour=PALETTE[n % len(PALETTE)], pattern=f"l{n}",
                          total="" if avg is None else f"{unit_cost(avg, currency)} over the period")
              for n, (s, avg) in enumerate(zip(series, averages, strict=True))]
    columns = [Column(x=round(LEFT + i * slot, 2), width=round(slot, 2)) for i in range(len(days))]
    summary = (f"{unit.capitalize()} per day from {days[0]} to {days[-1]} for "
               + (", ".join(f"{s.label} ({e.total})" for s, e in zip(series, legend, strict=True)) or "no model")
               + "." if days else "No days in the period.")
    body = {"kind": "line", "currency": currency.upper(), "unit": unit, "days": [d.isoformat() for d in days],
            "series": [{"label": s.label, "id": None, "colour": PALETTE[n % len(PALETTE)],
                        "amounts": [None if v is None else plain(v.quantize(Decimal("0.000001"))) for v in s.values]}
                       for n, s in enumerate(series)]}
    return LineChart(width=WIDTH, height=HEIGHT, left=LEFT, baseline=baseline, top=TOP, lines=lines, ticks=ticks,
                     labels=labels, legend=legend, summary=summary, columns=columns,
                     data_json=json.dumps(body, separators=(",", ":")).replace("<", "\\u003c"))
