"""Run the arXiv sources: fetch, parse and upsert, with each source's state kept on its row.

- `oaipmh`: ListRecords (`arXivRaw` by default) for a set, from a date. Each page's papers and the
  resumption token are committed in one transaction, so a crash or a reset connection resumes from
  the last committed page; when the list completes, `from` advances to the day of its first
  response and the token is cleared. A malformed page writes nothing and keeps the token.
- `arxiv-api`: the Atom query API, newest submissions of a category first, until the newest
  submission seen by the previous run (or `--max`).
- `listing`: the daily RSS listing of a category; `new` (and `cross`) announcements date the
  papers on "New on arXiv", replacements only update the papers' metadata.
- `hf`: Hugging Face's daily papers (`/api/daily_papers?date=...`), a curated upstream source:
  its papers enter the Daily feed on Hugging Face's day, with its votes and comment counts kept
  apart from local ones. Each run fetches the days since the last complete one, and the last
  `DAILYPAPERS_HF_REFRESH_DAYS` again (their votes still grow).
- `upstream`: another dailypapers instance of `DAILYPAPERS_UPSTREAMS` (or any server with Hugging
  Face's daily-papers API), followed as `hf` follows Hugging Face; its entries say where they came
  from (`DailyEntry.origin`) and its votes are kept on its own rows (feed/upstream.py). A bad
  answer (not JSON, an error status, too large, NUL bytes) fails the run and writes nothing of
  that day.

The arXiv sources fill the catalogue; their papers enter the Daily feed only through a submission
or a promotion rule (papers/curation.py).

One failing source never stops the others (`run_due`): whatever it raises is stored on its row,
shown by `dailypapers ingest status` and the admin, and its next run is pushed back exponentially.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from httpx import HTTPError

from dailypapers.core.http import FetchError, PoliteClient
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import catalogue
from dailypapers.ingest.formats import parse_hf
from dailypapers.ingest.models import IngestState
from dailypapers.ingest.parse import ApiError, ApiPage, parse_api, parse_listing, parse_oai
from dailypapers.ingest.xmlsafe import XMLError
from dailypapers.papers import store
from dailypapers.papers.categories import oai_set
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord, RecordError

log = logging.getLogger(__name__)
KINDS = ("listing", "oaipmh", "arxiv-api", "hf", "upstream")
HF_PAGE = 100  # items per request; Hugging Face allows 1 to 100
# A page of 100 daily papers is about 300 kB; anything past these is not a daily-papers API.
MAX_PAGE_BYTES = 16 * 2**20
MAX_PAGES_A_DAY = 50
# arXiv's API and OAI-PMH answer a request they refuse with 400 and an error document to read.
API_ERROR_STATUSES = frozenset({400})
Progress = Callable[[int, int | None], None]


class IngestError(Exception):
    """A source run failed; the message is stored on its row."""


@dataclass
class RunResult:
    name: str
    fetched: int = 0
    counts: store.UpsertCounts = field(default_factory=store.UpsertCounts)
    withdrawn: int = 0
    pages: int = 0
    problems: int = 0


@dataclass(frozen=True)
class RunOptions:
    from_date: dt.date | None = None
    until: dt.date | None = None
    max_results: int | None = None
    progress: Progress = lambda done, total: None


def state_for(kind: str, category: str) -> IngestState:
    """The source's row; an `upstream`'s `category` is its base URL, kept in the name only."""
    if kind not in KINDS:
        raise ValueError(f"unknown source {kind!r}; expected one of {', '.join(KINDS)}")
    state, _ = IngestState.objects.get_or_create(
        name=f"{kind}:{category}",
        defaults={"kind": kind, "category": "" if kind == "upstream" else category},
    )
    return state


def run_source(
    kind: str,
    category: str,
    *,
    client: PoliteClient,
    from_date: dt.date | None = None,
    until: dt.date | None = None,
    max_results: int | None = None,
    progress: Progress = lambda done, total: None,
    now: dt.datetime | None = None,
) -> RunResult:
    """Run one source now, record the outcome on its row, raise IngestError if it failed."""
    state = state_for(kind, category)
    started = now or timezone.now()
    runner = {
        "oaipmh": _run_oaipmh,
        "arxiv-api": _run_api,
        "listing": _run_listing,
        "hf": _run_hf,
        "upstream": _run_upstream,
    }[kind]
    result = RunResult(name=state.name)
    try:
        runner(state, client, result, RunOptions(from_date, until, max_results, progress))
    except Exception as exc:  # any failure is this source's: recorded, retried later
        if not isinstance(exc, FetchError | XMLError | ApiError | ValueError):
            log.exception("%s failed unexpectedly", state.name)
        state.refresh_from_db()
        state.last_run_at = started
        state.last_error = f"{started:%Y-%m-%d %H:%M} UTC: {exc}"
        state.failures += 1
        retry_in = min(
            dt.timedelta(minutes=5 * 2 ** (state.failures - 1)),
            dt.timedelta(hours=settings.INGEST_INTERVAL_HOURS),
        )
        state.next_run_at = started + retry_in
        state.save()
        raise IngestError(f"{state.name}: {exc}") from exc
    state.refresh_from_db()
    state.last_run_at = state.last_success_at = started
    state.last_error = ""
    state.failures = 0
    state.next_run_at = started + dt.timedelta(hours=settings.INGEST_INTERVAL_HOURS)
    state.papers_seen += result.fetched
    state.save()
    return result


def configured_sources() -> list[tuple[str, str]]:
    """(kind, category) of every scheduled source: arXiv's per category, `hf` once, and each
    upstream instance (its base URL as the category)."""
    sources = []
    for kind in settings.INGEST_SOURCES:
        if kind == "hf":
            sources.append((kind, ""))
        else:
            sources.extend((kind, category) for category in settings.INGEST_CATEGORIES)
    sources.extend(("upstream", url) for url in settings.UPSTREAMS)
    return sources


def run_due(client: PoliteClient, now: dt.datetime | None = None) -> dict[str, str]:
    """Run every configured source whose next run is due; returns {name: error} of failures."""
    now = now or timezone.now()
    failures = {}
    for kind, category in configured_sources():
        state = state_for(kind, category)
        if state.next_run_at and state.next_run_at > now:
            continue
        try:
            result = run_source(kind, category, client=client, now=now)
        except IngestError as exc:
            log.error("ingestion failed: %s", exc)
            failures[state.name] = str(exc)
        else:
            log.info("ingested %s: %s", result.name, result.counts)
    return failures


def _write(records: list[PaperRecord], result: RunResult, problems: Sequence[str] = ()) -> None:
    for problem in problems:
        log.warning("%s: record left out: %s", result.name, problem)
    result.problems += len(problems)
    result.fetched += len(records)
    result.counts += catalogue.upsert(records)
    result.withdrawn += sum(1 for r in records if r.withdrawn)


def _run_oaipmh(
    state: IngestState, client: PoliteClient, result: RunResult, options: RunOptions
) -> None:
    cursor = dict(state.cursor)
    wanted = {
        "set": oai_set(state.category),
        "from": (options.from_date.isoformat() if options.from_date else None)
        or cursor.get("from")
        or (timezone.now().date() - dt.timedelta(days=2)).isoformat(),
        "until": options.until.isoformat() if options.until else None,
    }
    if cursor.get("token") and any(cursor.get(k) != wanted[k] for k in ("set", "from", "until")):
        cursor["token"] = None  # a different harvest was asked for: start it afresh
    cursor.update({k: v for k, v in wanted.items()})
    restarted = False
    while True:
        if cursor.get("token"):
            params = {"verb": "ListRecords", "resumptionToken": cursor["token"]}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": cursor["from"]}
            if cursor.get("set"):
                params["set"] = cursor["set"]
            if cursor.get("until"):
                params["until"] = cursor["until"]
        answer = client.get(settings.ARXIV_OAI_URL, params=params, ok_statuses=API_ERROR_STATUSES)
        page = parse_oai(answer.content)
        if page.error_code == "badResumptionToken" and not restarted:
            log.warning("%s: resumption token refused; restarting the list", state.name)
            cursor["token"], restarted = None, True
            continue
        if page.error_code and page.error_code != "noRecordsMatch":
            raise FetchError(f"OAI-PMH error {page.error_code}: {page.error_message}")
        if not cursor.get("token") and page.response_date:
            cursor["list_started"] = page.response_date.date().isoformat()
        with transaction.atomic():
            _write(page.records, result, page.problems)
            result.withdrawn += Paper.objects.filter(
                arxiv_id__in=page.deleted, withdrawn=False
            ).update(withdrawn=True)
            cursor["token"] = page.token
            if not page.token:  # the list is complete: the next harvest starts where it began
                cursor["from"] = cursor.pop("list_started", cursor["from"])
            IngestState.objects.filter(pk=state.pk).update(cursor=cursor)
        result.pages += 1
        options.progress(result.fetched, page.complete_size)
        if not page.token or (options.max_results and result.fetched >= options.max_results):
            return


EMPTY_PAGE_RETRIES = 3  # arXiv's API sometimes answers a page with no entries: ask again


def _api_page(
    client: PoliteClient, category: str, start: int, size: int, expected: int | None
) -> ApiPage:
    """One page of the category's newest submissions; a page that comes back empty although the
    total says there is more is asked for again, then is an error (the cursor does not move)."""
    for _ in range(EMPTY_PAGE_RETRIES + 1):
        page = parse_api(
            client.get(
                settings.ARXIV_API_URL,
                params={
                    "search_query": f"cat:{category}",
                    "start": str(start),
                    "max_results": str(size),
                    "sortBy": "submittedDate",
                    "sortOrder": "descending",
                },
                ok_statuses=API_ERROR_STATUSES,
            ).content
        )
        if page.records or page.problems or start >= (expected or page.total):
            return page
        expected = page.total if expected is None else expected
        log.warning("arXiv API: empty page at start=%d of %d; asking again", start, page.total)
    raise FetchError(
        f"arXiv's API answered {EMPTY_PAGE_RETRIES + 1} empty pages at start={start} of "
        f"{expected}; stopped without moving the cursor"
    )


def _run_api(
    state: IngestState, client: PoliteClient, result: RunResult, options: RunOptions
) -> None:
    newest_seen = state.cursor.get("newest")
    floor = dt.datetime.fromisoformat(newest_seen) if newest_seen else None
    if options.from_date:
        floor = dt.datetime.combine(options.from_date, dt.time(), tzinfo=dt.UTC)
    limit = options.max_results or settings.INGEST_API_MAX
    page_size = min(100, limit)
    start, newest, total = 0, floor, None
    while start < limit:
        page = _api_page(client, state.category, start, page_size, total)
        total = page.total
        fresh = [
            r for r in page.records if not floor or (r.published_at and r.published_at > floor)
        ]
        if options.until:
            fresh = [r for r in fresh if r.published_at and r.published_at.date() <= options.until]
        with transaction.atomic():
            _write(fresh, result, page.problems)
        result.pages += 1
        seen = [r.published_at for r in fresh if r.published_at]
        newest = max(filter(None, [newest, *seen]), default=None)
        options.progress(result.fetched, min(page.total, limit))
        start += len(page.records) + len(page.problems)
        if len(fresh) < len(page.records) or start >= page.total:
            break
    if newest:
        IngestState.objects.filter(pk=state.pk).update(cursor={"newest": newest.isoformat()})


def _run_listing(
    state: IngestState, client: PoliteClient, result: RunResult, options: RunOptions
) -> None:
    url = settings.ARXIV_LISTING_URL.rstrip("/") + "/" + state.category
    items = parse_listing(client.get(url).content)
    records = []
    for item in items:
        if item.announce_type not in settings.INGEST_ANNOUNCE_TYPES:
            item.record.listed_on = None  # a replacement refreshes the paper, it is not news
        records.append(item.record)
    with transaction.atomic():
        _write(records, result)
        days = sorted({r.listed_on.isoformat() for r in records if r.listed_on})
        if days:
            IngestState.objects.filter(pk=state.pk).update(cursor={"last_listing": days[-1]})
    result.pages = 1
    options.progress(len(records), len(records))


def _run_hf(
    state: IngestState, client: PoliteClient, result: RunResult, options: RunOptions
) -> None:
    _follow(state, client, result, options, settings.HF_URL, DailyEntry.HF)


def _run_upstream(
    state: IngestState, client: PoliteClient, result: RunResult, options: RunOptions
) -> None:
    _follow(state, client, result, options, state.name.split(":", 1)[1], DailyEntry.UPSTREAM)


def _follow(
    state: IngestState,
    client: PoliteClient,
    result: RunResult,
    options: RunOptions,
    base_url: str,
    source: str,
) -> None:
    """Follow a daily-papers API day by day: the days since the last complete one and the last
    `HF_REFRESH_DAYS` again; each day's pages are written in one transaction once all are read."""
    today = listings.today()
    done = state.cursor.get("done")
    refresh = today - dt.timedelta(days=settings.HF_REFRESH_DAYS)
    if options.from_date:
        start = options.from_date
    elif done:
        start = min(dt.date.fromisoformat(done) + dt.timedelta(days=1), refresh)
    else:
        start = refresh
    end = min(options.until or today, today)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    url = base_url.rstrip("/") + "/api/daily_papers"
    for number, day in enumerate(days, start=1):
        records, problems = [], []
        for page in range(MAX_PAGES_A_DAY + 1):
            if page == MAX_PAGES_A_DAY:
                raise ValueError(f"{url}?date={day}: more than {MAX_PAGES_A_DAY} pages in a day")
            params = {"date": day.isoformat(), "limit": str(HF_PAGE), "p": str(page)}
            items = daily_page(client, url, params)
            for item in items:
                try:
                    record = parse_hf(item)
                except RecordError as exc:
                    problems.append(f"{day}: {exc}")
                    continue
                record.feed_day, record.feed_source = day, source
                records.append(record)
            if len(items) < HF_PAGE:
                break
        with transaction.atomic():
            for problem in problems:
                log.warning("%s: record left out: %s", result.name, problem)
            result.problems += len(problems)
            result.fetched += len(records)
            result.counts += catalogue.upsert_followed(
                records,
                counts_origin=base_url.rstrip("/"),
                entry_origin=base_url.rstrip("/") if source == DailyEntry.UPSTREAM else "",
                by_rules=source == DailyEntry.UPSTREAM and settings.UPSTREAM_ENTRIES == "rules",
            )
            if day < today:  # today's list still grows: fetch it again next time
                cursor = dict(state.cursor, done=max(day.isoformat(), done or ""))
                IngestState.objects.filter(pk=state.pk).update(cursor=cursor)
                state.cursor, done = cursor, cursor["done"]
        result.pages += 1
        options.progress(number, len(days))
        if options.max_results and result.fetched >= options.max_results:
            return


