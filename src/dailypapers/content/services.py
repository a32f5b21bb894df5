"""The content pipeline: which papers get their PDF, fetching it, and storing what it became.

    due papers -> fetch (polite, capped, checked) -> render in a capped child process
               -> pictures into the content storage (content-hashed names), text into the row
               -> keywords and a one-line summary (`describe.py`)

Every step ends in a status on the paper's `PaperContent` row; a failure never stops the batch
and never leaves a half-written row (the row is saved once, after the files are stored). Files a
new rendering replaces are deleted after the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dailypapers.content import describe
from dailypapers.content.markdown import to_markdown
from dailypapers.content.models import PaperContent
from dailypapers.content.pdf import Rendered
from dailypapers.content.render import Renderer
from dailypapers.core.http import FetchError, HTTPStatusError, PoliteClient
from dailypapers.papers import changes
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
PDF_MAGIC = b"%PDF-"
MAX_RETRY_DAYS = 7


def storage() -> Storage:
    return storages["content"]


def pdf_url(paper: Paper) -> str:
    return f"{settings.PDF_URL}/{paper.arxiv_id}v{paper.latest_version}"


def make_renderer() -> Renderer:
    return Renderer(settings.CONTENT_MEMORY_MB, settings.CONTENT_TIMEOUT)


# --- which papers ---


def candidates() -> QuerySet[Paper]:
    """Papers whose PDF the site wants (DAILYPAPERS_CONTENT): the Daily feed's, and with
    `categories` also every catalogue paper of the ingested categories."""
    papers = Paper.objects.filter(arxiv_id__isnull=False, withdrawn=False)
    if settings.CONTENT == "off":
        return papers.none()
    wanted = Q(entry__isnull=False)
    if settings.CONTENT == "categories" and settings.INGEST_CATEGORIES:
        wanted |= Q(category_links__category__in=settings.INGEST_CATEGORIES)
    return papers.filter(wanted).distinct()


def due(
    since: dt.date | None = None, now: dt.datetime | None = None, ids: Iterable[str] = ()
) -> QuerySet[Paper]:
    """Papers to fetch now: never tried, or a retryable failure whose wait is over, or a newer
    version than the one rendered. Explicit `ids` are fetched whatever their state."""
    now = now or timezone.now()
    ids = list(ids)
    if ids:
        return Paper.objects.filter(arxiv_id__in=ids).order_by("id")
    papers = candidates()
    if since:
        papers = papers.filter(Q(listed_on__gte=since) | Q(entry__day__gte=since))
    retry = Q(content__status__in=PaperContent.RETRIED) & (
        Q(content__next_attempt_at__isnull=True) | Q(content__next_attempt_at__lte=now)
    )
    stale = Q(content__status__in=PaperContent.RENDERED) & Q(
        content__version__lt=F("latest_version")
    )
    return papers.filter(Q(content__isnull=True) | retry | stale).order_by("-id")


# --- one paper ---


@dataclass
class Outcome:
    paper: Paper
    status: str
    message: str


def _hashed_name(folder: str, data: bytes, extension: str) -> str:
    digest = hashlib.sha256(data).hexdigest()[:32]
    return f"{folder}/{digest[:2]}/{digest}.{extension}"


def _save(name: str, data: bytes) -> str:
    store = storage()
    if not store.exists(name):
        saved = store.save(name, ContentFile(data))
        if saved != name:  # a storage that renamed instead of overwriting: keep its name
            return saved
    return name


def _finish(
    paper: Paper, result: Rendered, *, source: str, version: int | None, pdf: bytes | None
) -> PaperContent:
    """Store the pictures, then save the row in one write (files first: a row never names a
    file that is not there; a file without a row is harmless and overwritten by the same
    bytes next time)."""
    card_name = (
        _save(_hashed_name("thumbs", result.card, "png"), result.card) if result.card else ""
    )
    page_name = (
        _save(_hashed_name("thumbs", result.page, "png"), result.page) if result.page else ""
    )
    pdf_name = ""
    if pdf is not None and settings.CONTENT_KEEP_PDF and result.card:
        safe = (paper.arxiv_id or f"local-{paper.pk}").replace("/", "_")
        pdf_name = _save(
            f"pdf/{safe}v{version or 1}-{hashlib.sha256(pdf).hexdigest()[:12]}.pdf", pdf
        )
    text = to_markdown(result.text_pages, paper.title) if result.text_pages else ""
    with transaction.atomic():
        row, _ = PaperContent.objects.select_for_update().get_or_create(paper=paper)
        replaced = {row.card_name, row.page_name, row.pdf_name} - {
            card_name,
            page_name,
            pdf_name,
            "",
        }
        row.status = result.status
        row.message = result.message
        row.source = source[:500]
        row.version = version
        row.fetched_at = timezone.now()
        row.pdf_bytes = len(pdf) if pdf is not None else row.pdf_bytes
        row.pdf_sha256 = hashlib.sha256(pdf).hexdigest() if pdf is not None else row.pdf_sha256
        row.pdf_name = pdf_name
        row.pages = result.pages or None
        row.card_name, row.page_name = card_name, page_name
        row.card_bytes = len(result.card) or None
        row.text = text
        row.next_attempt_at = None
        row.save()
        if paper.thumbnail != card_name:
            paper.thumbnail = card_name
            Paper.objects.filter(pk=paper.pk).update(thumbnail=card_name)
        changes.announce()
        if replaced:
            transaction.on_commit(lambda: _delete(replaced))
    return row


def _delete(names: set[str]) -> None:
    store = storage()
    for name in names:
        # Another paper may show the same picture (same bytes, same name): keep it then.
        if PaperContent.objects.filter(
            Q(card_name=name) | Q(page_name=name) | Q(pdf_name=name)
        ).exists():
            continue
        try:
            store.delete(name)
        except OSError as exc:
            log.warning("could not delete %s: %s", name, exc)


def _failed(paper: Paper, status: str, message: str, *, source: str = "") -> PaperContent:
    """A status without pictures; a retryable one waits longer after each attempt."""
    with transaction.atomic():
        row, _ = PaperContent.objects.select_for_update().get_or_create(paper=paper)
        row.attempts += 1
        if row.status in PaperContent.RENDERED and status in PaperContent.RETRIED:
            # A newer version could not be fetched: keep what the older one gave.
            row.message = f"Version {paper.latest_version} not fetched yet: {message}"
        else:
            row.status, row.message = status, message
        row.source = source[:500] or row.source
        if status in PaperContent.RETRIED:
            hours = min(2 ** (row.attempts - 1), MAX_RETRY_DAYS * 24)
            row.next_attempt_at = timezone.now() + dt.timedelta(hours=hours)
        row.save()
    return row


def import_file(
    paper: Paper, path: Path, renderer: Renderer | None = None, *, version: int | None = None
) -> PaperContent:
    """Make a paper's content from a local PDF (`dailypapers content import`)."""
    data = path.read_bytes()
    return _from_bytes(paper, data, source=f"file:{path.name}", version=version, renderer=renderer)


