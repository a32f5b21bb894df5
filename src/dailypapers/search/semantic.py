"""The semantic leg: paper vectors in the database, searched in memory (numpy, faiss HNSW).

- `sync()` embeds the papers that have no vector, a vector of another model, or a vector older
  than the paper's last change (skipping the work when the text itself did not change). It runs
  every minute in the worker, within a time budget, so a large import is caught up over a few
  runs; `dailypapers index rebuild` and `index sync` run it to the end with a progress bar.
- Embedding happens once, in the worker; vectors live in the database, and every write of one
  is in the change log (`papers/changes.py`, kind "v").
- `VectorIndex` holds every vector in this process (145k papers: about 260 MB), loaded once and
  then refreshed from the change log (at most once a second): no clock is involved. A stored
  vector that cannot be read (wrong length) is deleted, so the next sync embeds it again.
- Search is exact (numpy) up to DAILYPAPERS_SEARCH_ANN_MIN vectors: 11 ms at 145k on this
  2-core machine, too slow for the latency target. Above it each machine's follower
  (`dailypapers index follow`, started by every `serve`) writes its own HNSW index (faiss) to
  `<data dir>/search/vectors`, with the change-log cursor it was built at (derived data, rebuilt
  when 5% of the vectors changed since); processes search it and, exactly, the vectors written
  since (benchmarks/search_hybrid.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dailypapers.core import embedding, stopping
from dailypapers.papers import changes
from dailypapers.papers.models import Paper
from dailypapers.search import fulltext
from dailypapers.search.models import PaperVector

log = logging.getLogger(__name__)
MODEL_KEY = f"{embedding.MODEL_NAME}/int8/{embedding.GRAPH_VERSION}"
CHUNK = 256
STEP = 32  # texts embedded between two looks at the stop request (about 1 s on 2 cores)
REFRESH_SECONDS = 1.0
KINDS = changes.PaperChange.VECTOR
DELETION_CHECK_SECONDS = 60.0
# HNSW (faiss IndexHNSWFlat): built by the worker above DAILYPAPERS_SEARCH_ANN_MIN vectors, and
# again once the vectors written since exceed ANN_DELTA_MIN and ANN_DELTA_SHARE of it.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
ANN_DELTA_MIN = 5_000
ANN_DELTA_SHARE = 0.05
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


def tokens_for(in_feed: bool) -> int:
    """Word pieces embedded of a paper's text: all (256) for a paper of the Daily feed, where
    quality matters most; DAILYPAPERS_SEARCH_EMBED_TOKENS for the catalogue (fewer fill a big
    catalogue faster)."""
    return (
        embedding.MAX_TOKENS if in_feed else min(settings.SEARCH_EMBED_TOKENS, embedding.MAX_TOKENS)
    )


def stale() -> Q:
    """Papers whose vector is missing, of another model, older than the paper, or made from
    another number of word pieces than the paper gets now (it entered the feed; the setting
    changed)."""
    catalogue = tokens_for(in_feed=False)
    return (
        Q(vector__isnull=True)
        | ~Q(vector__model=MODEL_KEY)
        | Q(vector__updated_at__lt=F("updated_at"))
        | Q(entry__isnull=False, vector__tokens__lt=embedding.MAX_TOKENS)
        | Q(entry__isnull=True, vector__tokens__lt=catalogue)
        | Q(entry__isnull=True, vector__tokens__gt=catalogue)
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
    papers = Paper.objects.all() if everything else Paper.objects.filter(stale())
    pending = list(papers.order_by("pk").values_list("pk", flat=True))
    started = time.monotonic()
    written = 0
    for start in range(0, len(pending), CHUNK):
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            break
        chunk = pending[start : start + CHUNK]
        rows = Paper.objects.filter(pk__in=chunk).values_list(
            "pk", "title", "abstract", "entry__pk"
        )
        current = {
            pk: (digest, tokens)
            for pk, digest, tokens in PaperVector.objects.filter(
                pk__in=chunk, model=MODEL_KEY
            ).values_list("paper_id", "text_hash", "tokens")
        }
        todo: dict[int, list[tuple[int, str, str]]] = {}  # by word pieces embedded
        unchanged = []
        for pk, title, abstract, entry in rows:
            text = paper_text(title, abstract)
            digest = text_hash(text)
            tokens = tokens_for(in_feed=entry is not None)
            if not everything and current.get(pk) == (digest, tokens):
                unchanged.append(pk)  # metadata changed, text did not: keep the vector
            else:
                todo.setdefault(tokens, []).append((pk, text, digest))
        if unchanged:
            PaperVector.objects.filter(pk__in=unchanged).update(updated_at=timezone.now())
        for tokens, group in todo.items():
            encoder = embedding.Encoder.get(bulk=True, max_tokens=tokens)
            # Written a slice (about a second of work) at a time, and the worker's stop request
            # heard between slices: a stop loses no finished slice; the rest stays stale.
            for first in range(0, len(group), STEP):
                if stopping.requested():
                    log.info("vector sync stopped on request after %d vectors", written)
                    return written
                part = group[first : first + STEP]
                vectors = encoder.encode([text for _, text, _ in part]).astype("<f2")
                PaperVector.objects.bulk_create(
                    [
                        PaperVector(
                            paper_id=pk,
                            model=MODEL_KEY,
                            text_hash=digest,
                            tokens=tokens,
                            vector=vec.tobytes(),
                        )
                        for (pk, _, digest), vec in zip(part, vectors, strict=True)
                    ],
                    update_conflicts=True,
                    unique_fields=["paper"],
                    update_fields=["model", "text_hash", "tokens", "vector", "updated_at"],
                )
                written += len(part)
        progress(min(start + CHUNK, len(pending)), len(pending))
    return written


@dataclass
class Neighbours:
    ids: list[int]
    scores: list[float]


def ann_dir() -> Path:
    return Path(settings.DATA_DIR) / "search" / "vectors"


def _read_rows(rows: QuerySet[PaperVector]) -> tuple[list[int], np.ndarray]:
    """(pks, float32 matrix) of these rows; unreadable vectors are deleted."""
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
    matrix = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(-1, embedding.DIMENSIONS)
    return pks, matrix.astype(np.float32)


def build_ann(progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Write the HNSW index of every current vector (derived data, atomically); returns its
    size, or 0 when there are too few vectors to need one (search is exact then)."""
    import faiss  # the `semantic` extra, maybe not installed (~30 ms to import)

    total = PaperVector.objects.filter(model=MODEL_KEY).count()
    target = ann_dir()
    if total < settings.SEARCH_ANN_MIN:
        shutil.rmtree(target, ignore_errors=True)
        return 0
    cursor = changes.start()  # before reading: vectors written meanwhile are in the delta
    pks, matrix = _read_rows(PaperVector.objects.filter(model=MODEL_KEY).order_by("paper_id"))
    index = faiss.IndexHNSWFlat(embedding.DIMENSIONS, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building uses every core
    try:
        for start in range(0, len(pks), 10_000):
            index.add(matrix[start : start + 10_000])
            progress(min(start + 10_000, len(pks)), len(pks))
    finally:
        faiss.omp_set_num_threads(1)
    building = target.with_name("vectors.new")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    faiss.write_index(index, str(building / "hnsw.faiss"))
    np.save(building / "pks.npy", np.array(pks, dtype=np.int64))
    meta = {
        "model": MODEL_KEY,
        "cursor": cursor.as_json(),
        "built": time.time(),
        "vectors": len(pks),
        "bytes": (building / "hnsw.faiss").stat().st_size,
    }
    (building / "meta.json").write_text(json.dumps(meta))
    fulltext.swap_in(building, target)
    changes.acknowledge("vectors", cursor, rebuilt=True, kinds=KINDS)
    return len(pks)


def ann_needs_rebuild() -> bool:
    """Too many vectors changed since the HNSW index was built (or it is missing)."""
    total = PaperVector.objects.filter(model=MODEL_KEY).count()
    if total < settings.SEARCH_ANN_MIN:
        return (ann_dir() / "meta.json").exists()
    try:
        meta = json.loads((ann_dir() / "meta.json").read_text())
    except (OSError, ValueError):
        return True
    if meta.get("model") != MODEL_KEY:
        return True
    try:  # a damaged file (its size changed) is built again
        if (ann_dir() / "hnsw.faiss").stat().st_size != meta.get("bytes"):
            return True
    except OSError:
        return True
    built = changes.Cursor.from_json(meta.get("cursor"))
    if changes.unfollowable(built):
        return True  # of an older format, made from another database, or behind the log
    changed, _ = changes.backlog(built, KINDS)
    return changed > max(ANN_DELTA_MIN, total * ANN_DELTA_SHARE)


class VectorIndex:
    """This process's view of every vector, refreshed from the change log as vectors are written.

    Below DAILYPAPERS_SEARCH_ANN_MIN vectors (or before this machine's follower has built the
    HNSW file), every vector is one float32 matrix searched exactly. Above, the `base` is the
    HNSW index written by `build_ann` and the `delta` holds, exactly, the vectors written since
    its cursor; base rows whose paper has a newer vector in the delta are skipped.
    """

    _lock = threading.Lock()
    _instance: VectorIndex | None = None

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Open from scratch: this machine's HNSW index and the vectors written since, or every
        vector when there is no usable index."""
        self.base: Any = None  # faiss index
        self.base_pks = np.empty(0, dtype=np.int64)
        self.base_built = 0.0
        self.pks = np.empty(0, dtype=np.int64)  # the delta (or everything, without a base)
        self.matrix = np.empty((0, embedding.DIMENSIONS), dtype=np.float32)
        self.row: dict[int, int] = {}
        self.checked = 0.0
        self.counted = time.monotonic()
        self.cursor = self._open_base()
        if self.cursor is None or not self._follow():  # no usable base: every vector, exactly
            self.base, self.base_pks = None, np.empty(0, dtype=np.int64)
            self.cursor = changes.start()
            self._load(PaperVector.objects.filter(model=MODEL_KEY))
        self.checked = time.monotonic()

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

    def _base_meta(self) -> dict[str, Any]:
        try:
            meta = json.loads((ann_dir() / "meta.json").read_text())
        except (OSError, ValueError):
            return {}
        return meta if meta.get("model") == MODEL_KEY else {}

    def _open_base(self) -> changes.Cursor | None:
        """Open this machine's HNSW file; returns the change-log cursor it was built at, or
        None when there is none that can be used (search is then exact over every vector)."""
        meta = self._base_meta()
        cursor = changes.Cursor.from_json(meta.get("cursor"))
        if not meta or changes.unfollowable(cursor):
            return None
        try:
            import faiss  # the `semantic` extra, maybe not installed (~30 ms to import)

            faiss.omp_set_num_threads(1)  # one query at a time: no idle OpenMP threads
            # The vectors stay in the file, mapped: the web processes of a machine share one
            # copy in the page cache (at 3M papers, 4.6 GB once rather than once per process).
            # (IO_FLAG_MMAP_IFC: in faiss >= 1.10; older ones read the file into memory.)
            mapped = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)
            # An IndexHNSWFlat (`hnsw` below), which faiss types as its base class.
            base: Any = faiss.read_index(str(ann_dir() / "hnsw.faiss"), mapped)
            pks = np.load(ann_dir() / "pks.npy")
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("the HNSW index cannot be read (%s): exact search until it is rebuilt", exc)
            return None
        if base.ntotal != len(pks):
            return None
        base.hnsw.efSearch = settings.SEARCH_ANN_EF
        if len(pks) > 1 and not bool((pks[1:] > pks[:-1]).all()):
            return None  # written by an older version, unsorted: rebuilt by the follower
        # Sorted paper ids, searched by bisection: no per-paper dict (3M entries: ~300 MB).
        self.base, self.base_pks = base, pks
        self.base_built = meta.get("built", 0.0)
        return cursor

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.checked < REFRESH_SECONDS:
            return
        if self._base_meta().get("built", 0.0) != self.base_built:
            self._reset()  # the follower wrote a new HNSW index (or removed it)
            return
        if now - self.counted > DELETION_CHECK_SECONDS:
            # Papers deleted since: rare, and harmless meanwhile (their ids load no paper).
            self.counted = now
            if PaperVector.objects.count() < len(self):
                self._reset()
                return
        if not self._follow():
            log.info("reloading every vector: the change log cannot be followed from here")
            self._reset()
            return
        self.checked = time.monotonic()

    def _follow(self) -> bool:
        """Load the vectors written since the cursor (the change log's "v" rows); False when the
        cursor cannot be followed."""
        while True:
            batch = changes.read(self.cursor, kinds=KINDS)
            if batch.stale:
                return False
            if batch.changes:
                self._load(PaperVector.objects.filter(model=MODEL_KEY, pk__in=batch.paper_ids))
            self.cursor = batch.cursor
            if not batch.more:
                return True

    def _load(self, rows: QuerySet[PaperVector]) -> None:
        pks, fresh_matrix = _read_rows(rows)
        new_rows = []
        for pk, vector in zip(pks, fresh_matrix, strict=True):
            where = self.row.get(pk)
            if where is None:
                new_rows.append((pk, vector))
            else:
                self.matrix[where] = vector
        if new_rows:
            start = len(self.pks)
            self.pks = np.concatenate([self.pks, np.array([pk for pk, _ in new_rows], np.int64)])
            self.matrix = np.vstack([self.matrix, np.array([v for _, v in new_rows])])
            for offset, (pk, _) in enumerate(new_rows):
                self.row[pk] = start + offset

    def __len__(self) -> int:
        """How many papers have a vector here (counts a set: not for every request)."""
        if self.base is None:
            return len(self.pks)

        return len(self.base_pks) + int((~np.isin(self.pks, self.base_pks)).sum())

    @property
    def empty(self) -> bool:
        return self.base is None and not len(self.pks)

    def nearest(self, vector: np.ndarray, k: int, exclude: int | None = None) -> Neighbours:
        found: dict[int, float] = {}
        if len(self.pks):
            scores = self.matrix @ vector
            take = min(k + 1, len(scores))
            top = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else None
            top = np.arange(len(scores)) if top is None else top
            for i in top.tolist():
                found[int(self.pks[i])] = float(scores[i])
        if self.base is not None and self.base.ntotal:
            # Ask for more than k: base rows superseded by the delta are dropped.
            ask = min(k + 1 + min(len(self.row), k), self.base.ntotal)
            self.base.hnsw.efSearch = max(settings.SEARCH_ANN_EF, ask)
            scores, rows = self.base.search(vector[None, :].astype(np.float32), ask)
            for score, row in zip(scores[0].tolist(), rows[0].tolist(), strict=True):
                if row < 0:
                    continue
                pk = int(self.base_pks[row])
                if pk not in self.row:  # a newer vector of this paper is in the delta
                    found[pk] = score
        if exclude is not None:
            found.pop(exclude, None)
        ranked = sorted(found.items(), key=lambda item: -item[1])[:k]
        return Neighbours([pk for pk, _ in ranked], [score for _, score in ranked])

    def vector_of(self, pk: int) -> np.ndarray | None:
        where = self.row.get(pk)
        if where is not None:
            return self.matrix[where]
        if self.base is not None:
            where = int(np.searchsorted(self.base_pks, pk))
            if where < len(self.base_pks) and self.base_pks[where] == pk:
                return self.base.reconstruct(where)
        return None


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
