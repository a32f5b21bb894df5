"""The operator's site-wide channels (and a look at everyone's). The URL is a secret: the form
never shows it back (left empty when editing, it is kept)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.chat import channels, sending
from dailypapers.chat.models import Channel, ChatDelivery


class ChannelForm(forms.ModelForm):
    url = forms.CharField(
        label="Apprise URL",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"size": 80}),
        help_text="slack://…, discord://…, mmosts://…, jsons://… (docs/chat.md). Never shown "
        "again; leave empty to keep the current one.",
    )

    class Meta:
        model = Channel
        fields = [
            "name",
            "url",
            "owner",
            "daily",
            "weekly",
            "followed",
            "collection",
            "enabled",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        url = (data.get("url") or "").strip()
        if not url:
            if not self.instance.pk:
                self.add_error("url", "Enter the channel's Apprise URL.")
                return data
            url = Channel.objects.get(pk=self.instance.pk).url
        self.instance.url = url
        for field in ("owner", "followed", "collection"):
            setattr(self.instance, field, data.get(field))
        try:
            channels.prepare(self.instance)
        except channels.ChannelError as exc:
            raise forms.ValidationError(str(exc)) from None
        data["url"] = self.instance.url
        return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("__str__", "masked", "owner", "daily", "weekly", "enabled", "last_error_at")
    list_filter = ("enabled", "service", "daily", "weekly")
    raw_id_fields = ("owner", "collection")
    search_fields = ("name", "masked")
    readonly_fields = ("masked", "service", "last_sent_at", "last_error", "last_error_at")
    actions = ["send_test"]

    @admin.action(description="Send a test message")
    def send_test(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        for channel in queryset:
            error = sending.send_test(channel)
            if error is None:
                self.message_user(request, f"{channel}: sent.")
            else:
                self.message_user(request, f"{channel}: {error}", messages.ERROR)


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    list_display = ("key", "channel", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status",)
    list_select_related = ("channel",)
    raw_id_fields = ("channel",)
    search_fields = ("key",)
    show_full_result_count = False
