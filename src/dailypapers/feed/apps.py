"""The Daily feed: entries, curation, listings."""

from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "dailypapers.feed"
    label = "feed"
    verbose_name = "Daily feed"
    default_auto_field = "django.db.models.BigAutoField"
