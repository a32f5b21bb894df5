"""A thumbnail for every paper, where Hugging Face shows one: drawn here, as SVG, from the paper.

No figure of the paper is stored (nothing is fetched from arXiv but metadata), so the thumbnail
is a title card: the title on a background whose hue follows the primary category (papers of a
field look alike), with the id and the category. It is small (about 1 KB), cached by browsers
for a day, and validated by the paper's last change.
"""

from __future__ import annotations

import hashlib
import textwrap
from xml.sax.saxutils import escape

from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line

WIDTH, HEIGHT = 640, 360
LINE_CHARS = 30
MAX_LINES = 4


def _hue(category: str) -> int:
    return int(hashlib.blake2b(category.encode(), digest_size=2).hexdigest(), 16) % 360


def svg(paper: Paper) -> str:
    """The paper's title card as an SVG document."""
    hue = _hue(paper.primary_category or "paper")
    title = one_line(paper.title)  # a control character would make the SVG malformed
    lines = textwrap.wrap(title, LINE_CHARS, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "…"
    top = 70 + (MAX_LINES - len(lines)) * 24
    title = "".join(
        f'<tspan x="40" y="{top + i * 50}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    footer = " · ".join(part for part in (paper.key, paper.primary_category) if part)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},45%,30%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 40) % 360},50%,18%)"/></linearGradient></defs>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>'
        f'<text font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="38" '
        f'font-weight="700" fill="#ffffff">{title}</text>'
        f'<text x="40" y="{HEIGHT - 32}" font-family="ui-monospace,monospace" font-size="22" '
        f'fill="#ffffffcc">{escape(footer)}</text></svg>'
    )
