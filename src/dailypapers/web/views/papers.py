"""Pages of the feed. Each view parses its input, calls `listings`, and renders one template."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from dailypapers.authors import claims
from dailypapers.community.models import Comment, Reaction
from dailypapers.community.services import reactions_of, voted_papers
from dailypapers.content.models import PaperContent
from dailypapers.content.paper_md import paper_markdown
from dailypapers.core.requests import HtmxRequest
from dailypapers.feed import curation, listings
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import hub
from dailypapers.papers import cite, thumbnails
from dailypapers.papers.lookup import find_paper
from dailypapers.papers.models import Paper
from dailypapers.search import services as search_service
from dailypapers.web.middleware import error_response
from dailypapers.web.pagecache import cached_for_visitors
from dailypapers.web.params import bounded_int, id_param

# A paper page shows its feed entry and who submitted it: fetched with the paper.
_FEED_PAPERS = Paper.objects.select_related("entry", "entry__submitted_by")


def _error(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return error_response(request, message, status)


def _page_number(text: str | None) -> int:
    if not text:
        return 1
    page = bounded_int(text, 0, 999_999)
    if page is None:
        raise listings.FeedError(f"{text[:20]!r} is not a page number")
    return page


def _form_context(request: HttpRequest, category: str, categories: list) -> dict:
    """What the sort and filter form and the pager need (papers/_controls.html)."""
    query = {k: v for k, v in (("sort", request.GET.get("sort")), ("category", category)) if v}
    return {
        "query_base": urlencode(query) + "&" if query else "",
        "category_listed": any(code == category for code, _ in categories),
    }


def _render_listing(request: HttpRequest, period: listings.Period, nav: dict) -> HttpResponse:
    try:
        sort = listings.parse_sort(request.GET.get("sort"), period.default_sort)
        category = listings.parse_category(request.GET.get("category"))
        page = _page_number(request.GET.get("page"))
    except listings.FeedError as exc:
        return _error(request, str(exc))
    try:
        data = listings.listing(period, sort=sort, category=category, page=page)
    except listings.FeedError as exc:
        return _error(request, str(exc), status=404)
    voted = voted_papers(request.user, [e.paper_id for e in data.entries])
    context = {
        "listing": data,
        "period": period,
        "sorts": listings.SORTS,
        **_form_context(request, category, data.categories),
        "voted": voted,
        "empty_feed": not data.total and not DailyEntry.objects.exists(),
        "today": listings.today(),
        **nav,
    }
    return render(request, "papers/feed.html", context)


@cached_for_visitors
def daily(request: HttpRequest, day: str | None = None) -> HttpResponse:
    today = listings.today()
    if day is None:
        current = listings.latest_day(today) or today
    else:
        try:
            current = listings.parse_day(day)
        except listings.FeedError as exc:
            return _error(request, str(exc))
        if current > today:
            return redirect("papers:home")
    before, after = listings.adjacent_days(current)
    nav = {
        "title": listings.format_day(current, "long"),
        "prev_url": reverse("papers:day", args=[before.isoformat()]) if before else "",
        "next_url": reverse("papers:day", args=[after.isoformat()]) if after else "",
        "prev_day": before,
        "next_day": after,
    }
    return _render_listing(request, listings.Period("day", current, current), nav)


def jump(request: HtmxRequest) -> HttpResponse:
    """The date picker: `?day=YYYY-MM-DD` to that day's page (with htmx, a full navigation)."""
    try:
        day = listings.parse_day(request.GET.get("day", ""))
    except listings.FeedError as exc:
        return _error(request, str(exc))
    target = reverse("papers:day", args=[day.isoformat()])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def latest_period(request: HttpRequest, kind: str) -> HttpResponse:
    """The week or month of the latest day with papers."""
    day = listings.latest_day(listings.today()) or listings.today()
    period = listings.week_period(day) if kind == "week" else listings.month_period(day)
    return redirect(f"papers:{kind}", period.slug)


def _range_nav(period: listings.Period, name: str, title: str) -> dict:
    following = period.shifted(1)
    return {
        "title": title,
        "prev_url": reverse(f"papers:{name}", args=[period.shifted(-1).slug]),
        "next_url": reverse(f"papers:{name}", args=[following.slug])
        if following.start <= listings.today()
        else "",
    }


