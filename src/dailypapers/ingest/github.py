"""GitHub stars and last push of the code repositories papers link to (GitHub's REST API).

- Politely: one request at a time, `DAILYPAPERS_GITHUB_DELAY` apart; conditional requests
  with the ETag of the last answer (a 304 does not count against GitHub's rate limit); a
  token (`DAILYPAPERS_GITHUB_TOKEN`) is optional (60 requests an hour without, 5,000 with).
- When GitHub says the rate limit is used up (403 or 429 with `x-ratelimit-remaining: 0`) the
  run stops and says when it resets; the next run goes on.
- Which repositories: those of the Daily feed's papers, each looked at most once a day.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dailypapers.core.http import FetchError, PoliteClient
from dailypapers.ingest.models import CodeRepo
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)
REPO = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})"
    r"(?:\.git)?/?(?:[/?#].*)?$"
)
CHECK_EVERY = dt.timedelta(days=1)
API_VERSION = "2022-11-28"


def repo_name(url: str) -> str:
    """`owner/name` (lower case) of a GitHub repository URL, or "" for anything else."""
    match = REPO.match(url.strip())
    if not match:
        return ""
    name = match[2].removesuffix(".git")
    if name in {".", ".."} or match[1].lower() in {"orgs", "topics", "sponsors", "settings"}:
        return ""
    return f"{match[1]}/{name}".lower()


@dataclass
class RunResult:
    checked: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    errors: int = 0
    stopped: str = ""  # why the run stopped early (the rate limit), if it did


def make_client() -> PoliteClient:
    return PoliteClient(
        delay=settings.GITHUB_DELAY,
        retries=2,
        max_wait=60.0,
        lock_path=Path(settings.DATA_DIR) / "github-requests.lock",
    )


def due_repos(now: dt.datetime | None = None, limit: int = 500) -> dict[str, list[int]]:
    """Repositories of feed papers not looked at for a day: name -> paper ids."""
    now = now or timezone.now()
    papers = (
        Paper.objects.filter(entry__isnull=False, code_url__icontains="github.com")
        .order_by("-entry__day", "pk")  # the newest feed days first
        .values_list("pk", "code_url")
    )
    by_repo: dict[str, list[int]] = defaultdict(list)
    for pk, url in papers:
        name = repo_name(url)
        if name:
            by_repo[name].append(pk)
    fresh = set(
        CodeRepo.objects.filter(
            full_name__in=list(by_repo), checked_at__gte=now - CHECK_EVERY
        ).values_list("full_name", flat=True)
    )
    due = {name: pks for name, pks in by_repo.items() if name not in fresh}
    return dict(list(due.items())[:limit])


def _headers(etag: str) -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if settings.GITHUB_TOKEN:
        headers["Authorization"] = f"Bearer {settings.GITHUB_TOKEN}"
    if etag:
        headers["If-None-Match"] = etag
    return headers


def refresh(client: PoliteClient, repos: dict[str, list[int]] | None = None) -> RunResult:
    """Look at each repository once; write stars and last push to it and its papers."""
    result = RunResult()
    repos = due_repos() if repos is None else repos
    for name, paper_ids in repos.items():
        row, _ = CodeRepo.objects.get_or_create(full_name=name)
        try:
            response = client.get(
                f"{settings.GITHUB_API_URL}/repos/{name}",
                ok_statuses=frozenset({304, 403, 404, 410, 451}),
                headers=_headers(row.etag),
            )
        except FetchError as exc:
            row.status, row.message = CodeRepo.ERROR, str(exc)[:300]
            row.checked_at = timezone.now()
            row.save()
            result.errors += 1
            continue
        result.checked += 1
        if response.status_code == 403:
            if response.headers.get("x-ratelimit-remaining") == "0":
                reset = response.headers.get("x-ratelimit-reset", "")
                when = dt.datetime.fromtimestamp(int(reset), dt.UTC) if reset.isdigit() else None
                result.stopped = "GitHub's rate limit is used up" + (
                    f" until {when:%H:%M} UTC" if when else ""
                )
                log.warning(
                    "%s; set DAILYPAPERS_GITHUB_TOKEN for 5,000 requests an hour", result.stopped
                )
                return result
            row.status, row.message = CodeRepo.ERROR, f"HTTP 403: {response.text[:200]}"
            result.errors += 1
        elif response.status_code in (404, 410, 451):
            row.status, row.message, row.stars, row.pushed_at = (
                CodeRepo.MISSING,
                "not on GitHub",
                None,
                None,
            )
            result.missing += 1
        elif response.status_code == 304:
            result.unchanged += 1
        else:
            try:
                data = response.json()
                stars = int(data["stargazers_count"])
                pushed = parse_datetime(data.get("pushed_at") or "")
            except (ValueError, KeyError, TypeError) as exc:
                row.status, row.message = CodeRepo.ERROR, f"unexpected answer: {exc}"[:300]
                result.errors += 1
            else:
                result.changed += stars != row.stars or pushed != row.pushed_at
                row.stars, row.pushed_at, row.status, row.message = stars, pushed, CodeRepo.OK, ""
                row.etag = response.headers.get("ETag", "")[:200]
        row.checked_at = timezone.now()
        row.save()
        Paper.objects.filter(pk__in=paper_ids).filter(
            ~Q(github_stars=row.stars)
            | Q(github_stars__isnull=True)
            | ~Q(github_pushed_at=row.pushed_at)
        ).update(github_stars=row.stars, github_pushed_at=row.pushed_at)
    return result


def summary(result: RunResult) -> str:
    parts = {
        "looked at": result.checked,
        "changed": result.changed,
        "unchanged (304)": result.unchanged,
        "gone": result.missing,
        "failed": result.errors,
    }
    text = ", ".join(f"{n} {label}" for label, n in parts.items() if n) or "nothing to look at"
    return text + (f"; stopped: {result.stopped}" if result.stopped else "")
