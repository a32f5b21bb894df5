"""The JSON API at /api/: Hugging Face's paper endpoints, and our own for votes and submissions.

Errors are always JSON `{"error": "..."}` with a 4xx status: 400 for bad input, 401 without a valid
token, 404 for unknown papers, 429 past a rate limit. Never a 500 for anything a client sends.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Path, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from dailypapers import __version__
from dailypapers.api import schemas, shapes
from dailypapers.api.models import ApiToken
from dailypapers.community import services
from dailypapers.community.ratelimit import RateLimited, check
from dailypapers.core.http import FetchError
from dailypapers.core.requests import SignedInRequest
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import hub
from dailypapers.library import collections, foryou
from dailypapers.library.models import Collection, Pick
from dailypapers.papers.lookup import paper_by_key
from dailypapers.papers.models import Paper
from dailypapers.search import services as search_service
from dailypapers.search.grammar import MAX_CHARS as MAX_QUERY_CHARS

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="dailypapers API",
    version=__version__,
    description=(
        "Hugging Face's Daily Papers API (`/api/daily_papers`, `/api/papers/{id}`, "
        "`/api/papers/search`; `/papers/{id}.md` outside this prefix), so that "
        "`huggingface_hub.HfApi(endpoint=...)` works against this server, plus votes and "
        "submissions authenticated by a personal token (`Authorization: Bearer dp_...`, "
        "created on your profile page)."
    ),
    urls_namespace="api",
)

ERRORS = {400: schemas.Error, 404: schemas.Error, 429: schemas.Error}
# An id in a path is 1 to 2**63 - 1 (a 64-bit id column): anything else answers 400, not a 500.
COLLECTION_ID = Path(..., ge=1, le=2**63 - 1, description="The collection's id.")
AUTH_ERRORS = {400: schemas.Error, 401: schemas.Error, 404: schemas.Error, 429: schemas.Error}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = ApiToken.user_for(token)
        if user is not None:
            request.user = user
        return user


# The database is down for a moment, not broken: as the site's pages say it (web/site.py).
DATABASE_DOWN = "The database cannot be reached just now. Please try again in a minute."
RETRY_AFTER_SECONDS = 30


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"error": message}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return _error(request, "; ".join(problems) or "invalid request", 400)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, str(exc) or "Not found", 404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, "A valid API token is required: Authorization: Bearer dp_...", 401)


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _error(request, str(exc), 429)
    response["Retry-After"] = str(exc.verdict.retry_after)
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, str(exc), exc.status_code)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, OperationalError | InterfaceError):  # the database is unreachable
        log.warning("API: the database cannot be reached: %s", exc)
        response = _error(request, DATABASE_DOWN, 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    log.exception("API error on %s", request.path)
    return _error(request, "Internal error; it has been logged.", 500)


def _paper(key: str) -> Paper:
    """By arXiv id, or `local-<n>` for the papers without one (the demo has some)."""
    paper = paper_by_key(key, Paper.objects.select_related("entry", "entry__submitted_by"))
    if paper is None:
        raise Http404("Paper not found")
    return paper


def _period(date: str | None, week: str | None, month: str | None) -> listings.Period | None:
    given = [name for name, value in (("date", date), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise HttpError(400, f"give only one of date, week, month (got {', '.join(given)})")
    try:
        if date:
            day = listings.parse_day(date)
            period = listings.Period("day", day, day)
        elif week:
            period = listings.parse_week(week)
        elif month:
            period = listings.parse_month(month)
        else:
            return None
    except listings.FeedError as exc:
        raise HttpError(400, str(exc)) from None
    if period.start > listings.today():
        raise HttpError(400, f"{date or week or month} is in the future")
    return period


@api.get(
    "/daily_papers",
    response={200: list[schemas.DailyItemOut], **ERRORS},
    by_alias=True,
    summary="The Daily feed: a day, week or month, most upvoted first, newest first or trending",
)
def daily_papers(
    request: HttpRequest,
    response: HttpResponse,
    p: int = Query(0, ge=0, le=100_000, description="Page, from 0."),
    limit: int = Query(50, ge=1, le=100, description="Papers per page (1-100)."),
    sort: Literal["publishedAt", "trending"] = Query("publishedAt"),
    date: str | None = Query(
        None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="YYYY-MM-DD: the day papers entered the feed.",
    ),
    week: str | None = Query(None, pattern=r"^\d{4}-W\d{2}$", description="ISO week, YYYY-Www."),
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM."),
    submitter: str | None = Query(None, max_length=150, description="Submitter's username."),
) -> list[dict]:
    period = _period(date, week, month)
    if sort == "trending":
        period, order = period or listings.trending_period(), "trending"
    else:
        # A dated batch comes most upvoted first, as Hugging Face does; otherwise newest first.
        period, order = (period, "votes") if period else (listings.ALL_TIME, "newest")
    data = listings.listing(
        period,
        sort=order,
        submitter=submitter or "",
        page=p + 1,
        page_size=limit,
        allow_empty=True,
        every_field=True,  # stars and keywords too, without a query per paper
    )
    if data.has_next:
        following = {k: v for k, v in request.GET.items()} | {"p": str(p + 1)}
        response["Link"] = f'<{request.path}?{urlencode(following)}>; rel="next"'
    return [shapes.daily_item(entry) for entry in data.entries]


@api.get(
    "/papers/search",
    response={200: list[schemas.DailyItemOut], **ERRORS},
    by_alias=True,
    summary="Search papers: hybrid full-text and semantic search, the search page's language",
)
def search_papers(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS),
    limit: int = Query(20, ge=1, le=120),
) -> list[dict]:
    results = search_service.search(q, limit=limit, count=False)
    return [shapes.search_item(paper) for paper in results.papers]


@api.post(
    "/submissions",
    response={
        201: schemas.DailyItemOut,
        200: schemas.DailyItemOut,
        **AUTH_ERRORS,
        502: schemas.Error,
    },
    auth=TokenAuth(),
    by_alias=True,
    summary="Submit a paper by arXiv id to today's feed (token required); 200 if it was there",
)
def submit(request: SignedInRequest, body: schemas.SubmitIn) -> Status:
    check(request, "submit")
    try:
        submission = services.submit_as(request.user, body.paper_id)
    except services.ActionError as exc:
        raise HttpError(400, str(exc)) from None
    except FetchError:
        raise HttpError(502, "arXiv could not be reached; try again later") from None
    entry = DailyEntry.objects.select_related("paper", "submitted_by").get(pk=submission.entry.pk)
    # 201: a new entry; 200: it was in the feed already, and the submitter's upvote was counted.
    return Status(201 if submission.created else 200, shapes.daily_item(entry))


@api.post(
    "/votes/{path:arxiv_id}",
    response={200: schemas.VoteOut, **AUTH_ERRORS},
    auth=TokenAuth(),
    summary="Upvote a paper, or take the upvote back (token required)",
)
def vote(request: SignedInRequest, arxiv_id: str, body: schemas.VoteIn) -> dict:
    paper = _paper(arxiv_id)
    try:
        # One write transaction for the rate count and the vote: under load, each write
        # transaction is a turn at SQLite's single write lock.
        with transaction.atomic():
            check(request, "vote")
            state = services.set_vote(request.user, paper, body.vote)
    except services.ActionError as exc:
        raise HttpError(400, str(exc)) from None
    return {"id": paper.key, "voted": state.voted, "upvotes": state.upvotes}


@api.get(
    "/arxiv/{path:arxiv_id}/repos",
    response={200: dict, **ERRORS},
    summary="Repositories linked to a paper",
    description="Hugging Face's shape (`models`, `datasets`, `spaces`: the most liked few of "
    "each that cite the paper on the Hugging Face Hub, as last looked up), plus `code`: the "
    "paper's code repository with its GitHub stars and last push.",
)
def linked_repos(request: HttpRequest, arxiv_id: str) -> dict:
    paper = _paper(arxiv_id)
    code = []
    if paper.code_url:
        code.append(
            {
                "url": paper.code_url,
                "stars": paper.github_stars,
                "pushedAt": shapes.hf_time(paper.github_pushed_at),
            }
        )
    return {**hub.repos(paper), "code": code}


@api.get(
    "/papers/{path:arxiv_id}",
    response={200: schemas.PaperDetailOut, **ERRORS},
    by_alias=True,
    summary="One paper, with its feed data",
)
def paper_info(request: HttpRequest, arxiv_id: str) -> dict:
    return shapes.paper_detail(_paper(arxiv_id))


# --- collections and For you ------------------------------------------------------------------


def _reader(request: HttpRequest) -> User | AnonymousUser:
    """The user of a Bearer token if one is sent (a bad token is a 401), else the session's."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = TokenAuth().authenticate(request, header[7:].strip())
        if user is None:
            raise AuthenticationError()
        return user
    return request.user


