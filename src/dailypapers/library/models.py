"""Collections (named, ordered lists of papers with notes) and each reader's "For you" picks.

A private collection is seen by its owner only, in every interface: the pages, the API, the
feeds, the BibTeX export and the sitemap all read collections through `visible_to()`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify

from dailypapers.papers.models import Paper

MAX_NAME = 120
MAX_DESCRIPTION = 2_000
MAX_NOTE = 2_000


class CollectionQuerySet(models.QuerySet):
    def visible_to(self, user: User | AnonymousUser) -> CollectionQuerySet:
        """Public collections, and the user's own."""
        if user.is_authenticated:
            return self.filter(Q(public=True) | Q(owner=user))
        return self.filter(public=True)


class Collection(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paper_collections"
    )
    name = models.CharField(max_length=MAX_NAME)
    description = models.TextField(blank=True, max_length=MAX_DESCRIPTION)
    public = models.BooleanField(default=False, help_text="Seen by everyone; else by its owner.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="collection_name_per_owner")
        ]
        indexes = [models.Index(fields=["public", "-updated_at"], name="collection_public_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("personal:collection", args=[self.pk, self.slug])

    @property
    def slug(self) -> str:
        return slugify(self.name)[:60] or "collection"


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_items")
    position = models.IntegerField(help_text="Order in the collection, smallest first.")
    note = models.TextField(blank=True, max_length=MAX_NOTE)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "paper"], name="collection_paper_once")
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}: {self.paper_id}"


class Pick(models.Model):
    """One paper the worker picked for a reader, with why (written by `foryou.refresh`)."""

    SAVED, VOTED, CLAIMED, AUTHOR, CATEGORY = "saved", "voted", "claimed", "author", "category"
    LIKED, FOLLOWED, OWN = "liked", "followed", "own"
    REASONS = [
        (SAVED, "saved"),
        (VOTED, "upvoted"),
        (CLAIMED, "claimed"),
        (AUTHOR, "author"),
        (CATEGORY, "category"),
        (LIKED, "more like this"),
        (FOLLOWED, "followed author"),
        (OWN, "the reader's own paper (shown apart, never a pick)"),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="picks"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    day = models.DateField(help_text="The day the paper was listed or entered the feed.")
    reason = models.CharField(max_length=10, choices=REASONS)
    because = models.ForeignKey(
        Paper,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The library paper it is most like.",
    )
    because_author = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="pick_once")]
        indexes = [models.Index(fields=["user", "day", "rank"], name="pick_user_day_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}#{self.rank}: {self.paper_id}"


class Feedback(models.Model):
    """What a reader taught "For you" about one paper: more like it, or not interested. Read by
    `foryou.library_of` at the next ranking; listed (and undone) on the For you settings page."""

    MORE, LESS = "more", "less"
    KINDS = [(MORE, "more like this"), (LESS, "not interested")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="foryou_feedback"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=KINDS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="feedback_once_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.paper_id}"


class ForYouState(models.Model):
    """When a reader's picks were computed, and from how big a library."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="foryou"
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    library_size = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Of the library and the candidates used."
    )
    stale = models.BooleanField(default=True, help_text="The library changed since.")

    def __str__(self) -> str:
        return f"For you of {self.user_id}"


class ImportJob(models.Model):
    """A library import too large to run while the page waits: the worker runs it
    (`imports.run_job`), the collection's import page shows its progress, then its report."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed")]

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="import_jobs")
    filename = models.CharField(max_length=255, blank=True)
    data = models.BinaryField(help_text="The uploaded file; emptied once the import ran.")
    size = models.PositiveIntegerField(default=0, help_text="Bytes uploaded.")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    stage = models.CharField(max_length=60, blank=True, help_text="What it is doing now.")
    total = models.PositiveIntegerField(default=0, help_text="Entries in the file, once read.")
    done = models.PositiveIntegerField(default=0, help_text="Entries matched so far.")
    report = models.JSONField(default=dict, blank=True, help_text="Per entry, once done.")
    error = models.TextField(blank=True, help_text="Why nothing was imported.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="import_job_status_idx")]

    def __str__(self) -> str:
        return f"import {self.pk} into {self.collection_id}: {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.DONE, self.FAILED)
