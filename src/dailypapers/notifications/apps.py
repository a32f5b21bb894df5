"""Follows, notifications and their mail."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dailypapers.notifications"
    label = "notifications"
    verbose_name = "Follows and notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # In ready(): the handlers' module imports models, which load after the app configs.
        from dailypapers.notifications import signals  # noqa: F401