@cached_for_visitors
def weekly(request: HttpRequest, week: str) -> HttpResponse:
    try:
        period = listings.parse_week(week)
    except listings.FeedError as exc:
        return _error(request, str(exc))
    s, e = period.start, period.end
    title = f"Week {period.slug[-2:]}: {s:%b} {s.day} – {e:%b} {e.day}, {e.year}"
    return _render_listing(request, period, _range_nav(period, "week", title))


@cached_for_visitors
def monthly(request: HttpRequest, month: str) -> HttpResponse:
    try:
        period = listings.parse_month(month)
    except listings.FeedError as exc:
        return _error(request, str(exc))
    return _render_listing(request, period, _range_nav(period, "month", f"{period.start:%B %Y}"))


@cached_for_visitors
def trending(request: HttpRequest) -> HttpResponse:
    period = listings.trending_period()
    s, e = period.start, period.end
    title = f"Trending: {s:%b} {s.day} – {e:%b} {e.day}, {e.year}"
    return _render_listing(request, period, {"title": title, "prev_url": "", "next_url": ""})


@cached_for_visitors
def arxiv(request: HttpRequest, day: str | None = None) -> HttpResponse:
    """New on arXiv: the catalogue's papers of one announcement day, to scan, upvote, submit."""
    today = listings.today()
    try:
        if day is None:
            current = listings.latest_listed_day(today) or today
        else:
            current = listings.parse_day(day)
            if current > today:
                return redirect("papers:arxiv")
        sort = listings.parse_sort(request.GET.get("sort"), "newest", listings.ARXIV_SORTS)
        category = listings.parse_category(request.GET.get("category"))
        page = _page_number(request.GET.get("page"))
    except listings.FeedError as exc:
        return _error(request, str(exc))
    try:
        data = listings.arxiv_listing(current, sort=sort, category=category, page=page)
    except listings.FeedError as exc:
        return _error(request, str(exc), status=404)
    before, after = listings.adjacent_listed_days(current)
    context = {
        "listing": data,
        "title": f"New on arXiv: {listings.format_day(current, 'long')}",
        "day": current,
        "sorts": listings.ARXIV_SORTS,
        "prev_url": reverse("papers:arxiv-day", args=[before.isoformat()]) if before else "",
        "next_url": reverse("papers:arxiv-day", args=[after.isoformat()]) if after else "",
        **_form_context(request, category, data.categories),
        "voted": voted_papers(request.user, [p.pk for p in data.papers]),
        "submittable": {
            p.pk for p in data.papers if curation.within(p, settings.SUBMIT_WINDOW_DAYS, today)
        },
        "first_rank": (data.page - 1) * listings.ARXIV_PAGE_SIZE + 1,
        "submit_window": settings.SUBMIT_WINDOW_DAYS,
        "today": today,
    }
    return render(request, "papers/arxiv.html", context)


