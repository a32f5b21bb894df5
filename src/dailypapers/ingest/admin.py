from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.ingest.models import HubLinks, IngestState


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


@admin.register(HubLinks)
class HubLinksAdmin(admin.ModelAdmin):
    list_display = ("paper", "num_models", "num_datasets", "num_spaces", "status", "checked_at")
    list_filter = ("status",)
    search_fields = ("paper__arxiv_id",)
    raw_id_fields = ("paper",)
    readonly_fields = ("checked_at",)
