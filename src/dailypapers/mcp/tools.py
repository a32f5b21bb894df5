"""The MCP server's tools: each a thin call of the service the JSON API calls, answered as compact
JSON in Hugging Face's shapes (`api/shapes.py`: a paper is the object of `/api/papers/{id}`).

The tools are coroutines only for the SDK: each runs its Django code back on the request's own
thread (`sync_to_async(thread_sensitive=True)` under the view's `async_to_sync`), so the ORM,
its connection and the request's transaction rules are those of any other view.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import TextContent, ToolAnnotations
from pydantic import Field

from dailypapers import __version__
from dailypapers.api import shapes
from dailypapers.api.routes import collection_shape, pick_shape
from dailypapers.community.ratelimit import RateLimited, check
from dailypapers.content.paper_md import paper_markdown
from dailypapers.feed import listings
from dailypapers.library import collections as library
from dailypapers.library import foryou
from dailypapers.library.models import Collection
from dailypapers.papers.lookup import paper_by_key
from dailypapers.papers.models import Paper
from dailypapers.search import services as search_service
from dailypapers.search.grammar import MAX_CHARS as MAX_QUERY_CHARS

server: MCPServer = MCPServer(
    name="dailypapers",
    version=__version__,
    instructions=(
        "A research-paper feed: the community's Daily Papers by day, week or month, search "
        "over every paper the site knows, each paper's details and text, similar papers; with "
        "a personal API token, the reader's For you picks and collections. Papers are named "
        "by arXiv id (2605.00001) or, without one, local-<n>."
    ),
)

# The request being answered (views.endpoint sets it): its user is the token's, or anonymous.
current_request: ContextVar[HttpRequest] = ContextVar("dailypapers_mcp_request")

NEEDS_TOKEN = (
    "This tool needs a personal API token: send the header `Authorization: Bearer dp_...` "
    "(create a token on your profile page of this site)."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
PaperId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The paper: an arXiv id (2605.00001, hep-th/9901001) or local-<n>.",
    ),
]


def tool(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register `fn` as a read-only tool, run on the request's thread and rate-limited."""

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> TextContent:
        return await sync_to_async(_answer, thread_sensitive=True)(fn, args, kwargs)

    server.tool(annotations=READ_ONLY, structured_output=False)(run)
    return fn


def _answer(fn: Callable[..., Any], args: tuple, kwargs: dict) -> TextContent:
    request = current_request.get()
    try:
        check(request, "mcp")
        data = fn(*args, **kwargs)
    except RateLimited as exc:
        raise ToolError(str(exc)) from None
    except Http404 as exc:
        raise ToolError(str(exc) or "Not found") from None
    except (listings.FeedError, library.CollectionError) as exc:
        raise ToolError(str(exc)) from None
    if not isinstance(data, str):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return TextContent(type="text", text=data)


def _reader() -> User:
    user = current_request.get().user
    if not isinstance(user, User):
        raise ToolError(NEEDS_TOKEN)
    return user


def _paper(key: str) -> Paper:
    paper = paper_by_key(key, Paper.objects.select_related("entry", "entry__submitted_by"))
    if paper is None:
        raise Http404(f"No paper {key[:64]!r} here")
    return paper


def _brief(paper: Paper) -> dict[str, Any]:
    return shapes.paper_object(paper, getattr(paper, "entry", None))


def _period(date: str, week: str, month: str) -> listings.Period:
    given = [name for name, value in (("date", date), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise listings.FeedError(f"give only one of date, week, month (got {', '.join(given)})")
    if week:
        period = listings.parse_week(week)
    elif month:
        period = listings.parse_month(month)
    else:
        day = listings.parse_day(date) if date else listings.latest_day(listings.today())
        day = day or listings.today()
        period = listings.Period("day", day, day)
    if period.start > listings.today():
        raise listings.FeedError(f"{period.slug} is in the future")
    return period


@tool
def daily_papers(
    date: Annotated[str, Field(description="A day, YYYY-MM-DD.", max_length=10)] = "",
    week: Annotated[str, Field(description="An ISO week, YYYY-Www.", max_length=8)] = "",
    month: Annotated[str, Field(description="A month, YYYY-MM.", max_length=7)] = "",
    limit: Annotated[int, Field(ge=1, le=100, description="Papers per page.")] = 30,
    page: Annotated[int, Field(ge=0, le=10_000, description="Page, from 0.")] = 0,
) -> dict[str, Any]:
    """The Daily Papers of a day, an ISO week or a month (give one; none: the latest day with
    papers), most upvoted first."""
    period = _period(date, week, month)
    found = listings.listing(
        period, sort="votes", page=page + 1, page_size=limit, allow_empty=True, every_field=True
    )
    return {
        "period": period.slug,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "total": found.total,
        "page": page,
        "hasMore": found.has_next,
        "papers": [shapes.paper_object(entry.paper, entry) for entry in found.entries],
    }


@tool
def search(
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description='Words, "phrases", -exclusions, author:, category:, year:, since:.',
        ),
    ],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Search every paper the site knows (full text and meaning together), best first."""
    results = search_service.search(query, limit=limit, count=False)
    return {
        "query": query,
        "mode": results.mode,
        "notice": results.notice,
        "papers": [_brief(paper) for paper in results.papers],
    }


@tool
def get_paper(id: PaperId) -> dict[str, Any]:
    """One paper: title, authors, abstract, dates, upvotes, links, summary and keywords."""
    return shapes.paper_detail(_paper(id))


@tool
def read_paper(id: PaperId) -> str:
    """A paper as Markdown: its full text once its PDF was processed, else its abstract."""
    return paper_markdown(_paper(id))


@tool
def similar_papers(id: PaperId, limit: Annotated[int, Field(ge=1, le=50)] = 10) -> dict[str, Any]:
    """The papers closest in meaning to one paper, closest first."""
    paper = _paper(id)
    papers, more = search_service.similar(paper, limit=limit)
    return {"id": paper.key, "hasMore": more, "papers": [_brief(p) for p in papers]}


@tool
def for_you(
    days: Annotated[int, Field(ge=1, le=60, description="How many recent days.")] = 7,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Your "For you" picks among recent papers, best first, each with why (needs a token)."""
    reader = _reader()
    span = foryou.window()
    if span is None:
        return []
    foryou.ensure_fresh(reader)
    start = max(span[0], span[1] - dt.timedelta(days=days - 1))
    return [pick_shape(pick) for pick in foryou.picks_for(reader, start, span[1], limit)]


@tool
def collections() -> list[dict[str, Any]]:
    """Your collections, most recently changed first (needs a token)."""
    mine = Collection.objects.filter(owner=_reader()).select_related("owner")
    return [collection_shape(c) | {"total": c.items.count()} for c in mine.order_by("-updated_at")]


@tool
def collection(
    id: Annotated[int, Field(ge=1, le=2**63 - 1, description="The collection's id.")],
    limit: Annotated[int, Field(ge=1, le=200)] = 100,
    page: Annotated[int, Field(ge=0, le=10_000, description="Page, from 0.")] = 0,
) -> dict[str, Any]:
    """One collection with its papers in order: yours, or anyone's public one (needs a token)."""
    found = Collection.objects.visible_to(_reader()).select_related("owner").filter(pk=id).first()
    if found is None:
        raise Http404(f"No collection {id} that you can see")
    offset = page * limit
    shape = collection_shape(found, library.papers_of(found, offset, limit), offset)
    shape["total"] = total = found.items.count()
    shape["hasMore"] = offset + limit < total
    return shape
