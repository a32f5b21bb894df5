from django.contrib import admin

from dailypapers.digests.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "frequency",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
        "hard_failures",
    )
    list_filter = ("frequency",)
    search_fields = ("email",)
    raw_id_fields = ("user",)
    readonly_fields = ("token", "created_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("period", "subscription", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "period")
    list_select_related = ("subscription",)
    raw_id_fields = ("subscription",)
    search_fields = ("subscription__email", "period")
    show_full_result_count = False
