"""Product pictures for the demo store, drawn here so that the demo needs no
image host: a garment (or bag, or shoe) in the colour its name says, on a
light tint of that colour, with the product's name underneath."""

from __future__ import annotations

import colorsys
import hashlib
import re
from xml.sax.saxutils import escape

SIZE = 400

#: Colour words in product names, first match wins (so "navy" beats "blue" in "navy blue").
COLOURS = (
    ("navy", "#1f2f5a"),
    ("olive", "#6b7a3a"),
    ("denim", "#3b5b85"),
    ("blue", "#2f6fb3"),
    ("yellow", "#e0b020"),
    ("red", "#c0392b"),
    ("green", "#3f8a4f"),
    ("black", "#23252b"),
    ("white", "#f4f1ea"),
    ("grey", "#8a8f98"),
    ("gray", "#8a8f98"),
    ("pink", "#e58fb0"),
    ("orange", "#e07b2a"),
    ("purple", "#7d4fa8"),
    ("brown", "#7a5230"),
    ("leather", "#5a3a22"),
)

#: Outlines in a 400 x 400 box, by the first word of the name that matches.
SHAPES = (
    (
        ("bag", "tote", "purse"),
        '<path d="M130 170h140l18 150H112z"/>'
        '<path d="M160 172v-22a40 40 0 0 1 80 0v22" fill="none" stroke="{fill}" stroke-width="14"/>',
    ),
    (
        ("shoe", "shoes", "tops", "sneaker", "sneakers", "boot", "boots"),
        '<path d="M90 250c0-30 10-70 20-90h60c10 40 40 60 90 70 30 6 50 20 50 40v20H90z"/>'
        '<rect x="90" y="282" width="220" height="16" rx="6" fill="{edge}"/>',
    ),
    (
        ("jacket", "tuxedo", "jumper", "coat", "sweater", "hoodie"),
        '<path d="M160 95h80l70 35 30 180h-45l-15-120v150H120V190l-15 120H60l30-180z"/>'
        '<path d="M200 100v240" stroke="{edge}" stroke-width="4"/>',
    ),
    (("skirt", "dress"), '<path d="M165 95h70l-5 55 70 190H100l70-190z"/>'),
)
#: Shirts, tops, tees, blouses and anything else.
TOP = '<path d="M160 95h80l75 45-30 50-30-18v168H135V172l-30 18-30-50z"/>'


def _colour(title: str) -> str:
    words = title.lower()
    for word, colour in COLOURS:
        if re.search(rf"\b{word}\b", words):
            return colour
    # No colour in the name: one of its own, the same on every run.
    hue = int.from_bytes(hashlib.sha256(title.encode()).digest()[:2], "big") / 65535
    r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.45)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _mix(colour: str, towards: float) -> str:
    """``colour`` moved ``towards`` of the way to white (0 < towards < 1)."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * towards):02x}" for c in rgb)


def _light(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b > 186


def _shape(title: str) -> str:
    words = set(re.findall(r"[a-z]+", title.lower()))
    for names, shape in SHAPES:
        if words & set(names):
            return shape
    return TOP


def product_svg(title: str) -> str:
    """A square SVG picture of the product called ``title``."""
    fill = _colour(title)
    background = "#e9e6df" if _light(fill) else _mix(fill, 0.85)
    edge = "#b9b4a8" if _light(fill) else _mix(fill, 0.35)
    shape = _shape(title).format(fill=fill, edge=edge)
    name = escape(title if len(title) <= 32 else title[:31] + "\u2026")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{background}"/>'
        f'<g fill="{fill}" stroke="{edge}" stroke-width="3" stroke-linejoin="round">{shape}</g>'
        f'<text x="200" y="375" text-anchor="middle" font-family="system-ui, sans-serif" font-size="20" '
        f'fill="#1f2328" fill-opacity=".75">{name}</text>'
        "</svg>"
    )
