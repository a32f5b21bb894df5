"""`/following.opml`: the feeds of everything a person follows, as OPML 2.0 for feed readers.

An author's follow is the author's feed, a category's is New on arXiv in that category (what the
Following page shows of it), a search's is the search's feed. Readers import the file once; on a
private instance (`DAILYPAPERS_PRIVATE`) the file fetched with `?token=` carries that token in
every feed address, since a feed reader cannot sign in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.http import http_date
from lxml import etree

from dailypapers.notifications import follows
from dailypapers.notifications.models import Follow
from dailypapers.papers.text import one_line

GROUPS = {Follow.AUTHOR: "Authors", Follow.CATEGORY: "Categories", Follow.QUERY: "Searches"}


def _addresses(follow: Follow) -> tuple[str, str, str]:
    """(title, feed address, page address) of a follow, the addresses relative to the site."""
    value = follow.value
    if follow.kind == Follow.AUTHOR:
        title = f"Papers by {follows.label(follow.kind, value)}"
        page = reverse("people:author", args=[value])
        return title, reverse("people:author-rss", args=[value]), page
    if follow.kind == Follow.CATEGORY:
        page = f"{reverse('papers:arxiv')}?{urlencode({'category': value})}"
        return f"New on arXiv: {value}", reverse("papers:feed-arxiv", args=[value]), page
    query = urlencode({"q": value})
    title = f"Daily Papers: search for {value}"
    return title, f"{reverse('papers:feed-search')}?{query}", f"{reverse('search:search')}?{query}"


def following(user: User, base: str, token: str = "") -> bytes:
    """The OPML document of the user's follows, grouped by kind, with addresses under `base`
    (`https://papers.example.org`); `token` is added to every feed address when given."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"Followed on Daily Papers by {user.get_username()}"
    etree.SubElement(head, "dateCreated").text = http_date()
    etree.SubElement(head, "ownerName").text = user.get_username()
    body = etree.SubElement(root, "body")
    groups: dict[str, etree._Element] = {}
    for follow in Follow.objects.filter(user=user).order_by("kind", "value"):
        title, feed, page = _addresses(follow)
        if token:
            feed += ("&" if "?" in feed else "?") + urlencode({"token": token})
        if follow.kind not in groups:
            name = GROUPS.get(follow.kind, follow.kind)
            groups[follow.kind] = etree.SubElement(body, "outline", text=name, title=name)
        etree.SubElement(
            groups[follow.kind],
            "outline",
            type="rss",
            text=one_line(title),
            title=one_line(title),
            xmlUrl=base + feed,
            htmlUrl=base + page,
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
