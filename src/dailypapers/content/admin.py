from django.contrib import admin

from dailypapers.content.models import PaperContent


@admin.register(PaperContent)
class PaperContentAdmin(admin.ModelAdmin):
    """What became of each paper's PDF: filter by status to see the failures and why."""

    list_display = ("paper", "status", "message", "pages", "card_bytes", "attempts", "fetched_at")
    list_filter = ("status", "summary_method")
    search_fields = ("paper__arxiv_id", "paper__title", "message")
    raw_id_fields = ("paper",)
    readonly_fields = [f.name for f in PaperContent._meta.fields if f.name != "id"]
    actions = ["retry"]

    @admin.action(description="Fetch again at the next run")
    def retry(self, request, queryset) -> None:
        changed = queryset.update(status=PaperContent.PENDING, next_attempt_at=None, attempts=0)
        self.message_user(request, f"{changed} paper(s) will be fetched again.")
