from django.contrib import admin

from dailypapers.notifications.models import Follow


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "value", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "value")