def _from_bytes(
    paper: Paper,
    data: bytes,
    *,
    source: str,
    version: int | None,
    renderer: Renderer | None,
) -> PaperContent:
    if len(data) > settings.CONTENT_MAX_BYTES:
        return _failed(paper, PaperContent.TOO_LARGE, _too_large(len(data)), source=source)
    if PDF_MAGIC not in data[:1024]:
        kind = "an HTML page" if b"<html" in data[:2048].lower() else "not a PDF"
        return _failed(paper, PaperContent.NOT_PDF, f"The file is {kind}.", source=source)
    owned = renderer is None
    renderer = renderer or make_renderer()
    try:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            result = renderer.render(handle.name, settings.CONTENT_MAX_PAGES)
    finally:
        if owned:
            renderer.close()
    if result.status == PaperContent.CRASHED:
        return _failed(paper, PaperContent.CRASHED, result.message, source=source)
    row = _finish(paper, result, source=source, version=version, pdf=data)
    if row.status in PaperContent.RENDERED:
        describe.describe(row)
    return row


def _too_large(size: int) -> str:
    return (
        f"The PDF is {size / 1e6:.1f} MB, over DAILYPAPERS_CONTENT_MAX_MB "
        f"({settings.CONTENT_MAX_BYTES / 1e6:.0f} MB)."
    )


def fetch(paper: Paper, client: PoliteClient, renderer: Renderer | None = None) -> PaperContent:
    """Fetch the paper's latest PDF from arXiv, politely, and make its content."""
    url = pdf_url(paper)
    try:
        response = client.get(url, stream=True)
    except HTTPStatusError as exc:
        status = (
            PaperContent.UNAVAILABLE if exc.status in (403, 404, 410) else PaperContent.FETCH_FAILED
        )
        return _failed(paper, status, str(exc), source=url)
    except FetchError as exc:
        return _failed(paper, PaperContent.FETCH_FAILED, str(exc), source=url)
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > settings.CONTENT_MAX_BYTES:
            return _failed(paper, PaperContent.TOO_LARGE, _too_large(int(declared)), source=url)
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind.startswith("text/html"):
            return _failed(
                paper,
                PaperContent.NOT_PDF,
                f"{url} answered with a web page, not a PDF.",
                source=url,
            )
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > settings.CONTENT_MAX_BYTES:
                    return _failed(paper, PaperContent.TOO_LARGE, _too_large(size), source=url)
                chunks.append(chunk)
        except Exception as exc:  # a connection cut mid-body: retried later
            return _failed(
                paper, PaperContent.FETCH_FAILED, f"{url}: body cut short: {exc}", source=url
            )
    finally:
        response.close()
    return _from_bytes(
        paper, b"".join(chunks), source=url, version=paper.latest_version, renderer=renderer
    )


# --- batches ---


def run(
    papers: Iterable[Paper],
    client: PoliteClient,
    progress: Progress = lambda done, total: None,
    total: int = 0,
) -> Counter[str]:
    """Fetch and process each paper; returns how many ended in each status."""
    counts: Counter[str] = Counter()
    with make_renderer() as renderer:
        for done, paper in enumerate(papers, 1):
            try:
                row = fetch(paper, client, renderer)
                counts[row.status] += 1
            except Exception:  # one paper never stops the batch
                log.exception("content of %s failed", paper.key)
                _failed(paper, PaperContent.CRASHED, "An unexpected error; see the worker's log.")
                counts[PaperContent.CRASHED] += 1
            progress(done, total)
    return counts
