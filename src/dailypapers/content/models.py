"""What the site made of a paper's PDF: its status, its pictures, its text, its keywords.

One row per paper that the content pipeline has looked at (`content/service.py`). A paper whose
PDF fails keeps working everywhere (title card, abstract); its row says why in `status` and
`message`, and the admin lists them by status.
"""

from __future__ import annotations

from django.db import models

from dailypapers.content import pdf
from dailypapers.papers.models import Paper


class PaperContent(models.Model):
    PENDING = "pending"
    NOT_PDF = "not_pdf"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"
    FETCH_FAILED = "fetch_failed"
    CRASHED = "crashed"
    STATUSES = [
        (PENDING, "waiting to be fetched"),
        (pdf.OK, "thumbnail and text"),
        (pdf.PARTIAL, "thumbnail and the text of the first pages"),
        (pdf.NO_TEXT, "thumbnail, no usable text layer"),
        (pdf.ENCRYPTED, "encrypted PDF"),
        (pdf.CORRUPT, "corrupt or truncated PDF"),
        (pdf.EMPTY, "PDF without pages"),
        (NOT_PDF, "the server sent something else than a PDF"),
        (TOO_LARGE, "larger than DAILYPAPERS_CONTENT_MAX_MB"),
        (UNAVAILABLE, "arXiv has no PDF for it"),
        (FETCH_FAILED, "fetching failed; retried later"),
        (CRASHED, "rendering crashed, ran out of memory or time"),
    ]
    # Statuses with pictures (and, but for NO_TEXT, text).
    RENDERED = (pdf.OK, pdf.PARTIAL, pdf.NO_TEXT)
    # Statuses worth another try later (the others are a property of the file).
    RETRIED = (PENDING, FETCH_FAILED)

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="content")
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING, db_index=True)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveSmallIntegerField(null=True, blank=True, help_text="PDF version.")
    source = models.CharField(max_length=500, blank=True, help_text="URL or file it came from.")
    fetched_at = models.DateTimeField(null=True, blank=True)
    pdf_bytes = models.PositiveIntegerField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_name = models.CharField(max_length=200, blank=True, help_text="Kept PDF, if kept.")
    pages = models.PositiveIntegerField(null=True, blank=True)
    card_name = models.CharField(max_length=200, blank=True)
    card_bytes = models.PositiveIntegerField(null=True, blank=True)
    page_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, help_text="The paper's text as Markdown.")
    # The generated keywords and summary are kept on the paper (`keywords_generated`,
    # `summary_generated`), where cards read them; here, how and when they were made.
    summary_method = models.CharField(max_length=100, blank=True)
    described_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "paper content"
        verbose_name_plural = "paper content"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="content_due_idx")]

    def __str__(self) -> str:
        return f"{self.paper_id}: {self.status}"

    @property
    def rendered(self) -> bool:
        return self.status in self.RENDERED and bool(self.card_name)
