from django.contrib import admin, messages

from dailypapers.authors import claims
from dailypapers.authors.models import Author, Claim


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """The curators' queue of claims: pending first; accept or reject a selection."""

    list_display = ("paper", "name", "user", "status", "reason", "created_at")
    list_filter = ("status",)
    search_fields = ("paper__arxiv_id", "paper__title", "user__username", "user__email")
    raw_id_fields = ("paper", "user", "author", "decided_by")
    readonly_fields = ("created_at", "decided_at", "decided_by")
    actions = ["accept", "reject"]

    @admin.display(description="name on the paper")
    def name(self, claim: Claim) -> str:
        return claim.name

    @admin.action(description="Accept the selected claims")
    def accept(self, request, queryset) -> None:
        for claim in queryset.select_related("paper"):
            claims.decide(claim, request.user, accept=True)
        self.message_user(request, f"{queryset.count()} claim(s) accepted.", messages.SUCCESS)

    @admin.action(description="Reject the selected claims")
    def reject(self, request, queryset) -> None:
        for claim in queryset.select_related("paper"):
            claims.decide(claim, request.user, accept=False)
        self.message_user(request, f"{queryset.count()} claim(s) rejected.", messages.SUCCESS)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "merged_into")
    search_fields = ("key", "name")
    raw_id_fields = ("merged_into",)
    readonly_fields = ("key", "family")
