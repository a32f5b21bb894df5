"""A thumbnail for every paper, where Hugging Face shows one: drawn here, as SVG.

No page of the paper is rendered yet (no PDF is fetched), so the thumbnail is an honest
placeholder rather than a copy of the title (which the card shows right below it, and which no
box of this size holds without clipping): the primary category's colour, a pattern of its own
drawn from the paper's id, the category in large letters and the arXiv id. Legible at card size,
about 1.5 KB, cached by browsers for a day and validated by the paper's last change.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from dailypapers.papers.categories import category_hue
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line

WIDTH, HEIGHT = 640, 240  # 8:3, the cards' picture box: nothing is cropped away


def _pattern(seed: bytes, hue: int) -> str:
    """Overlapping rings whose places and sizes come from the paper's id: every paper its own."""
    shapes = []
    for i in range(6):
        x = 360 + seed[i] * 280 // 255
        y = seed[i + 6] * HEIGHT // 255
        r = 40 + seed[i + 12] * 150 // 255
        light = 60 + (seed[i + 18] % 25)
        shapes.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="hsl({hue} 60% {light}%)" '
            f'stroke-opacity=".35" stroke-width="{6 + seed[i + 24] % 18}"/>'
        )
    return "".join(shapes)


def svg(paper: Paper) -> str:
    """The paper's placeholder picture as an SVG document."""
    category = one_line(paper.primary_category) or "paper"
    hue = category_hue(category)
    seed = hashlib.blake2b(paper.key.encode(), digest_size=32).digest()
    label = one_line(paper.arxiv_id or "")  # a control character would make the SVG malformed
    size = 84 if len(category) <= 6 else 64 if len(category) <= 9 else 48
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(category)}">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue} 45% 32%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 35) % 360} 50% 20%)"/></linearGradient></defs>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>{_pattern(seed, hue)}'
        f'<text x="44" y="{HEIGHT // 2 + size // 4}" font-family="Georgia,serif" '
        f'font-size="{size}" font-weight="700" fill="#ffffff">{escape(category)}</text>'
        f'<text x="46" y="{HEIGHT - 30}" font-family="ui-monospace,Menlo,monospace" '
        f'font-size="26" fill="#ffffffd9">{escape(label)}</text></svg>'
    )
