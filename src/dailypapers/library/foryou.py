"""Each reader's "For you" picks: their library read from the database, the recent papers ranked
by `recommend.rank`, the result stored as `Pick` rows so the page reads them like a feed.

The worker refreshes a reader's picks when their library changed (a save, an upvote, a claim, a
follow marks them stale) and when new papers arrived since the last computation; the page
computes them itself only for a reader it finds stale, so a paper just saved shows its effect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from dailypapers.authors import names
from dailypapers.authors.models import Author, Claim
from dailypapers.community.models import Vote
from dailypapers.core import embedding
from dailypapers.core.numeric import on_big_stack
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.library import recommend
from dailypapers.library.models import CollectionItem, ForYouState, Pick
from dailypapers.notifications.models import Follow
from dailypapers.papers.models import Paper
from dailypapers.search.models import PaperVector

log = logging.getLogger(__name__)
LIBRARY_LIMIT = 1_000  # newest library papers read per kind
FOLLOWED_AUTHOR = 3.0  # weight of a followed author (a library paper's author counts its kind's)
CANDIDATE_LIMIT = 20_000


@dataclass
class Built:
    library: recommend.Library
    paper_ids: list[int]  # per library row
    kinds: list[str]  # per library row: saved, voted, claimed
    author_names: dict[str, str]  # key -> a written form, for the explanations
    every: set[int]  # every library paper, with or without a vector (never picked)


def _vectors(pks: list[int]) -> np.ndarray:
    """(len(pks), 384): the papers' stored vectors, a zero row where none is stored."""
    out = np.zeros((len(pks), embedding.DIMENSIONS), dtype=np.float32)
    if not pks:
        return out
    row = {pk: i for i, pk in enumerate(pks)}
    size = embedding.DIMENSIONS * 2
    for start in range(0, len(pks), 2_000):
        chunk = pks[start : start + 2_000]
        for pk, blob in PaperVector.objects.filter(paper_id__in=chunk).values_list(
            "paper_id", "vector"
        ):
            if blob is not None and len(blob) == size:
                out[row[pk]] = np.frombuffer(bytes(blob), dtype="<f2")
    return out


def library_of(user: User) -> Built:
    """The reader's saved, upvoted and claimed papers (newest first), and their follows."""
    chosen: dict[int, str] = {}
    for kind, ids in (
        (
            "claimed",
            Claim.objects.filter(user=user, status=Claim.ACCEPTED)
            .order_by("-pk")
            .values_list("paper_id", flat=True),
        ),
        (
            "saved",
            CollectionItem.objects.filter(collection__owner=user)
            .order_by("-added_at")
            .values_list("paper_id", flat=True),
        ),
        (
            "voted",
            Vote.objects.filter(user=user).order_by("-pk").values_list("paper_id", flat=True),
        ),
    ):
        for pk in ids[:LIBRARY_LIMIT]:
            chosen.setdefault(pk, kind)
    pks = list(chosen)
    kinds = [chosen[pk] for pk in pks]
    weights = np.array([recommend.WEIGHTS[k] for k in kinds], dtype=np.float32)
    vectors = _vectors(pks)
    has_vector = np.abs(vectors).sum(axis=1) > 0
    authors: dict[str, float] = {}
    written: dict[str, str] = {}
    for pk, name_list in Paper.objects.filter(pk__in=pks).values_list("pk", "authors"):
        for name in set(name_list or []):
            key = names.key(name)
            if key:
                authors[key] = authors.get(key, 0.0) + recommend.WEIGHTS[chosen[pk]]
                written.setdefault(key, name)
    follows = Follow.objects.filter(user=user)
    followed = [f.value for f in follows if f.kind == Follow.AUTHOR]
    known = dict(Author.objects.filter(key__in=followed).values_list("key", "name"))
    for key in followed:
        authors[key] = authors.get(key, 0.0) + FOLLOWED_AUTHOR
        written[key] = known.get(key) or written.get(key) or key
    categories = {f.value for f in follows if f.kind == Follow.CATEGORY}
    keep = [i for i in range(len(pks)) if has_vector[i]]
    library = recommend.Library(
        vectors=vectors[keep], weights=weights[keep], authors=authors, categories=categories
    )
    return Built(library, [pks[i] for i in keep], [kinds[i] for i in keep], written, set(pks))


def window() -> tuple[dt.date, dt.date] | None:
    """The days the picks come from: the last DAILYPAPERS_FORYOU_DAYS up to the newest day
    with papers in the feed or the catalogue."""
    newest = max(
        filter(
            None,
            [
                listings.latest_day(listings.today()),
                Paper.objects.filter(listed_on__lte=listings.today()).aggregate(d=Max("listed_on"))[
                    "d"
                ],
            ],
        ),
        default=None,
    )
    if newest is None:
        return None
    return newest - dt.timedelta(days=settings.FORYOU_DAYS - 1), newest


