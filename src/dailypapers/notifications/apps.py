"""Follows, notifications and their mail."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dailypapers.notifications"
    label = "notifications"
    verbose_name = "Follows and notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dailypapers.notifications import signals  # noqa: F401
