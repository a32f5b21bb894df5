from django.apps import AppConfig


class PersonalConfig(AppConfig):
    name = "dailypapers.library"
    label = "personal"
    verbose_name = "Collections and For you"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # In ready(): the handlers' module imports models, which load after the app configs.
        from dailypapers.library import signals

        signals.connect()
