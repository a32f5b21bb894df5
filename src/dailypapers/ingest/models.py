"""What ingestion keeps: each source's state, and the GitHub repositories papers link to.

Both tables kept their first names (`papers_ingeststate`, `papers_coderepo`) when the models
moved here from the catalogue app."""

from __future__ import annotations

from django.db import models


class IngestState(models.Model):
    """One ingestion source (kind + category), its state kept on its row.

    `cursor` holds where the source resumes: an OAI-PMH `from` date and resumption token, the
    newest submission time seen by the API source, the last listing day. The scheduler is a pure
    function of `next_run_at`; a failure stores its message and pushes `next_run_at` back.
    """

    name = models.CharField(max_length=200, unique=True, help_text="kind:category")
    kind = models.CharField(max_length=20)
    category = models.CharField(max_length=40, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Consecutive failed runs.")
    next_run_at = models.DateTimeField(null=True, blank=True)
    papers_seen = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "papers_ingeststate"
        ordering = ["name"]
        verbose_name = "ingestion source"

    def __str__(self) -> str:
        return self.name


class CodeRepo(models.Model):
    """A GitHub repository linked from papers, as GitHub's REST API last described it. The
    ETag makes the next look a conditional request (a 304 costs nothing of the rate limit)."""

    OK, MISSING, ERROR = "ok", "missing", "error"

    full_name = models.CharField(max_length=150, unique=True, help_text="owner/name, lower case.")
    stars = models.PositiveIntegerField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, default=OK)
    message = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "papers_coderepo"

    def __str__(self) -> str:
        return self.full_name
