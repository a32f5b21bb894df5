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
from dataclasses import dataclass, field

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
from dailypapers.library.models import CollectionItem, Feedback, ForYouState, Pick
from dailypapers.notifications.models import Follow
from dailypapers.papers.models import Paper
from dailypapers.search.models import PaperVector

log = logging.getLogger(__name__)
LIBRARY_LIMIT = 1_000  # newest library papers read per kind
FOLLOWED_AUTHOR = 3.0  # weight of a followed author (a library paper's author counts its kind's)
CANDIDATE_LIMIT = 20_000
AUTHOR_REASON = 0.3  # standard units a shared author must add to be named as the reason
STRONG_MATCH = 0.5  # cosine similarity above which content, not a shared author, explains a pick


@dataclass
class Built:
    library: recommend.Library
    paper_ids: list[int]  # per library row
    kinds: list[str]  # per library row: saved, voted, claimed, liked
    author_names: dict[str, str]  # key -> a written form, for the explanations
    every: set[int]  # every library paper and every paper with feedback (never picked)
    own: set[str] = field(default_factory=set)  # the reader's own author keys (claims)
    disliked: list[int] = field(default_factory=list)  # papers marked "not interested"


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


def own_keys(user: User) -> set[str]:
    """The reader's own author keys: the names at the positions of their accepted claims."""
    keys: set[str] = set()
    claims = Claim.objects.filter(user=user, status=Claim.ACCEPTED).select_related(
        "author", "paper"
    )
    for claim in claims:
        if claim.author is not None and claim.author.key:
            keys.add(claim.author.key)
        written = claim.paper.authors or []
        if claim.position < len(written):
            key = names.key(written[claim.position])
            if key:
                keys.add(key)
    return keys


