"""Charts as SVG, drawn on the server: no script, no third-party CDN.

Each chart is a ``<figure>`` of an ``<svg role="img">`` with a title, a
description naming its largest value, and one ``<rect>`` per value carrying
its own ``<title>`` (a hover label); the dashboard puts a table of the same
figures and a CSV link beside each.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 180
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 48, 22, 10
COLOR = "#2d6b4f"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def bars(chart_id: str, title: str, points: Sequence[tuple[str, float]], *, unit: str = "") -> Markup:
    """Vertical bars, one per point (a day, say), labelled at both ends of the x axis."""
    top = max((v for _, v in points), default=0) or 1
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(len(points), 1)
    width = max(step * 0.8, 1)
    rects = []
    for i, (label, value) in enumerate(points):
        h = inner_h * (value / top)
        x = PAD_LEFT + i * step + (step - width) / 2
        y = PAD_TOP + inner_h - h
        rects.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{COLOR}">'
            f"<title>{escape(label)}: {escape(_number(value))}{escape(unit)}</title></rect>"
        )
    biggest = max(points, key=lambda p: p[1], default=None)
    desc = f"{len(points)} values; the largest is {_number(biggest[1])}{unit} ({biggest[0]})" if biggest else "no data"
    axis_y = PAD_TOP + inner_h
    labels = ""
    if points:
        labels = (
            f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" font-size="11">{escape(points[0][0])}</text>'
            f'<text x="{WIDTH - 8}" y="{HEIGHT - 6}" font-size="11" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    svg = (
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title><desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
        f'<line x1="{PAD_LEFT}" y1="{axis_y}" x2="{WIDTH - 8}" y2="{axis_y}" stroke="#52606d"/>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" font-size="11" text-anchor="end">{escape(_number(top))}</text>'
        f'<text x="{PAD_LEFT - 6}" y="{axis_y}" font-size="11" text-anchor="end">0</text>'
        + "".join(rects)
        + labels
        + "</svg>"
    )
    return Markup(svg)


def hbars(chart_id: str, title: str, points: Sequence[tuple[str, float]]) -> Markup:
    """Horizontal bars with their labels: top intents, ratings."""
    row = 22
    height = max(len(points), 1) * row + 6
    top = max((v for _, v in points), default=0) or 1
    label_w, inner_w = 170, WIDTH - 170 - 60
    parts = []
    for i, (label, value) in enumerate(points):
        y = 4 + i * row
        w = inner_w * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{escape(label[:28])}</text>"
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" fill="{COLOR}">'
            f"<title>{escape(label)}: {escape(_number(value))}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{escape(_number(value))}</text>'
        )
    return Markup(
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{escape(chart_id)}-t" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>' + "".join(parts) + "</svg>"
    )
