"""Paper vectors for the semantic leg: derived data, stored in the database."""

from __future__ import annotations

from django.db import models

from dailypapers.papers.models import Paper


class PaperVector(models.Model):
    """One paper's unit embedding (384 float16, little-endian) of its title and abstract.

    `model` names the model and its variant: a vector of another model is stale. `text_hash`
    lets a paper whose metadata changed but whose text did not keep its vector. `tokens` is how
    many word pieces of the text were embedded (DAILYPAPERS_SEARCH_EMBED_TOKENS for the
    catalogue, all 256 for a paper of the Daily feed).
    """

    paper = models.OneToOneField(
        Paper, on_delete=models.CASCADE, primary_key=True, related_name="vector"
    )
    model = models.CharField(max_length=60)
    text_hash = models.CharField(max_length=16)
    tokens = models.PositiveSmallIntegerField(default=256)
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"vector of paper {self.paper_id} ({self.model})"
