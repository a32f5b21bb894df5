"""What enters the Daily feed: submissions, curators, curated upstream sources and promotion rules.

The catalogue holds every paper the site knows; the Daily feed holds the community's pick. A paper
enters the feed (gets a DailyEntry, once) only when:
- somebody submits it while its first arXiv version is recent (`DAILYPAPERS_SUBMIT_WINDOW_DAYS`,
  7 days by default, as on Hugging Face); submitting a paper already in the feed adds the
  submitter's upvote instead of a second entry (community/services.py);
- a curator adds it, whatever its age (the admin, or `dailypapers submit --curator`);
- a curated upstream source lists it (Hugging Face's daily papers: `hf` imports and the `hf`
  source; another instance this one follows, `DAILYPAPERS_UPSTREAMS`, unless
  `DAILYPAPERS_UPSTREAM_ENTRIES=rules` leaves the choice to the topics rule below), or the
  operator imports a file into the feed on purpose (`import ... --feed`);
- a promotion rule of the operator's picks it (all off but the first by default):
  - votes: `DAILYPAPERS_PROMOTE_VOTES` upvotes cast here (default 3) while its first version is at
    most `DAILYPAPERS_PROMOTE_WITHIN_DAYS` old (default 7);
  - topics, for a lab's instance: a new paper of `DAILYPAPERS_PROMOTE_CATEGORIES` and/or matching
    `DAILYPAPERS_PROMOTE_KEYWORDS` enters when it arrives, within the same age limit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper


def first_version_day(paper: Paper) -> dt.date | None:
    """The day (in the site's time zone) of the paper's first arXiv version, if known."""
    when = paper.published_at
    return timezone.localdate(when) if when else paper.listed_on


def age_days(paper: Paper, on: dt.date | None = None) -> int | None:
    first = first_version_day(paper)
    return None if first is None else ((on or listings.today()) - first).days


def within(paper: Paper, days: int, on: dt.date | None = None) -> bool:
    """Whether the paper's first version is at most `days` old (a paper of unknown age is not)."""
    age = age_days(paper, on)
    return age is not None and age <= days


def add_to_feed(
    paper: Paper,
    *,
    source: str,
    user: User | AnonymousUser | None = None,
    day: dt.date | None = None,
    origin: str = "",
) -> DailyEntry | None:
    """Put the paper in the feed on `day` (today); None when it was in the feed already.
    `origin`: the base URL of the instance it was followed from, if any."""
    with transaction.atomic():
        entry, created = DailyEntry.objects.get_or_create(
            paper=paper,
            defaults={
                "day": day or listings.today(),
                "submitted_at": timezone.now(),
                "submitted_by": user if user is not None and user.is_authenticated else None,
                "source": source,
                "origin": origin,
            },
        )
    return entry if created else None


# --- promotion rules ---------------------------------------------------------------------------


def promote_by_votes(paper: Paper, local_votes: int) -> DailyEntry | None:
    """The votes rule, after a vote: enough local upvotes on a recent paper put it in the feed."""
    needed = settings.PROMOTE_VOTES
    if not needed or local_votes < needed or hasattr(paper, "entry"):
        return None
    if not within(paper, settings.PROMOTE_WITHIN_DAYS):
        return None
    return add_to_feed(paper, source=DailyEntry.RULE)


def _keyword_pattern(keywords: list[str]) -> re.Pattern[str] | None:
    words = [re.escape(k.strip()) for k in keywords if k.strip()]
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


def topic_rule_matches(paper: Paper) -> bool:
    """The topics rule: in a promoted category and/or holding a promoted keyword."""
    categories = set(settings.PROMOTE_CATEGORIES)
    pattern = _keyword_pattern(settings.PROMOTE_KEYWORDS)
    if not categories and pattern is None:
        return False
    if categories and not categories & set(paper.categories):
        return False
    return pattern is None or bool(pattern.search(f"{paper.title}\n{paper.abstract}"))


def promote_new(paper_ids: Iterable[int]) -> int:
    """The topics rule, for papers that just arrived in the catalogue; returns how many entered."""
    if not settings.PROMOTE_CATEGORIES and not settings.PROMOTE_KEYWORDS:
        return 0
    added = 0
    candidates = Paper.objects.filter(pk__in=list(paper_ids), entry__isnull=True)
    for paper in candidates.only("id", "title", "abstract", "categories", "published_at"):
        if within(paper, settings.PROMOTE_WITHIN_DAYS) and topic_rule_matches(paper):
            added += add_to_feed(paper, source=DailyEntry.RULE) is not None
    return added


def promote_followed(days: Mapping[int, dt.date], origin: str) -> int:
    """The topics rule for papers an upstream instance listed, when only the rules choose what
    enters from upstreams (`DAILYPAPERS_UPSTREAM_ENTRIES=rules`): `days` maps each paper's pk to
    its day on the upstream, where a picked paper enters (via `origin`) if it is at most
    `PROMOTE_WITHIN_DAYS` old on that day. Returns how many entered."""
    added = 0
    candidates = Paper.objects.filter(pk__in=list(days), entry__isnull=True)
    for paper in candidates.only("id", "title", "abstract", "categories", "published_at"):
        day = days[paper.pk]
        if within(paper, settings.PROMOTE_WITHIN_DAYS, on=day) and topic_rule_matches(paper):
            entry = add_to_feed(paper, source=DailyEntry.RULE, day=day, origin=origin)
            added += entry is not None
    return added


def rules() -> list[str]:
    """The promotion rules in force, in words (for the admin, `dailypapers feed rules`, pages)."""
    described = []
    window = settings.PROMOTE_WITHIN_DAYS
    if settings.PROMOTE_VOTES:
        described.append(
            f"{settings.PROMOTE_VOTES} upvotes here within {window} days of its first version"
        )
    topics = []
    if settings.PROMOTE_CATEGORIES:
        topics.append("in " + ", ".join(settings.PROMOTE_CATEGORIES))
    if settings.PROMOTE_KEYWORDS:
        topics.append("mentioning " + ", ".join(f"“{k}”" for k in settings.PROMOTE_KEYWORDS))
    if topics:
        described.append(f"new papers {' and '.join(topics)} (at most {window} days old)")
    return described