def collection_shape(
    collection: Collection, papers: list[Paper] | None = None, offset: int = 0
) -> dict:
    """A collection, with a page of its papers if given (also the MCP server's)."""
    shape = {
        "id": collection.pk,
        "name": collection.name,
        "description": collection.description,
        "owner": collection.owner.username,
        "public": collection.public,
        "url": settings.SITE_URL + collection.get_absolute_url(),
        "updatedAt": shapes.hf_time(collection.updated_at),
    }
    if papers is not None:
        shape["papers"] = [
            {
                "position": n,
                "note": getattr(p, "note", ""),
                **shapes.paper_object(p, getattr(p, "entry", None)),
            }
            for n, p in enumerate(papers, start=offset + 1)
        ]
    return shape


@api.get(
    "/collections",
    response={200: list[dict], **AUTH_ERRORS},
    summary="Collections: public ones (of `owner`, if given), and yours with a token",
)
def list_collections(
    request: HttpRequest,
    owner: str = Query("", max_length=150),
    limit: int = Query(50, ge=1, le=200),
) -> list[dict]:
    found = Collection.objects.visible_to(_reader(request)).select_related("owner")
    if owner:
        found = found.filter(owner__username=owner)
    return [collection_shape(c) for c in found.order_by("-updated_at")[:limit]]


