"""The models, datasets and Spaces of the Hugging Face Hub that cite the Daily feed's papers.

The Hub tags a repository `arxiv:<id>` when its card links the paper, and its public API lists
them: `GET /api/models?filter=arxiv:<id>` (and `/api/datasets`, `/api/spaces`), the request
`huggingface_hub`'s `list_models(filter=..., sort="likes", expand=[...])` sends.

- Politely: one request at a time, `DAILYPAPERS_HUB_DELAY` apart, with this site's User-Agent
  (core.http); a 429 or a 5xx is retried with backoff, waiting as `Retry-After` or a 429's
  `RateLimit` header says, up to two minutes; at most `DAILYPAPERS_HUB_MAX_REQUESTS` requests a
  run (three a paper), the next run goes on.
- Conditionally: a paper is looked at again after a day while its feed day is under a week old,
  after a week while it is under two months old, after a month later on (a failed look after six
  hours); the ETag of each answer goes back as `If-None-Match`, and a 304 keeps what is stored
  (the Hub's answers carry weak ETags, `W/"e21-..."` in huggingface_hub's recorded cassettes;
  whether its list answers honour `If-None-Match` is not known here: without a 304, a full answer
  costs the same as before).
- Quietly: when the Hub does not answer (no network, an outage, its rate limit) the run stops
  with one log line; pages and the API show what was stored before, or nothing.

What is kept: the count of each kind and its few most liked items, each in the Hub's own shape
(`id`, `author`, `likes`, `downloads`, `pipeline_tag` or `sdk`, `lastModified`), which is what
Hugging Face's `/api/papers/{id}` carries as `linkedModels`... and `huggingface_hub` parses with
`ModelInfo(**item)` (it needs `id`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from dailypapers.core.http import FetchError, HTTPStatusError, PoliteClient
from dailypapers.ingest.models import HubLinks
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)

KINDS = HubLinks.KINDS
# Each kind's fields asked for (`expand`) and kept, besides `id`.
FIELDS: dict[str, tuple[str, ...]] = {
    "models": ("author", "likes", "downloads", "pipeline_tag", "lastModified"),
    "datasets": ("author", "likes", "downloads", "lastModified"),
    "spaces": ("author", "likes", "sdk", "lastModified"),
}
PAGE = 100  # one page of the Hub's list a kind: a fuller count is shown as "100+"
TOP = 5  # items kept of each kind
# (feed day younger than, look again after): newer papers gain links faster.
REVISIT = (
    (dt.timedelta(days=7), dt.timedelta(days=1)),
    (dt.timedelta(days=60), dt.timedelta(days=7)),
)
REVISIT_OLD = dt.timedelta(days=30)
RETRY_FAILED = dt.timedelta(hours=6)


@dataclass
class RunResult:
    papers: int = 0
    requests: int = 0
    changed: int = 0
    unchanged: int = 0  # every kind answered 304
    errors: int = 0
    stopped: str = ""  # why the run stopped early, if it did


def make_client(**overrides: Any) -> PoliteClient:
    options: dict[str, Any] = {
        "delay": settings.HUB_DELAY,
        "retries": 2,
        "max_wait": 120.0,  # a longer wait asked for stops the run; the next one goes on
        "lock_path": Path(settings.DATA_DIR) / "hub-requests.lock",
        "retry_log_level": logging.DEBUG,  # the run's one line says what went wrong
    }
    return PoliteClient(**(options | overrides))


def due_papers(now: dt.datetime | None = None, limit: int = 50) -> list[Paper]:
    """Feed papers with an arXiv id whose links are due: never looked up first, then the
    newest feed days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = (
        Q(hub_links__isnull=True)
        | Q(hub_links__checked_at__isnull=True)
        | Q(hub_links__checked_at__lt=now - REVISIT_OLD)
        | Q(hub_links__status=HubLinks.ERROR, hub_links__checked_at__lt=now - RETRY_FAILED)
    )
    for younger_than, every in REVISIT:
        due |= Q(entry__day__gte=today - younger_than, hub_links__checked_at__lt=now - every)
    return list(
        Paper.objects.filter(entry__isnull=False, arxiv_id__gt="")
        .filter(due)
        .order_by(F("hub_links__checked_at").asc(nulls_first=True), "-entry__day", "pk")
        .only("pk", "arxiv_id")[:limit]
    )


def _url(kind: str, arxiv_id: str) -> str:
    query = [("filter", f"arxiv:{arxiv_id}"), ("sort", "likes"), ("limit", str(PAGE))]
    query += [("expand", name) for name in FIELDS[kind]]
    return f"{settings.HUB_URL}/api/{kind}?{urlencode(query)}"


def _top(kind: str, items: list[Any]) -> list[dict[str, Any]]:
    """The most liked items (then downloaded), in the Hub's shape, without what is not shown."""
    if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
        raise ValueError("an item without an id")

    def rank(item: dict[str, Any]) -> tuple[int, int]:
        return (int(item.get("likes") or 0), int(item.get("downloads") or 0))

    keep = ("id", *FIELDS[kind])
    return [
        {key: item[key] for key in keep if key in item}
        for item in sorted(items, key=rank, reverse=True)[:TOP]
    ]


