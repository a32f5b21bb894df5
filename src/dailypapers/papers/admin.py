from django.contrib import admin

from dailypapers.papers.models import DailyEntry, Paper, PaperCategory, PaperVersion


class DailyEntryInline(admin.StackedInline):
    model = DailyEntry
    extra = 0
    readonly_fields = ("upvotes", "num_comments")
    raw_id_fields = ("submitted_by",)


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "title", "primary_category", "latest_version", "updated_at")
    list_filter = ("withdrawn",)
    search_fields = ("=arxiv_id", "title")
    readonly_fields = ("created_at", "updated_at")
    inlines = (DailyEntryInline, PaperVersionInline)
    show_full_result_count = False


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ("day", "paper", "upvotes", "num_comments", "featured", "submitter_name")
    list_filter = ("featured",)
    date_hierarchy = "day"
    list_select_related = ("paper",)
    raw_id_fields = ("paper", "submitted_by")
    readonly_fields = ("upvotes", "num_comments")
    search_fields = ("=paper__arxiv_id", "paper__title")
    show_full_result_count = False


@admin.register(PaperCategory)
class PaperCategoryAdmin(admin.ModelAdmin):
    list_display = ("category", "paper")
    raw_id_fields = ("paper",)
    search_fields = ("=category",)
    show_full_result_count = False
