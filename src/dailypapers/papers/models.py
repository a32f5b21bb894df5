"""The catalogue and the Daily feed.

The *catalogue* is every paper the site knows (`Paper`: imported, harvested, submitted). The
*Daily feed* is the community's selection: a `DailyEntry` is made by a submission (a person, a
curator, or a curated upstream source such as Hugging Face's daily papers) or by a promotion rule
the operator configures (`papers/curation.py`); bulk imports and harvests fill only the catalogue.
Votes and comments belong to the paper, so a catalogue paper can be discussed and upvoted before
(or without) entering the feed.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.urls import reverse

from dailypapers.papers.categories import category_name
from dailypapers.papers.text import TITLE_KEY_LENGTH, title_key


@functools.cache
def _paper_url_prefix() -> str:
    """`/papers/`: reversed once (feed pages build dozens of paper links per request)."""
    return reverse("papers:paper", args=["x"])[:-1]


class Paper(models.Model):
    """One paper, upserted by arXiv id (without version); the latest version's metadata wins."""

    arxiv_id = models.CharField(
        max_length=40, unique=True, null=True, blank=True, help_text="Without version suffix."
    )
    latest_version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    # The title as looked up (`text.title_key`: no case, accents or punctuation), kept by
    # `save` and by the store's bulk writes.
    title_key = models.CharField(
        max_length=TITLE_KEY_LENGTH, blank=True, default="", db_default="", db_index=True
    )
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True, help_text="Author names, in order.")
    affiliations = models.JSONField(
        default=list,
        blank=True,
        help_text="Per author, in the order of the names: a list of affiliations (may be empty).",
    )
    primary_category = models.CharField(max_length=32, blank=True, db_index=True)
    categories = models.JSONField(default=list, blank=True, help_text="arXiv codes, primary first.")
    published_at = models.DateTimeField(null=True, blank=True, help_text="First version.")
    revised_at = models.DateTimeField(null=True, blank=True, help_text="Latest version.")
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=200, blank=True)
    code_url = models.URLField(max_length=500, blank=True, help_text="Code repository.")
    project_url = models.URLField(max_length=500, blank=True, help_text="Project page.")
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    github_pushed_at = models.DateTimeField(
        null=True, blank=True, help_text="Last push to the code repository (GitHub)."
    )
    organization = models.CharField(
        max_length=200,
        blank=True,
        help_text="Hugging Face's organization, or the affiliation most authors share.",
    )
    ai_summary = models.TextField(blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)
    # Made here from the paper (content app), shown where Hugging Face's are missing and
    # marked as generated; kept on the paper so a card needs no join.
    summary_generated = models.TextField(blank=True, default="", db_default="")
    keywords_generated = models.JSONField(default=list, blank=True, db_default=[])
    thumbnail = models.CharField(
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="The first page's picture at card size, in the content storage.",
    )
    withdrawn = models.BooleanField(default=False)
    listed_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day arXiv announced it (its first version's day when no source said).",
    )
    # Counts imported from another site (Hugging Face) are kept apart from the ones made here,
    # so a re-import never erases local votes; `upvotes` and `num_comments` are stored sums.
    upvotes_imported = models.PositiveIntegerField(default=0, db_default=0)
    upvotes_local = models.PositiveIntegerField(default=0, db_default=0)
    upvotes = models.GeneratedField(
        expression=F("upvotes_imported") + F("upvotes_local"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    comments_imported = models.PositiveIntegerField(default=0, db_default=0)
    comments_local = models.PositiveIntegerField(default=0, db_default=0)
    num_comments = models.GeneratedField(
        expression=F("comments_imported") + F("comments_local"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["listed_on"], name="paper_listed_idx"),
            # A library import looks papers up by DOI, whatever its case.
            models.Index(Lower("doi"), name="paper_doi_lower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title[:80]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.title_key = title_key(self.title)
        fields = kwargs.get("update_fields")
        if fields is not None and "title" in fields and "title_key" not in fields:
            kwargs["update_fields"] = [*fields, "title_key"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return _paper_url_prefix() + self.key

    @property
    def key(self) -> str:
        """The id used in URLs: the arXiv id, or `local-<pk>` for a paper without one."""
        return self.arxiv_id or f"local-{self.pk}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def summary(self) -> str:
        """Hugging Face's summary, or the one made here (`summary_is_generated` tells)."""
        return self.ai_summary or self.summary_generated

    @property
    def summary_is_generated(self) -> bool:
        return not self.ai_summary and bool(self.summary_generated)

    @property
    def keywords(self) -> list[str]:
        return self.ai_keywords or self.keywords_generated

    def snippet(self, limit: int = 320) -> str:
        """The AI summary or the abstract, cut at a word boundary (fast: used on every card)."""
        text = self.summary or self.abstract
        if len(text) <= limit:
            return text
        return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"

    @property
    def authors_short(self) -> str:
        """Up to three names, then how many more (a card's byline)."""
        shown = ", ".join(self.authors[:3])
        more = len(self.authors) - 3
        return f"{shown} and {more} more" if more > 0 else shown

    @property
    def authors_preview(self) -> str:
        """Up to six names, then how many more."""
        shown = ", ".join(self.authors[:6])
        more = len(self.authors) - 6
        return f"{shown} and {more} more" if more > 0 else shown

    @property
    def category_labels(self) -> list[tuple[str, str]]:
        return [(code, category_name(code)) for code in self.categories]


class PaperCategory(models.Model):
    """One (paper, category) pair, so that a feed can be filtered by category with an index."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="category_links")
    category = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "category"], name="paper_category_unique")
        ]
        indexes = [models.Index(fields=["category", "paper"], name="category_paper_idx")]

    def __str__(self) -> str:
        return self.category


class PaperVersion(models.Model):
    """A version of a paper as arXiv numbers them (v1, v2, ...), when the source tells."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "version"], name="paper_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class PaperChange(models.Model):
    """The change log: one row per change of what a derived structure holds of a paper.

    Rows are written by database triggers (migration 0008 for papers, search's 0002 for
    vectors) in the same transaction as the change itself, whatever wrote it (a form, an
    import, the admin, raw SQL): a change that commits is in the log, one that rolls back is
    not. Each consumer (every node's full-text index and vector graph) keeps a cursor of what
    it has applied (`papers/changes.py`); nothing here depends on a clock.
    """

    PAPER = "p"  # title, abstract, authors, categories or dates changed; or added, or deleted
    VECTOR = "v"  # the paper's stored vector was written

    id = models.BigAutoField(primary_key=True)
    paper_id = models.BigIntegerField(help_text="No foreign key: a deleted paper's change stays.")
    kind = models.CharField(max_length=1)
    # PostgreSQL: the id of the transaction that wrote the row (transactions commit out of id
    # order, so consumers read up to the oldest one still running). SQLite: empty, as writers
    # take turns there and the row id is commit order.
    position = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["position"], name="paperchange_position_idx")]

    def __str__(self) -> str:
        return f"change {self.id}: paper {self.paper_id} ({self.kind})"


class ChangeLog(models.Model):
    """The log's identity and retention, one row: `epoch` changes when the database is new or
    restored, so an index made from another database is rebuilt rather than trusted;
    `pruned_below` is the position under which rows were deleted (a consumer behind it
    rebuilds)."""

    epoch = models.CharField(max_length=32)
    pruned_below = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change log {self.epoch[:8]}"


class ChangeConsumer(models.Model):
    """What one consumer on one node has applied, acknowledged after each batch: the lag that
    `dailypapers index status` and `/readyz` report for every node."""

    name = models.CharField(max_length=200, unique=True, help_text="kind@host:data directory")
    position = models.BigIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0, help_text="Changes not yet applied.")
    oldest_pending_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
