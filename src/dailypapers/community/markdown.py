"""Comments: Markdown rendered by markdown-it-py, then sanitized by nh3 against an allowlist.

Raw HTML in the Markdown is not rendered (markdown-it's `html` option is off), and whatever comes
out is cleaned again: only the tags below survive, links only keep http(s) and mailto URLs and get
rel="nofollow noopener ugc", images are not allowed at all (no tracking pixels, no data: URLs).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.disable(["image"])

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Safe HTML for a comment's Markdown."""
    return nh3.clean(
        _markdown.render(text),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener ugc",
        strip_comments=True,
    )
