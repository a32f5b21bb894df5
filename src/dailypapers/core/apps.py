"""The base layer: settings helpers, task leases, mail, HTTP, numerics; imports no other app."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dailypapers.core"
    label = "core"
    verbose_name = "Base"
    default_auto_field = "django.db.models.BigAutoField"
