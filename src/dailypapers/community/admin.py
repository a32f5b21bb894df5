from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.community import services
from dailypapers.community.models import Comment, Profile, RateLimit, Vote
from dailypapers.core.requests import signed_in_user


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "paper", "created_at", "hidden", "short_body")
    list_filter = ("hidden",)
    list_select_related = ("author", "paper")
    search_fields = ("body", "author__username", "=paper__arxiv_id")
    raw_id_fields = ("paper", "author", "parent", "hidden_by")
    readonly_fields = ("body_html", "created_at", "edited_at")
    actions = ("hide", "show")
    show_full_result_count = False

    @admin.display(description="Comment")
    def short_body(self, obj: Comment) -> str:
        return obj.body[:80]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("community.moderate_comment")

    @admin.action(description="Hide the selected comments", permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        moderator = signed_in_user(request)
        for comment in queryset:
            services.set_hidden(moderator, comment, True, "hidden by a moderator")
        self.message_user(request, f"{queryset.count()} comment(s) hidden.")

    @admin.action(description="Show the selected comments", permissions=["moderate"])
    def show(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        moderator = signed_in_user(request)
        for comment in queryset:
            services.set_hidden(moderator, comment, False)
        self.message_user(request, f"{queryset.count()} comment(s) shown.")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "email_confirmed_at", "banned_at", "ban_reason")
    list_filter = ("banned_at",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
    actions = ("ban", "unban")

    def has_ban_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("community.ban_user")

    @admin.action(description="Ban the selected people", permissions=["ban"])
    def ban(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        moderator = signed_in_user(request)
        for profile in queryset.select_related("user"):
            try:
                services.set_banned(moderator, profile.user, True, "banned by a moderator")
            except services.ActionError as exc:
                self.message_user(request, f"{profile.user}: {exc}", messages.ERROR)

    @admin.action(description="Lift the ban of the selected people", permissions=["ban"])
    def unban(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        moderator = signed_in_user(request)
        for profile in queryset.select_related("user"):
            services.set_banned(moderator, profile.user, False)


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("user", "paper", "created_at")
    list_select_related = ("user", "paper")
    raw_id_fields = ("user", "paper")
    search_fields = ("user__username", "=paper__arxiv_id")
    show_full_result_count = False


@admin.register(RateLimit)
class RateLimitAdmin(admin.ModelAdmin):
    list_display = ("key", "window_start", "count")
    search_fields = ("key",)