def paper_md(request: HttpRequest, key: str) -> HttpResponse:
    try:
        paper = find_paper(key, _FEED_PAPERS)
    except Http404:
        paper = None
    if paper is None:
        return HttpResponse(
            "Paper not found\n", status=404, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(paper_markdown(paper), content_type="text/markdown; charset=utf-8")


def wants_markdown(request: HttpRequest) -> bool:
    """Whether the client asked for Markdown rather than a web page (`Accept: text/markdown`,
    as agents and `curl -H` do; a browser always lists text/html)."""
    accept = request.headers.get("Accept", "").lower()
    return "text/markdown" in accept and "text/html" not in accept


def paper(request: HttpRequest, key: str) -> HttpResponse:
    """The paper page; its text as Markdown for a client that asks for it (`.md`, HF's
    `read_paper`)."""
    response = paper_md(request, key) if wants_markdown(request) else _paper_page(request, key)
    patch_vary_headers(response, ["Accept"])
    return response


@cached_for_visitors  # signed out, the page holds no form token: the same for everyone
def _paper_page(request: HttpRequest, key: str) -> HttpResponse:
    found = find_paper(key, _FEED_PAPERS)
    if found.key != key:
        return redirect(found.get_absolute_url())
    entry = getattr(found, "entry", None)
    submitter = ""
    if entry:
        submitter = (
            entry.submitted_by.get_username() if entry.submitted_by else entry.submitter_name
        )
    comments = list(
        Comment.objects.filter(paper=found).select_related("author").order_by("created_at", "id")
    )
    threads = [c for c in comments if c.parent_id is None]
    by_parent: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id:
            by_parent.setdefault(c.parent_id, []).append(c)
    for c in threads:
        c.thread_replies = by_parent.get(c.pk, [])  # type: ignore[attr-defined]  # for the template
    reply_to = request.GET.get("reply", "")
    content = PaperContent.objects.filter(paper=found).defer("text").first()
    context = {
        "paper": found,
        "entry": entry,
        "voted": found.pk in voted_papers(request.user, [found.pk]),
        "threads": threads,
        "reactions": reactions_of([c.pk for c in comments], request.user),
        "choices": Reaction.EMOJI,
        "visible_count": sum(1 for c in comments if not c.hidden),
        "can_moderate": request.user.has_perm("community.moderate_comment"),
        "reply_to": id_param(reply_to),
        "submitter": submitter,
        "versions": list(found.versions.all()),
        "content": content,
        "summary_method_note": "Written by a language model from the abstract, on this site's "
        "server"
        if content and content.summary_method.startswith("llm:")
        else "The abstract's most central sentence, picked by this site",
        "related": search_service.related(found),
        "hub_links": hub.page_block(found) if entry else None,
        "submittable": not entry
        and found.arxiv_id
        and (
            curation.within(found, settings.SUBMIT_WINDOW_DAYS)
            or request.user.has_perm("feed.feature_paper")
        ),
        "submit_window": settings.SUBMIT_WINDOW_DAYS,
        "promote_votes": settings.PROMOTE_VOTES,
        "bibtex": cite.bibtex(found),
        "claimed": claims.accepted_by_position(found),
        "my_claim": claims.Claim.objects.filter(user=request.user, paper=found).first()
        if request.user.is_authenticated
        else None,
        "authors_shown": 12,
        "week_slug": listings.week_period(entry.day).slug if entry else "",
        "category_base": reverse("papers:day", args=[entry.day.isoformat()])
        if entry
        else reverse("papers:arxiv-day", args=[found.listed_on.isoformat()])
        if found.listed_on
        else reverse("papers:home"),
    }
    return render(request, "papers/paper.html", context)


SIMILAR_PAGE = 20


def similar(request: HttpRequest, key: str) -> HttpResponse:
    """`/papers/<id>/similar`: the catalogue ranked by closeness to the paper, with filters."""
    found = find_paper(key, _FEED_PAPERS)
    try:
        page = _page_number(request.GET.get("page"))
    except listings.FeedError as exc:
        return _error(request, str(exc))
    since = request.GET.get("since", "")
    since = since if since in SIMILAR_SINCE else ""
    category = request.GET.get("category", "").strip()[:32]
    category = category if category and listings.CATEGORY.fullmatch(category) else ""
    filters = " ".join(
        f
        for f in (f"since:{since}" if since else "", f"category:{category}" if category else "")
        if f
    )
    offset = (page - 1) * SIMILAR_PAGE
    if offset >= search_service.SIMILAR_MAX:
        raise Http404("Similar papers go as far as the 200 closest.")
    papers, more = search_service.similar(found, limit=SIMILAR_PAGE, offset=offset, filters=filters)
    query = urlencode({k: v for k, v in (("since", since), ("category", category)) if v})
    context = {
        "paper": found,
        "papers": papers,
        "page": page,
        "more": more,
        "first_rank": offset + 1,
        "since": since,
        "category": category,
        "sinces": SIMILAR_SINCE,
        "query": query + "&" if query else "",
        "voted": voted_papers(request.user, [p.pk for p in papers]),
    }
    return render(request, "papers/similar.html", context)


SIMILAR_SINCE = {"": "Any time", "30d": "Last 30 days", "1y": "Last year", "3y": "Last 3 years"}


CITE_FORMATS = {
    "bib": ("application/x-bibtex; charset=utf-8", cite.bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", cite.ris),
}


def cite_file(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """`/papers/<id>.bib` and `.ris`: the paper as a reference manager imports it."""
    found = find_paper(key, _FEED_PAPERS)
    content_type, render_one = CITE_FORMATS[fmt]
    response = HttpResponse(render_one(found), content_type=content_type)
    name = found.key.replace("/", "_")
    response["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    return response


def thumbnail(request: HttpRequest, key: str) -> HttpResponse:
    """The paper's title card (papers/thumbnails.py), cached for a day, validated by its ETag."""
    found = find_paper(key, _FEED_PAPERS)
    tag = f'"{found.pk}-{int(found.updated_at.timestamp())}"'
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(thumbnails.svg(found), content_type="image/svg+xml")
    response["ETag"] = tag
    response["Cache-Control"] = "public, max-age=86400"
    return response