def candidates(start: dt.date, end: dt.date) -> list[tuple[int, dt.date, list[str], list[str]]]:
    """(pk, day, authors, categories) of the feed's entries and the catalogue's listed papers
    of the window, newest first."""
    rows: dict[int, tuple[int, dt.date, list[str], list[str]]] = {}
    for pk, day, authors, cats in (
        DailyEntry.objects.filter(day__range=(start, end))
        .order_by("-day")
        .values_list("paper_id", "day", "paper__authors", "paper__categories")[:CANDIDATE_LIMIT]
    ):
        rows[pk] = (pk, day, authors or [], cats or [])
    for pk, listed, authors, cats in (
        Paper.objects.filter(listed_on__range=(start, end), withdrawn=False)
        .order_by("-listed_on", "-pk")
        .values_list("pk", "listed_on", "authors", "categories")[:CANDIDATE_LIMIT]
    ):
        if listed is not None:  # always: it is in the range
            rows.setdefault(pk, (pk, listed, authors or [], cats or []))
    return sorted(rows.values(), key=lambda r: (r[1], r[0]), reverse=True)


def _ranking(library, vectors, keys, categories) -> tuple[recommend.Ranked, list[int]]:
    """The candidates scored, and the order of the picks (best first, diversified)."""
    ranked = recommend.rank(library, vectors, keys, categories)
    best = list(np.argsort(-ranked.scores, kind="stable"))
    return ranked, recommend.diversify(best, vectors, ranked.scores, settings.FORYOU_PICKS)


def refresh(user: User) -> int:
    """Compute and store the reader's picks; returns how many."""
    built = library_of(user)
    span = window()
    picks: list[Pick] = []
    if span and not built.library.empty:
        rows = [r for r in candidates(*span) if r[0] not in built.every]
        vectors = _vectors([r[0] for r in rows])
        keys = [[k for k in map(names.key, r[2]) if k] for r in rows]
        # On a thread of our own: OpenBLAS overran the stack of a granian request thread.
        ranked, order = on_big_stack(_ranking, built.library, vectors, keys, [r[3] for r in rows])
        for position, i in enumerate(order, start=1):
            pk, day, _, cats = rows[i]
            pick = Pick(
                user=user, paper_id=pk, rank=position, score=float(ranked.scores[i]), day=day
            )
            hits = ranked.author_hits[i]
            near = int(ranked.nearest[i])
            if hits and (near < 0 or ranked.similarity[i] < 0.5):
                top = max(hits, key=lambda k: built.library.authors[k])
                pick.reason, pick.because_author = Pick.AUTHOR, built.author_names.get(top, top)
            elif near >= 0:
                pick.reason, pick.because_id = built.kinds[near], built.paper_ids[near]
            elif set(cats) & built.library.categories:
                pick.reason = Pick.CATEGORY
                pick.because_author = sorted(set(cats) & built.library.categories)[0]
            else:
                continue
            picks.append(pick)
    fingerprint = hashlib.sha256(
        f"{built.paper_ids}{sorted(built.library.authors)}{span}".encode()
    ).hexdigest()
    with transaction.atomic():
        Pick.objects.filter(user=user).delete()
        Pick.objects.bulk_create(picks, batch_size=500)
        ForYouState.objects.update_or_create(
            user=user,
            defaults={
                "computed_at": timezone.now(),
                "library_size": len(built.every),
                "fingerprint": fingerprint,
                "stale": False,
            },
        )
    return len(picks)


def mark_stale(user_id: int) -> None:
    """The reader's library changed: the worker (or their next visit) computes the picks again."""
    updated = ForYouState.objects.filter(user_id=user_id).update(stale=True)
    if not updated:
        ForYouState.objects.get_or_create(user_id=user_id, defaults={"stale": True})


def newest_change() -> dt.datetime | None:
    """When the candidates last changed: the newest feed entry or catalogued paper."""
    entry = DailyEntry.objects.aggregate(t=Max("submitted_at"))["t"]
    paper = Paper.objects.filter(listed_on__isnull=False).aggregate(t=Max("created_at"))["t"]
    return max(filter(None, [entry, paper]), default=None)


def refresh_due(budget_seconds: float = 60) -> int:
    """The worker's job: refresh stale readers, then readers whose picks predate new papers.
    Returns how many readers were refreshed."""
    deadline = time.monotonic() + budget_seconds
    changed = newest_change()
    due = Q(stale=True) | Q(computed_at__isnull=True)
    if changed:
        due |= Q(computed_at__lt=changed)
    done = 0
    states = list(ForYouState.objects.filter(due).order_by("-stale", "computed_at")[:1000])
    users = get_user_model().objects.filter(is_active=True).in_bulk([s.user_id for s in states])
    for state in states:
        if time.monotonic() > deadline:
            break
        user = users.get(state.user_id)
        if user is None:
            continue
        try:
            refresh(user)
        except Exception:  # one reader's failure must not stop the others
            log.exception("For you: refreshing the picks of user %s failed", state.user_id)
            continue
        done += 1
    return done


def picks_for(user: User, start: dt.date, end: dt.date, limit: int) -> list[Pick]:
    return list(
        Pick.objects.filter(user=user, day__range=(start, end))
        .select_related("paper", "paper__entry", "because")
        .order_by("rank")[:limit]
    )


def ensure_fresh(user: User) -> ForYouState | None:
    """The reader's state, their picks computed first when their library changed since."""
    state = ForYouState.objects.filter(user=user).first()
    if state is None or state.stale or state.computed_at is None:
        refresh(user)
        state = ForYouState.objects.filter(user=user).first()
    return state
