"""What the pages carry besides their content: metadata for browsers, link previews, Google
Scholar and crawlers; compression and caching; avatars; helpful empty and error states.
(How they look is checked through a real browser in test_browser.py.)"""

import datetime as dt
import gzip
import re

import pytest
from django.contrib.auth.models import User
from lxml import etree, html

from dailypapers.community.models import Comment, Profile
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper, PaperCategory
from dailypapers.web.jinja2env import avatar

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 25)


def feed_paper(arxiv_id: str, day: dt.date = DAY, authors: int = 3, **fields) -> Paper:
    paper = Paper.objects.create(
        arxiv_id=arxiv_id,
        title=fields.pop("title", f"A paper called {arxiv_id}"),
        abstract=fields.pop("abstract", "We study things & report <findings>. " * 10),
        authors=[f"Author {k}" for k in range(authors)],
        categories=["cs.CL"],
        primary_category="cs.CL",
        published_at=dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC),
        listed_on=day,
        **fields,
    )
    PaperCategory.objects.create(paper=paper, category="cs.CL")
    DailyEntry.objects.create(
        paper=paper, day=day, submitted_at=dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    )
    return paper


def meta(page: bytes) -> dict[str, list[str]]:
    """Every <meta name|property> of a page, by name, in order."""
    found: dict[str, list[str]] = {}
    for tag in html.fromstring(page).iter("meta"):
        key = tag.get("name") or tag.get("property")
        if key:
            found.setdefault(key, []).append(tag.get("content"))
    return found


def test_every_page_describes_itself_to_browsers_and_link_previews(client, settings):
    feed_paper("2605.00001")
    for url in ("/", "/papers/week/2026-W22", "/arxiv", "/search?q=paper", "/accounts/login"):
        response = client.get(url)
        assert response.status_code == 200, url
        tags = meta(response.content)
        doc = html.fromstring(response.content)
        assert tags["description"][0].strip(), url
        assert tags["og:title"] and tags["og:description"] and tags["og:url"], url
        assert tags["og:image"][0].startswith("http") and tags["twitter:card"], url
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        assert len(canonical) == 1 and canonical[0].startswith("http"), url
        icons = {link.get("type") for link in doc.xpath("//link[@rel='icon']")}
        assert icons == {"image/svg+xml", "image/png"}, url
        assert doc.xpath("//title")[0].text.endswith("Daily Papers")
    home = meta(client.get("/").content)
    assert "A paper called 2605.00001" in home["description"][0]  # the day's first paper
    # The canonical address drops what does not change the page (htmx's and trackers' extras).
    page = client.get("/search?utm_source=chat&q=paper&category=")
    assert html.fromstring(page.content).xpath("//link[@rel='canonical']/@href")[0] == (
        f"{settings.SITE_URL}/search?q=paper"
    )
    # The icons the pages name exist.
    for path in ("/static/dailypapers/favicon.svg", "/static/dailypapers/favicon.png"):
        icon = client.get(path)
        assert icon.status_code == 200 and icon["Content-Type"].startswith("image/")
        icon.close()


def test_a_paper_page_tells_google_scholar_and_zotero_what_it_is(client):
    paper = feed_paper("2605.00002", authors=40, doi="10.1000/xyz")
    tags = meta(client.get(paper.get_absolute_url()).content)
    assert tags["citation_title"] == ["A paper called 2605.00002"]
    assert tags["citation_author"] == [f"Author {k}" for k in range(40)]  # every author, in order
    assert tags["citation_publication_date"] == ["2026/05/25"]
    assert tags["citation_arxiv_id"] == ["2605.00002"]
    assert tags["citation_pdf_url"] == ["https://arxiv.org/pdf/2605.00002"]
    assert tags["citation_doi"] == ["10.1000/xyz"]
    assert tags["og:type"] == ["article"] and tags["twitter:card"] == ["summary_large_image"]
    assert tags["og:title"] == ["A paper called 2605.00002"]
    assert tags["description"][0].startswith("We study things & report <findings>.")
    assert tags["og:image"][0].endswith(".png") or ".png?" in tags["og:image"][0]
    assert len(tags["article:author"]) == 20