def _look(client: PoliteClient, row: HubLinks, kind: str, arxiv_id: str) -> bool:
    """Ask the Hub for one kind; store what it says on the row. True if the Hub said 304."""
    etag = row.etags.get(kind, "")
    response = client.get(
        _url(kind, arxiv_id),
        ok_statuses=frozenset({304}),
        headers={"Accept": "application/json", **({"If-None-Match": etag} if etag else {})},
    )
    if response.status_code == 304:
        return True
    items = response.json()
    if not isinstance(items, list):
        raise ValueError(f"a list was expected, not {type(items).__name__}")
    total_header = response.headers.get("X-Total-Count", "")
    if total_header.isdigit():
        total, capped = int(total_header), False
    else:
        total, capped = len(items), len(items) >= PAGE or "next" in response.links
    setattr(row, f"linked_{kind}", _top(kind, items))
    setattr(row, f"num_{kind}", total)
    row.capped = sorted((set(row.capped) - {kind}) | ({kind} if capped else set()))
    row.etags = {**row.etags, kind: response.headers.get("ETag", "")[:200]}
    return False


def _state(row: HubLinks) -> tuple[Any, ...]:
    return tuple(getattr(row, f"{name}_{kind}") for kind in KINDS for name in ("linked", "num"))


def refresh(
    client: PoliteClient, papers: list[Paper] | None = None, max_requests: int | None = None
) -> RunResult:
    """Look each paper up on the Hub (three requests), within the run's request budget."""
    result = RunResult()
    budget = settings.HUB_MAX_REQUESTS if max_requests is None else max_requests
    papers = due_papers(limit=max(budget // len(KINDS), 1)) if papers is None else papers
    for paper in papers:
        if result.requests + len(KINDS) > budget:
            result.stopped = f"{budget} requests a run"
            break
        row = HubLinks.objects.filter(paper=paper).first() or HubLinks(paper=paper)
        before, unchanged = _state(row), 0
        try:
            for kind in KINDS:
                result.requests += 1
                unchanged += _look(client, row, kind, str(paper.arxiv_id))
        except HTTPStatusError as exc:  # the Hub refused this one question (400, 404...)
            row.status, row.message = HubLinks.ERROR, str(exc)[:300]
            result.errors += 1
        except FetchError as exc:  # no answer: no network, an outage, the rate limit
            row.status, row.message = HubLinks.ERROR, str(exc)[:300]
            row.checked_at = timezone.now()
            row.save()
            result.errors += 1
            problem = str(exc).split(": ", 1)[-1]  # without the long URL
            result.stopped = f"the Hub did not answer ({problem})"
            break
        except ValueError as exc:  # not JSON, or not a list of repositories
            row.status, row.message = HubLinks.ERROR, f"unexpected answer: {exc}"[:300]
            result.errors += 1
        else:
            row.status, row.message = HubLinks.OK, ""
            result.changed += _state(row) != before
            result.unchanged += unchanged == len(KINDS)
        result.papers += 1
        row.checked_at = timezone.now()
        row.save()
    if result.stopped and result.errors:
        log.info("Hugging Face Hub links: %s; the next run goes on", result.stopped)
    return result


def summary(result: RunResult) -> str:
    parts = {
        "looked up": result.papers,
        "changed": result.changed,
        "unchanged (304)": result.unchanged,
        "failed": result.errors,
    }
    text = ", ".join(f"{n} {label}" for label, n in parts.items() if n) or "nothing to look up"
    return f"{text} ({result.requests} requests)" + (
        f"; stopped: {result.stopped}" if result.stopped else ""
    )


# --- what pages and the API show -----------------------------------------------------------------


def links_of(paper: Paper) -> HubLinks | None:
    return HubLinks.objects.filter(paper_id=paper.pk).first()


def hf_fields(paper: Paper) -> dict[str, Any]:
    """`linkedModels`, `numTotalModels`... of Hugging Face's `/api/papers/{id}`."""
    row = links_of(paper)
    fields: dict[str, Any] = {}
    for kind, name in zip(KINDS, ("Models", "Datasets", "Spaces"), strict=True):
        fields[f"linked{name}"] = getattr(row, f"linked_{kind}") if row else []
        fields[f"numTotal{name}"] = getattr(row, f"num_{kind}") if row else 0
    return fields


def repos(paper: Paper) -> dict[str, list[dict[str, Any]]]:
    """`models`, `datasets`, `spaces` of Hugging Face's `/api/arxiv/{id}/repos` (the few kept)."""
    row = links_of(paper)
    return {kind: list(getattr(row, f"linked_{kind}")) if row else [] for kind in KINDS}


def hub_url(kind: str, repo_id: str) -> str:
    prefix = "" if kind == "models" else f"{kind}/"
    return f"{settings.HUB_URL}/{prefix}{quote(repo_id, safe='/')}"


def page_block(paper: Paper) -> list[dict[str, Any]] | None:
    """For the paper page: each kind with something, its count, its link to the Hub's list of
    all, and its repositories; None when the Hub lists nothing (or was never asked)."""
    row = links_of(paper)
    if row is None or not paper.arxiv_id:
        return None
    filter_tag = quote(f"arxiv:{paper.arxiv_id}", safe=":/")
    block = []
    for kind, label in zip(KINDS, ("model", "dataset", "Space"), strict=True):
        count = getattr(row, f"num_{kind}")
        if not count:
            continue
        repos = [
            {
                **item,
                "url": hub_url(kind, item["id"]),
                "detail": item.get("pipeline_tag") or item.get("sdk") or "",
            }
            for item in getattr(row, f"linked_{kind}")
        ]
        block.append(
            {
                "kind": kind,
                "count": count,
                "title": label[0].upper() + label[1:] + "s",
                "label": label + ("" if count == 1 else "s"),
                "more": kind in row.capped,
                "all_url": f"{settings.HUB_URL}/{kind}?other={filter_tag}",
                "repos": repos,
            }
        )
    return block or None
