from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.papers import curation
from dailypapers.papers.models import (
    DailyEntry,
    IngestState,
    Paper,
    PaperCategory,
    PaperVersion,
)


class DailyEntryInline(admin.StackedInline):
    model = DailyEntry
    extra = 0
    raw_id_fields = ("submitted_by",)


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "title", "primary_category", "listed_on", "upvotes", "in_feed")
    list_filter = ("withdrawn",)
    search_fields = ("=arxiv_id", "title")
    readonly_fields = ("created_at", "updated_at", "upvotes", "num_comments")
    inlines = (DailyEntryInline, PaperVersionInline)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False
    list_select_related = ("entry",)
    actions = ("add_to_feed",)

    @admin.display(boolean=True, description="in the feed")
    def in_feed(self, paper: Paper) -> bool:
        return hasattr(paper, "entry")

    def has_feature_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("papers.feature_paper")

    @admin.action(description="Add the selected papers to today's feed", permissions=["feature"])
    def add_to_feed(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        added = sum(
            curation.add_to_feed(paper, source=DailyEntry.CURATOR, user=request.user) is not None
            for paper in queryset
        )
        self.message_user(request, f"{added} paper(s) added to today's feed.")


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ("day", "paper", "source", "votes", "featured", "submitter_name")
    list_filter = ("source", "featured")
    date_hierarchy = "day"
    list_select_related = ("paper",)
    raw_id_fields = ("paper", "submitted_by")
    search_fields = ("=paper__arxiv_id", "paper__title")
    show_full_result_count = False
    actions = ("feature", "unfeature")

    @admin.display(description="upvotes", ordering="paper__upvotes")
    def votes(self, entry: DailyEntry) -> int:
        return entry.paper.upvotes

    def has_feature_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("papers.feature_paper")

    @admin.action(description="Feature the selected papers", permissions=["feature"])
    def feature(self, request: HttpRequest, queryset: QuerySet[DailyEntry]) -> None:
        self.message_user(request, f"{queryset.update(featured=True)} paper(s) featured.")

    @admin.action(description="Stop featuring the selected papers", permissions=["feature"])
    def unfeature(self, request: HttpRequest, queryset: QuerySet[DailyEntry]) -> None:
        self.message_user(request, f"{queryset.update(featured=False)} paper(s) unfeatured.")


@admin.register(PaperCategory)
class PaperCategoryAdmin(admin.ModelAdmin):
    list_display = ("category", "paper")
    raw_id_fields = ("paper",)
    search_fields = ("=category",)
    show_full_result_count = False


@admin.register(IngestState)
class IngestStateAdmin(admin.ModelAdmin):
    list_display = ("name", "last_run_at", "next_run_at", "failures", "last_error", "papers_seen")
    list_filter = ("kind",)
    readonly_fields = ("last_run_at", "last_success_at", "papers_seen")
    actions = ("run_now",)

    @admin.action(description="Run at the next scheduler tick")
    def run_now(self, request: HttpRequest, queryset: QuerySet[IngestState]) -> None:
        updated = queryset.update(next_run_at=None)
        self.message_user(request, f"{updated} source(s) will run within ten minutes.")