def daily_page(client: PoliteClient, url: str, params: dict[str, str]) -> list:
    """One page of a daily-papers API: a JSON array, at most MAX_PAGE_BYTES, or ValueError or
    FetchError saying what came instead."""
    where = f"{url}?date={params.get('date')}&p={params.get('p')}"
    response = client.get(url, params=params, stream=True)
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_PAGE_BYTES:
                raise ValueError(f"{where}: the answer is larger than {MAX_PAGE_BYTES:,} bytes")
    except HTTPError as exc:
        raise FetchError(f"{where}: the answer broke off: {type(exc).__name__}: {exc}") from exc
    finally:
        response.close()
    if b"\x00" in body:
        raise ValueError(f"{where}: the answer holds NUL bytes")
    try:
        items = json.loads(body)
    except ValueError:
        kind = response.headers.get("Content-Type") or "no Content-Type"
        start = bytes(body[:80]).decode("utf-8", "replace").strip()
        raise ValueError(f"{where}: expected JSON, got {kind}: {start!r}") from None
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a JSON array of daily papers")
    return items


def fetch_by_id(arxiv_id: str, client: PoliteClient) -> PaperRecord | None:
    """The latest metadata of one paper from the API, or None if arXiv does not know it.

    Raises ApiError (arXiv refused the id, with its message) or FetchError (unreachable)."""
    response = client.get(
        settings.ARXIV_API_URL, params={"id_list": arxiv_id}, ok_statuses=API_ERROR_STATUSES
    )
    page = parse_api(response.content)
    for record in page.records:
        if record.arxiv_id == arxiv_id:
            return record
    return None
