"""JSON Feed 1.1 beside every RSS and Atom feed, and the OPML of everything a person follows
(issue 31, item 6)."""

import datetime as dt
import json
import re

import pytest
from lxml import etree

from dailypapers.authors.models import Author
from dailypapers.notifications.models import Follow
from dailypapers.papers.models import Paper
from tests.web.conftest import signed_in
from tests.web.routes import web_routes

pytestmark = pytest.mark.django_db
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def check_json_feed(document: dict) -> None:
    """The spec's required fields and types (https://jsonfeed.org/version/1.1)."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert document[key].startswith("http://testserver/")
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_text", item.get("content_html")), str)
        assert item["url"].startswith("http://testserver/papers/")
        for key in ("date_published", "date_modified"):
            if key in item:
                assert re.match(RFC3339, item[key]), item[key]
        for author in item.get("authors", []):
            assert set(author) <= {"name", "url", "avatar"} and author["name"]
        assert all(isinstance(tag, str) for tag in item.get("tags", []))


def test_every_rss_feed_has_a_json_feed_beside_it():
    routes = {route.route for route in web_routes()}
    feeds = [route for route in routes if route.endswith(".rss")]
    assert len(feeds) >= 7
    for route in feeds:
        assert route.removesuffix(".rss") + ".json" in routes, route
        assert route.removesuffix(".rss") + ".atom" in routes, route


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/daily.json",
        "/feeds/category/cs.LG.json",
        "/feeds/arxiv/cs.LG.json",
        "/feeds/search.json?q=paper",
        "/authors/ada-lovelace.json",
    ],
)
def test_each_json_feed_follows_the_spec(site, client, url):
    Paper.objects.filter(pk=site["paper"].pk).update(listed_on=dt.date(2026, 5, 25))
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    document = json.loads(response.content)
    check_json_feed(document)
    item = document["items"][0]
    assert item["title"] == "A paper" and item["content_text"] == "Abstract."
    assert item["id"] == "dailypapers:2605.00001"
    assert item["authors"] == [{"name": "Ada Lovelace"}]


def test_a_collection_has_a_json_feed_and_a_private_one_is_its_owners(site, client):
    shelf = site["collection"]
    document = client.get(f"/collections/{shelf.pk}.json").json()
    check_json_feed(document)
    assert [item["title"] for item in document["items"]] == ["A paper"]
    shelf.public = False
    shelf.save()
    assert client.get(f"/collections/{shelf.pk}.json").status_code == 404
    owner = signed_in(site["ada"]).get(f"/collections/{shelf.pk}.json")
    assert owner.status_code == 200 and "no-store" in owner["Cache-Control"]


def test_the_trending_json_feed_follows_the_spec(site, client):
    check_json_feed(client.get("/feeds/trending.json").json())


def test_abstracts_are_plain_text_in_json(site, client):
    Paper.objects.filter(pk=site["paper"].pk).update(
        abstract="We show <img src=x onerror=alert(1)> & more.\x01"
    )
    item = client.get("/feeds/daily.json").json()["items"][0]
    assert item["content_text"] == "We show <img src=x onerror=alert(1)> & more."
    assert "content_html" not in item


def test_pages_link_their_json_feeds(site, client):
    home = client.get("/").content.decode()
    assert 'type="application/feed+json"' in home and "/feeds/daily.json" in home
    author = client.get("/authors/ada-lovelace").content.decode()
    assert 'href="/authors/ada-lovelace.json"' in author
    shelf = site["collection"]
    page = client.get(shelf.get_absolute_url()).content.decode()
    assert f'href="/collections/{shelf.pk}.json"' in page


def test_the_opml_lists_the_feeds_of_every_follow(site, client):
    ada = site["ada"]
    key = Author.objects.get(name="Ada Lovelace").key
    Follow.objects.create(user=ada, kind=Follow.AUTHOR, value=key)
    Follow.objects.create(user=ada, kind=Follow.CATEGORY, value="cs.LG")
    Follow.objects.create(user=ada, kind=Follow.QUERY, value='"graph <nets>" & more\x01')
    response = signed_in(ada).get("/following.opml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-opml")
    root = etree.fromstring(response.content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Followed on Daily Papers by ada"
    groups = {group.get("text"): group for group in root.findall("body/outline")}
    assert set(groups) == {"Authors", "Categories", "Searches"}
    feeds = [o for o in root.iter("outline") if o.get("type") == "rss"]
    assert [f.get("xmlUrl") for f in feeds] == [
        f"http://testserver/authors/{key}.rss",
        "http://testserver/feeds/arxiv/cs.LG.rss",
        "http://testserver/feeds/search.rss?q=%22graph+%3Cnets%3E%22+%26+more%01",
    ]
    assert feeds[0].get("text") == "Papers by Ada Lovelace"
    assert feeds[0].get("htmlUrl") == f"http://testserver/authors/{key}"
    # Each address answers with a feed.
    for feed in feeds:
        assert client.get(feed.get("xmlUrl").removeprefix("http://testserver")).status_code == 200
    following = signed_in(ada).get("/following").content.decode()
    assert 'href="/following.opml"' in following


def test_the_opml_is_for_the_signed_in_only(site, client):
    response = client.get("/following.opml")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    empty = etree.fromstring(signed_in(site["ada"]).get("/following.opml").content)
    assert empty.findall("body/outline") == []