def library_of(user: User) -> Built:
    """The reader's saved, upvoted, claimed and "more like this" papers (newest first), their
    follows, and the papers they marked "not interested"."""
    chosen: dict[int, str] = {}
    feedback = list(
        Feedback.objects.filter(user=user).values_list("paper_id", "kind")[:LIBRARY_LIMIT]
    )
    for kind, ids in (
        ("liked", [pk for pk, k in feedback if k == Feedback.MORE]),
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
    disliked = [pk for pk, k in feedback if k == Feedback.LESS and pk not in chosen]
    pks = list(chosen)
    kinds = [chosen[pk] for pk in pks]
    weights = np.array([recommend.WEIGHTS[k] for k in kinds], dtype=np.float32)
    vectors = _vectors(pks)
    has_vector = np.abs(vectors).sum(axis=1) > 0
    own = own_keys(user)
    authors: dict[str, float] = {}
    written: dict[str, str] = {}
    for pk, name_list in Paper.objects.filter(pk__in=pks).values_list("pk", "authors"):
        keyed = {names.key(name): name for name in name_list or []}
        keyed.pop("", None)
        # A library paper's weight is shared among its authors: 100 names, 1/100 each.
        share = recommend.WEIGHTS[chosen[pk]] / max(len(keyed), 1)
        for key, name in keyed.items():
            if key not in own:
                authors[key] = authors.get(key, 0.0) + share
                written.setdefault(key, name)
    follows = Follow.objects.filter(user=user)
    followed = {f.value for f in follows if f.kind == Follow.AUTHOR} - own
    known = dict(Author.objects.filter(key__in=followed).values_list("key", "name"))
    for key in followed:
        written[key] = known.get(key) or written.get(key) or key
    categories = {f.value for f in follows if f.kind == Follow.CATEGORY}
    keep = [i for i in range(len(pks)) if has_vector[i]]
    negatives = _vectors(disliked)
    negatives = negatives[np.abs(negatives).sum(axis=1) > 0]
    library = recommend.Library(
        vectors=vectors[keep],
        weights=weights[keep],
        authors=authors,
        categories=categories,
        followed=followed,
        negatives=negatives,
    )
    return Built(
        library,
        [pks[i] for i in keep],
        [kinds[i] for i in keep],
        written,
        set(pks) | set(disliked),
        own,
        disliked,
    )


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


def _reason(built: Built, ranked: recommend.Ranked, i: int, cats: list[str], pick: Pick) -> bool:
    """Fill in why the pick was made (what drove it most); False: nothing did."""
    near = int(ranked.nearest[i])
    followed = ranked.followed_hits[i] if ranked.followed_hits else []
    lifted = ranked.lifted[i] if ranked.lifted else []
    lift = float(ranked.author_lift[i]) if ranked.author_lift is not None else 0.0
    if followed:
        pick.reason, pick.because_author = Pick.FOLLOWED, built.author_names.get(followed[0], "")
    elif lifted and lift >= AUTHOR_REASON and (near < 0 or ranked.similarity[i] < STRONG_MATCH):
        top = max(lifted, key=lambda k: built.library.authors[k])
        pick.reason, pick.because_author = Pick.AUTHOR, built.author_names.get(top, top)
    elif near >= 0:
        pick.reason, pick.because_id = built.kinds[near], built.paper_ids[near]
    elif set(cats) & built.library.categories:
        pick.reason = Pick.CATEGORY
        pick.because_author = sorted(set(cats) & built.library.categories)[0]
    else:
        return False
    return True


def refresh(user: User) -> int:
    """Compute and store the reader's picks (and their own new papers, apart); returns how
    many picks."""
    built = library_of(user)
    span = window()
    picks: list[Pick] = []
    own: list[Pick] = []
    rows: list[tuple[int, dt.date, list[str], list[str]]] = []
    keys: list[list[str]] = []
    if span and not (built.library.empty and not built.own):
        rows = [r for r in candidates(*span) if r[0] not in built.every]
        keys = [[k for k in map(names.key, r[2]) if k] for r in rows]
        mine = [i for i, ks in enumerate(keys) if built.own.intersection(ks)]
        for position, i in enumerate(mine, start=1):
            pk, day, _, _ = rows[i]
            own.append(
                Pick(user=user, paper_id=pk, rank=position, score=0.0, day=day, reason=Pick.OWN)
            )
        if mine:
            skip = set(mine)
            rows = [r for i, r in enumerate(rows) if i not in skip]
            keys = [k for i, k in enumerate(keys) if i not in skip]
    if span and not built.library.empty and rows:
        vectors = _vectors([r[0] for r in rows])
        # On a thread of our own: OpenBLAS overran the stack of a granian request thread.
        ranked, order = on_big_stack(_ranking, built.library, vectors, keys, [r[3] for r in rows])
        for position, i in enumerate(order, start=1):
            pk, day, _, cats = rows[i]
            pick = Pick(
                user=user, paper_id=pk, rank=position, score=float(ranked.scores[i]), day=day
            )
            if _reason(built, ranked, i, cats, pick):
                picks.append(pick)
    fingerprint = hashlib.sha256(
        f"{built.paper_ids}{sorted(built.library.authors)}{sorted(built.library.followed)}"
        f"{built.disliked}{span}".encode()
    ).hexdigest()
    with transaction.atomic():
        Pick.objects.filter(user=user).delete()
        Pick.objects.bulk_create(picks + own, batch_size=500)
        ForYouState.objects.update_or_create(
            user=user,
            defaults={
                "computed_at": timezone.now(),
                "library_size": len(built.paper_ids),
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
        .exclude(reason=Pick.OWN)
        .select_related("paper", "paper__entry", "because")
        .order_by("rank")[:limit]
    )


def own_papers_for(user: User, start: dt.date, end: dt.date) -> list[Pick]:
    """The reader's own new papers of the window ("Your new papers": never among the picks)."""
    return list(
        Pick.objects.filter(user=user, day__range=(start, end), reason=Pick.OWN)
        .select_related("paper", "paper__entry")
        .order_by("-day", "rank")
    )


def give_feedback(user: User, paper: Paper, kind: str) -> Feedback:
    """ "More like this" or "Not interested" on a paper (the latest one counts); the next
    ranking takes it in."""
    found, _ = Feedback.objects.update_or_create(user=user, paper=paper, defaults={"kind": kind})
    mark_stale(user.pk)
    return found


def undo_feedback(user: User, paper: Paper) -> bool:
    deleted, _ = Feedback.objects.filter(user=user, paper=paper).delete()
    if deleted:
        mark_stale(user.pk)
    return bool(deleted)


def ensure_fresh(user: User) -> ForYouState | None:
    """The reader's state, their picks computed first when their library changed since."""
    state = ForYouState.objects.filter(user=user).first()
    if state is None or state.stale or state.computed_at is None:
        refresh(user)
        state = ForYouState.objects.filter(user=user).first()
    return state
