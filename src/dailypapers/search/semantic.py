"""The semantic leg: paper vectors in the database, searched exactly in memory with numpy.

- `sync()` embeds the papers that have no vector, a vector of another model, or a vector older
  than the paper's last change (skipping the work when the text itself did not change). It runs
  every minute in the worker, within a time budget, so a large import is caught up over a few
  runs; `dailypapers index rebuild` and `index sync` run it to the end with a progress bar.
- `VectorIndex` holds every vector of this process as one float32 matrix (145k papers: 223 MB),
  loaded once and then refreshed with the rows changed since (at most once a second). A stored
  vector that cannot be read (wrong length) is deleted, so the next sync embeds it again.
- Exact search (one matrix-vector product and a partial sort) is fast enough up to a few hundred
  thousand papers (benchmarks/search_hybrid.py); past that DESIGN.md's plan is an HNSW index.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F, Max, Q
from django.utils import timezone

from dailypapers.papers.models import Paper
from dailypapers.search import embedding
from dailypapers.search.models import PaperVector

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
MODEL_KEY = f"{embedding.MODEL_NAME}/int8/{embedding.GRAPH_VERSION}"
CHUNK = 256
REFRESH_SECONDS = 1.0
OVERLAP = timedelta(seconds=30)
_BYTES = embedding.DIMENSIONS * 2  # float16


def enabled() -> bool:
    """The semantic leg runs: switched on (DAILYPAPERS_SEMANTIC) and installed."""
    return settings.SEMANTIC and embedding.available()


def unavailable_reason() -> str | None:
    """Why search is full text only, for the page and the API; None when it is hybrid."""
    if not settings.SEMANTIC:
        return None  # switched off on purpose: nothing to tell
    if not embedding.available():
        return (
            "Semantic search is not installed, so these are full-text matches only "
            f"(to add it: {embedding.INSTALL_HINT})."
        )
    return None


def paper_text(title: str, abstract: str) -> str:
    return f"{title.strip()}. {abstract.strip()}" if abstract.strip() else title.strip()


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def stale() -> Q:
    """Papers whose vector is missing, of another model, or older than the paper."""
    return (
        Q(vector__isnull=True)
        | ~Q(vector__model=MODEL_KEY)
        | Q(vector__updated_at__lt=F("updated_at"))
    )


def count_stale() -> int:
    return Paper.objects.filter(stale()).count()


def sync(
    *,
    budget_seconds: float | None = None,
    everything: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Embed the stale papers (or every paper); returns how many vectors were written."""
    encoder = embedding.Encoder.get()
    papers = Paper.objects.all() if everything else Paper.objects.filter(stale())
    pending = list(papers.order_by("pk").values_list("pk", flat=True))
    started = time.monotonic()
    written = 0
    for start in range(0, len(pending), CHUNK):
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            break
        chunk = pending[start : start + CHUNK]
        rows = Paper.objects.filter(pk__in=chunk).values_list("pk", "title", "abstract")
        current = dict(
            PaperVector.objects.filter(pk__in=chunk, model=MODEL_KEY).values_list(
                "paper_id", "text_hash"
            )
        )
        todo, unchanged = [], []
        for pk, title, abstract in rows:
            text = paper_text(title, abstract)
            digest = text_hash(text)
            if not everything and current.get(pk) == digest:
                unchanged.append(pk)  # metadata changed, text did not: keep the vector
            else:
                todo.append((pk, text, digest))
        if unchanged:
            PaperVector.objects.filter(pk__in=unchanged).update(updated_at=timezone.now())
        if todo:
            vectors = encoder.encode([text for _, text, _ in todo]).astype("<f2")
            PaperVector.objects.bulk_create(
                [
                    PaperVector(
                        paper_id=pk, model=MODEL_KEY, text_hash=digest, vector=vec.tobytes()
                    )
                    for (pk, _, digest), vec in zip(todo, vectors, strict=True)
                ],
                update_conflicts=True,
                unique_fields=["paper"],
                update_fields=["model", "text_hash", "vector", "updated_at"],
            )
            written += len(todo)
        progress(min(start + CHUNK, len(pending)), len(pending))
    return written


