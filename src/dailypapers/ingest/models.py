"""What ingestion keeps: each source's state, the GitHub repositories papers link to, and the
Hugging Face models, datasets and Spaces that cite them.

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


class HubLinks(models.Model):
    """The models, datasets and Spaces of the Hugging Face Hub citing a paper (their cards link
    its arXiv page; the Hub tags them `arxiv:<id>`), as the Hub's API last listed them: the
    counts and the few most liked of each kind, each item in the Hub's own shape (`id`, `likes`,
    `downloads`, `pipeline_tag` or `sdk`, `lastModified`). One row per paper looked up; the
    ETags make the next look conditional."""

    OK, ERROR = "ok", "error"
    KINDS = ("models", "datasets", "spaces")

    paper = models.OneToOneField("papers.Paper", on_delete=models.CASCADE, related_name="hub_links")
    linked_models = models.JSONField(default=list, blank=True)
    linked_datasets = models.JSONField(default=list, blank=True)
    linked_spaces = models.JSONField(default=list, blank=True)
    num_models = models.PositiveIntegerField(default=0)
    num_datasets = models.PositiveIntegerField(default=0)
    num_spaces = models.PositiveIntegerField(default=0)
    capped = models.JSONField(
        default=list, blank=True, help_text="Kinds whose count is a lower bound (a full page)."
    )
    etags = models.JSONField(default=dict, blank=True, help_text="kind -> the Hub's last ETag.")
    status = models.CharField(max_length=10, default=OK)
    message = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "Hugging Face Hub links"
        verbose_name_plural = "Hugging Face Hub links"

    def __str__(self) -> str:
        return f"Hub links of paper {self.paper_id}"

    @property
    def total(self) -> int:
        return self.num_models + self.num_datasets + self.num_spaces
