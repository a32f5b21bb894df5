"""The Daily feed: the community's selection from the catalogue, one `DailyEntry` a paper.

An entry is made by a submission (a person, a curator, or a curated upstream source such as Hugging
Face's daily papers) or by a promotion rule the operator configures (`feed/curation.py`); bulk
imports and harvests fill only the catalogue. The table keeps its first name (`papers_dailyentry`):
the model moved here from the catalogue app without moving its rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper


class DailyEntry(models.Model):
    """A paper's place in the Daily feed: the day it entered, how, and who put it there.

    A paper is in the feed at most once (its first day is kept). `source` says how it got there;
    the votes and comments it gathers are counted on the paper.
    """

    USER, CURATOR, HF, RULE, IMPORT = "user", "curator", "hf", "rule", "import"
    UPSTREAM = "upstream"
    SOURCES = [
        (USER, "submitted by a user"),
        (CURATOR, "added by a curator"),
        (HF, "Hugging Face daily papers"),
        (RULE, "promoted by a rule"),
        (IMPORT, "imported into the feed by the operator"),
        (UPSTREAM, "followed from another instance"),
    ]

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="entry")
    day = models.DateField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    submitter_name = models.CharField(
        max_length=150, blank=True, help_text="Submitter's name on the site it was imported from."
    )
    source = models.CharField(max_length=10, choices=SOURCES, default=USER)
    origin = models.CharField(
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="The base URL of the instance it was followed from (DAILYPAPERS_UPSTREAMS); "
        "empty for an entry made here.",
    )
    featured = models.BooleanField(default=False)

    class Meta:
        db_table = "papers_dailyentry"
        verbose_name_plural = "daily entries"
        permissions = [("feature_paper", "Can feature and unfeature papers in the feed")]
        indexes = [
            models.Index(fields=["day", "submitted_at"], name="entry_day_idx"),
            models.Index(fields=["submitted_at"], name="entry_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.paper_id}"

    @property
    def origin_name(self) -> str:
        """The origin as people name a site: `papers.example.org` (no scheme, no end slash)."""
        return origin_name(self.origin)


def origin_name(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


class UpstreamCount(models.Model):
    """The votes and comment count a paper has on one followed source (another instance, or
    Hugging Face for the `hf` source), as last pulled. The paper's imported counts
    (`Paper.upvotes_imported`, `comments_imported`) are the largest of its sources'
    (feed/upstream.py); the votes cast here are counted apart (`upvotes_local`) and never touched
    by a pull."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upstream_counts")
    origin = models.CharField(max_length=200, help_text="The source's base URL.")
    upvotes = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    pulled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "origin"], name="upstream_count_once"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} on {origin_name(self.origin)}: {self.upvotes}"
