from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db import models

from dailypapers.papers.models import Paper, PaperCategory, PaperVersion


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    # Tuples of any length: the feed's admin (feed/admin.py) adds a column and an inline.
    list_display: tuple[str, ...] = (
        "arxiv_id",
        "title",
        "primary_category",
        "listed_on",
        "upvotes",
    )
    list_filter = ("withdrawn",)
    search_fields = ("=arxiv_id", "title")
    readonly_fields = ("created_at", "updated_at", "upvotes", "num_comments")
    inlines: ClassVar[tuple[type[admin.options.InlineModelAdmin[Any, Any]], ...]] = (
        PaperVersionInline,
    )
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False


@admin.register(PaperCategory)
class PaperCategoryAdmin(admin.ModelAdmin):
    list_display = ("category", "paper")
    raw_id_fields = ("paper",)
    search_fields = ("=category",)
    show_full_result_count = False
