from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "dailypapers.people"
    label = "people"
    verbose_name = "People"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dailypapers.people import signals  # noqa: F401
