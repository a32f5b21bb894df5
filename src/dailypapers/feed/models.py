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
    SOURCES = [
        (USER, "submitted by a user"),
        (CURATOR, "added by a curator"),
        (HF, "Hugging Face daily papers"),
        (RULE, "promoted by a rule"),
        (IMPORT, "imported into the feed by the operator"),
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
