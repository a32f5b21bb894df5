"""The Daily feed in the admin: its entries, and the catalogue's paper admin extended with the
feed (an inline of the paper's entry, "add to today's feed")."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.feed import curation
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.admin import PaperAdmin
from dailypapers.papers.models import Paper


class DailyEntryInline(admin.StackedInline):
    model = DailyEntry
    extra = 0
    raw_id_fields = ("submitted_by",)


admin.site.unregister(Paper)


@admin.register(Paper)
class FeedPaperAdmin(PaperAdmin):
    list_display = (*PaperAdmin.list_display, "in_feed")
    inlines = (DailyEntryInline, *PaperAdmin.inlines)
    list_select_related = ("entry",)
    actions = ("add_to_feed",)

    @admin.display(boolean=True, description="in the feed")
    def in_feed(self, paper: Paper) -> bool:
        return hasattr(paper, "entry")

    def has_feature_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("feed.feature_paper")

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
    list_filter = ("source", "origin", "featured")
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
        return request.user.has_perm("feed.feature_paper")

    @admin.action(description="Feature the selected papers", permissions=["feature"])
    def feature(self, request: HttpRequest, queryset: QuerySet[DailyEntry]) -> None:
        self.message_user(request, f"{queryset.update(featured=True)} paper(s) featured.")

    @admin.action(description="Stop featuring the selected papers", permissions=["feature"])
    def unfeature(self, request: HttpRequest, queryset: QuerySet[DailyEntry]) -> None:
        self.message_user(request, f"{queryset.update(featured=False)} paper(s) unfeatured.")
