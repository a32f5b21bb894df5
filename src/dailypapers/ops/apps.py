"""Operations: serve, worker, backup, restore, doctor."""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "dailypapers.ops"
    label = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dailypapers.ops import checks  # noqa: F401  registers the configuration's checks