@api.get(
    "/collections/{int:collection_id}",
    response={200: dict, **AUTH_ERRORS},
    summary="One collection with a page of its papers in order (a private one only to its "
    "owner's token)",
    description="`papers` holds `limit` papers from page `p` (from 0), `total` how many the "
    "collection has; a `Link` header (rel=next) gives the next page's address.",
)
def get_collection(
    request: HttpRequest,
    response: HttpResponse,
    collection_id: int = COLLECTION_ID,
    p: int = Query(0, ge=0, le=100_000, description="Page, from 0."),
    limit: int = Query(100, ge=1, le=500, description="Papers per page (1-500)."),
) -> dict:
    found = (
        Collection.objects.visible_to(_reader(request))
        .select_related("owner")
        .filter(pk=collection_id)
        .first()
    )
    if found is None:
        raise Http404("Collection not found")
    offset = p * limit
    shape = collection_shape(found, collections.papers_of(found, offset, limit), offset)
    shape["total"] = total = found.items.count()
    if offset + limit < total:
        following = {k: v for k, v in request.GET.items()} | {"p": str(p + 1)}
        response["Link"] = f'<{request.path}?{urlencode(following)}>; rel="next"'
    return shape


@api.post(
    "/collections",
    response={201: dict, **AUTH_ERRORS},
    auth=TokenAuth(),
    summary="Make a collection (token required), with a first paper if `paper_id` is given: "
    "both or neither",
)
def create_collection(request: SignedInRequest, body: schemas.CollectionIn) -> Status:
    check(request, "collection")
    paper = _paper(body.paper_id) if body.paper_id else None  # 404 before anything is made
    try:
        made = collections.create(
            request.user,
            body.name,
            body.description,
            public=body.public,
            first=paper,
            note=body.note,
        )
    except collections.CollectionError as exc:
        raise HttpError(400, str(exc)) from None
    papers = [paper] if paper is not None else []
    for first in papers:
        first.note = body.note  # type: ignore[attr-defined]  # as papers_of sets it
    return Status(201, collection_shape(made, papers) | {"total": len(papers)})


@api.post(
    "/collections/{int:collection_id}/papers",
    response={200: dict, 201: dict, **AUTH_ERRORS},
    auth=TokenAuth(),
    summary="Add a paper to your collection (token required); 200 if it was there",
)
def add_to_collection(
    request: SignedInRequest, body: schemas.CollectionPaperIn, collection_id: int = COLLECTION_ID
) -> Status:
    check(request, "collection")
    found = Collection.objects.filter(pk=collection_id, owner=request.user).first()
    if found is None:
        raise Http404("Collection not found")
    paper = _paper(body.paper_id)
    try:
        _, added = collections.add(found, paper, body.note)
    except collections.CollectionError as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201 if added else 200, {"id": paper.key, "added": added})


@api.delete(
    "/collections/{int:collection_id}/papers/{path:arxiv_id}",
    response={200: dict, **AUTH_ERRORS},
    auth=TokenAuth(),
    summary="Remove a paper from your collection (token required)",
)
def remove_from_collection(
    request: SignedInRequest, arxiv_id: str, collection_id: int = COLLECTION_ID
) -> dict:
    check(request, "collection")
    found = Collection.objects.filter(pk=collection_id, owner=request.user).first()
    if found is None:
        raise Http404("Collection not found")
    paper = _paper(arxiv_id)
    return {"id": paper.key, "removed": collections.remove(found, paper)}


@api.get(
    "/for-you",
    response={200: list[dict], **AUTH_ERRORS},
    auth=TokenAuth(),
    summary='Your "For you" picks, best first, each with why (token required)',
)
def for_you_picks(
    request: SignedInRequest,
    days: int = Query(1, ge=1, le=60),
    limit: int = Query(50, ge=1, le=200),
) -> list[dict]:
    span = foryou.window()
    if span is None:
        return []
    foryou.ensure_fresh(request.user)
    start = max(span[0], span[1] - dt.timedelta(days=days - 1))
    return [pick_shape(pick) for pick in foryou.picks_for(request.user, start, span[1], limit)]


def pick_shape(pick: Pick) -> dict:
    """A "For you" pick: its rank, score and why, and the paper (also the MCP server's)."""
    return {
        "rank": pick.rank,
        "score": round(pick.score, 4),
        "reason": pick.reason,
        "because": pick.because.key if pick.because else None,
        "becauseAuthor": pick.because_author or None,
        "paper": shapes.paper_object(pick.paper, getattr(pick.paper, "entry", None)),
    }