def test_long_author_lists_are_shortened_with_a_way_to_see_them_all(client):
    paper = feed_paper("2605.00003", authors=546)
    page = html.fromstring(client.get(paper.get_absolute_url()).content)
    [byline] = page.xpath("//article//div[contains(@class, 'authors')]")
    [details] = byline.xpath(".//details")
    shown = byline.text_content().split(details.text_content())[0]
    assert "Author 11" in shown and "Author 12," not in shown
    assert details.find("summary").text_content() == "and 534 more"
    assert "Author 545" in details.text_content()  # all of them, one click away
    # Each name links to its author page; the toggle holds no link.
    assert len(byline.xpath(".//a[@class='author']")) == 546
    assert not details.find("summary").xpath(".//a")
    card = html.fromstring(client.get("/").content).xpath("//li[contains(@class,'card')]")[0]
    assert "Author 0, Author 1, Author 2 and 543 more" in card.text_content()


def test_pages_and_style_sheets_are_compressed_and_cached(client):
    for k in range(20):
        feed_paper(f"2605.{k + 10:05d}")
    raw = client.get("/")
    packed = client.get("/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content)
    assert body.startswith(b"<!doctype html>")
    assert len(packed.content) * 4 < len(raw.content)  # feed pages shrink about sevenfold
    # The style sheet is linked with its content's hash, kept a day and compressed too.
    href = html.fromstring(raw.content).xpath("//link[@rel='stylesheet']/@href")[0]
    assert re.fullmatch(r"/static/dailypapers/style\.css\?v=[0-9a-f]{8}", href)
    css = client.get(href, HTTP_ACCEPT_ENCODING="gzip")
    assert css.status_code == 200 and css["Content-Encoding"] == "gzip"
    assert "max-age=86400" in css["Cache-Control"]
    assert b"--serif" in gzip.decompress(b"".join(css.streaming_content))
    css.close()


def test_signed_out_pages_may_be_shared_by_caches_signed_in_ones_never(client, settings):
    settings.PAGE_CACHE_SECONDS = 30
    feed_paper("2605.00004")
    public = client.get("/")
    assert "public" in public["Cache-Control"] and "max-age=30" in public["Cache-Control"]
    assert "Cookie" in public["Vary"]
    user = User.objects.create_user("ada", "ada@example.org", "x" * 12)
    client.force_login(user)
    private = client.get("/")
    assert "private" in private["Cache-Control"] and "no-cache" in private["Cache-Control"]
    assert "public" not in private["Cache-Control"]


def test_robots_and_a_sitemap_of_every_paper_page(client, settings):
    papers = [feed_paper(f"2605.{k:05d}") for k in range(30, 33)]
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /accounts/" in robots and "Disallow: /admin/" in robots
    index_url = re.search(r"^Sitemap: (\S+)$", robots, re.M).group(1)
    assert index_url == f"{settings.SITE_URL}/sitemap.xml"  # the public address, not a node's
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.fromstring(client.get("/sitemap.xml").content)
    sections = index.xpath("//s:sitemap/s:loc/text()", namespaces=ns)
    assert any("papers" in loc for loc in sections) and any("listings" in loc for loc in sections)
    section = next(loc for loc in sections if "papers" in loc).replace("http://testserver", "")
    urls = etree.fromstring(client.get(section).content).xpath("//s:loc/text()", namespaces=ns)
    assert {f"http://testserver{p.get_absolute_url()}" for p in papers} <= set(urls)


def test_not_found_pages_help_instead_of_naming_django_internals(client):
    for url in ("/no/such/page", "/papers/2605.99999", "/users/nobody"):
        response = client.get(url)
        assert response.status_code == 404
        text = response.content.decode()
        assert "Resolver404" not in text and "matches the given query" not in text, url
        page = html.fromstring(response.content)
        assert page.xpath("//main//form[@action='/search']//input[@name='q']"), url
        assert page.xpath("//main//a[@href='/']"), url
    # Our own reason is kept where there is one.
    assert "not an arXiv id" in client.get("/papers/not-an-id").content.decode()


def test_an_empty_day_names_the_nearest_days_with_papers(client):
    feed_paper("2605.00005", day=DAY)
    feed_paper("2605.00006", day=DAY + dt.timedelta(days=3))
    page = html.fromstring(client.get("/papers/date/2026-05-26").content)
    state = page.xpath("//div[@class='empty-state']")[0]
    assert "No papers on this day" in state.text_content()
    links = {a.text_content().strip(): a.get("href") for a in state.iter("a")}
    assert links["← May 25, 2026"] == "/papers/date/2026-05-25"
    assert links["May 28, 2026 →"] == "/papers/date/2026-05-28"


def test_the_date_picker_jumps_to_any_day(client):
    assert client.get("/papers/date", {"day": "2026-05-25"}).url == "/papers/date/2026-05-25"
    hx = client.get("/papers/date", {"day": "2026-05-25"}, HTTP_HX_REQUEST="true")
    assert hx.status_code == 204 and hx["HX-Redirect"] == "/papers/date/2026-05-25"
    for bad in ("", "2026-02-30", "9999-99-99", "yesterday"):
        response = client.get("/papers/date", {"day": bad})
        assert response.status_code == 400, bad
        assert "YYYY-MM-DD" in response.content.decode() or "date" in response.content.decode()


def test_people_have_identicons_on_cards_comments_and_profiles(client):
    ada = User.objects.create_user("ada", "ada@example.org", "x" * 12)
    Profile.objects.create(user=ada)
    paper = feed_paper("2605.00007")
    DailyEntry.objects.filter(paper=paper).update(submitted_by=ada)
    Comment.objects.create(paper=paper, author=ada, body="> quoted", body_html="<blockquote>q")
    mine = str(avatar("ada"))
    assert mine == str(avatar("ada")) and mine != str(avatar("grace"))  # stable, personal
    assert mine.startswith("<svg") and 'aria-hidden="true"' in mine  # the name is written beside
    card = client.get("/").content.decode()
    assert mine in card and "Submitted by </span>ada" in card
    assert mine in client.get(paper.get_absolute_url()).content.decode()  # the comment
    profile = client.get("/users/ada").content.decode()
    assert str(avatar("ada", "large")) in profile and "1 submission" in profile


def test_form_help_is_readable_and_tied_to_its_field(client):
    page = html.fromstring(client.get("/accounts/signup").content)
    for field in page.xpath("//input[@aria-describedby]"):
        helps = page.xpath(f"//*[@id='{field.get('aria-describedby')}']")
        assert len(helps) == 1, field.get("name")
    rules = page.xpath("//*[@id='id_password1_helptext']//li")
    assert len(rules) >= 3  # one line per password rule, not one run-on sentence


def test_the_api_documentation_fits_phones_and_dark_mode(client):
    docs = client.get("/api/docs").content.decode()
    assert 'name="viewport"' in docs and "api-docs.css" in docs
    response = client.get("/static/dailypapers/api-docs.css")
    assert b"prefers-color-scheme: dark" in b"".join(response.streaming_content)
    response.close()


def test_an_empty_search_says_so_and_offers_to_drop_its_filters(client):
    feed_paper("2605.00008", title="Vision transformers for cells")
    plain = html.fromstring(client.get("/search", {"q": "qwxzjkvbbt"}).content)
    state = plain.xpath("//div[@class='empty-state']")[0].text_content()
    assert "No paper matches “qwxzjkvbbt”" in state and "papers" not in state.split("”")[-1]
    assert not plain.xpath("//li[contains(@class,'card')]")
    filtered = html.fromstring(
        client.get("/search", {"q": "vision", "category": "math.AG"}).content
    )
    state = filtered.xpath("//div[@class='empty-state']")[0]
    assert "remove a filter" in state.text_content()
    assert [a.get("href") for a in state.iter("a")] == ["?q=vision"]
    found = html.fromstring(client.get("/search", {"q": "vision"}).content)
    assert len(found.xpath("//li[contains(@class,'card')]")) == 1