@dataclass
class Neighbours:
    ids: list[int]
    scores: list[float]


class VectorIndex:
    """This process's copy of every vector, refreshed from the database as it changes."""

    _lock = threading.Lock()
    _instance: VectorIndex | None = None

    def __init__(self) -> None:
        import numpy as np

        self.pks = np.empty(0, dtype=np.int64)
        self.matrix = np.empty((0, embedding.DIMENSIONS), dtype=np.float32)
        self.row: dict[int, int] = {}
        self.seen = None  # the newest updated_at loaded
        self.checked = 0.0
        self._load(full=True)

    @classmethod
    def get(cls) -> VectorIndex:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            else:
                cls._instance.refresh()
            return cls._instance

    @classmethod
    def forget(cls) -> None:
        with cls._lock:
            cls._instance = None

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.checked < REFRESH_SECONDS:
            return
        self.checked = now
        if PaperVector.objects.filter(model=MODEL_KEY).count() < len(self.pks):
            self._load(full=True)  # papers were deleted
        else:
            self._load(full=False)

    def _load(self, *, full: bool) -> None:
        import numpy as np

        rows = PaperVector.objects.filter(model=MODEL_KEY)
        if not full and self.seen is not None:
            # Overlap the last window: a transaction may commit rows stamped a little earlier
            # than rows already seen. Reloading a row twice is harmless.
            rows = rows.filter(updated_at__gt=self.seen - OVERLAP)
        newest = rows.aggregate(newest=Max("updated_at"))["newest"]
        if newest is None:
            self.checked = time.monotonic()
            return
        rows = rows.filter(updated_at__lte=newest)
        pks, blobs, bad = [], [], []
        for pk, blob in rows.values_list("paper_id", "vector").iterator(chunk_size=10_000):
            if blob is None or len(blob) != _BYTES:
                bad.append(pk)
                continue
            pks.append(pk)
            blobs.append(bytes(blob))
        if bad:
            log.warning("%d unreadable paper vectors deleted; sync embeds them again", len(bad))
            PaperVector.objects.filter(pk__in=bad).delete()
        fresh = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(-1, embedding.DIMENSIONS)
        fresh = fresh.astype(np.float32)
        if full:
            self.pks = np.array(pks, dtype=np.int64)
            self.matrix = np.ascontiguousarray(fresh)
            self.row = {pk: i for i, pk in enumerate(pks)}
        else:
            new_rows = []
            for pk, vector in zip(pks, fresh, strict=True):
                where = self.row.get(pk)
                if where is None:
                    new_rows.append((pk, vector))
                else:
                    self.matrix[where] = vector
            if new_rows:
                start = len(self.pks)
                self.pks = np.concatenate([self.pks, [pk for pk, _ in new_rows]])
                self.matrix = np.vstack([self.matrix, [v for _, v in new_rows]])
                for offset, (pk, _) in enumerate(new_rows):
                    self.row[pk] = start + offset
        self.seen = newest
        self.checked = time.monotonic()

    def __len__(self) -> int:
        return len(self.pks)

    def nearest(self, vector: np.ndarray, k: int, exclude: int | None = None) -> Neighbours:
        import numpy as np

        if not len(self.pks):
            return Neighbours([], [])
        scores = self.matrix @ vector
        if exclude is not None and exclude in self.row:
            scores[self.row[exclude]] = -np.inf
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[np.isfinite(scores[top])]
        return Neighbours(self.pks[top].tolist(), scores[top].tolist())

    def vector_of(self, pk: int) -> np.ndarray | None:
        where = self.row.get(pk)
        return None if where is None else self.matrix[where]


def search(text: str, k: int) -> Neighbours:
    """The k papers nearest to a text."""
    vector = embedding.Encoder.get().encode([text])[0]
    return VectorIndex.get().nearest(vector, k)


def related(pk: int, k: int) -> Neighbours | None:
    """The k papers nearest to a paper, or None when the paper has no vector yet."""
    index = VectorIndex.get()
    vector = index.vector_of(pk)
    if vector is None:
        return None
    return index.nearest(vector, k, exclude=pk)
