from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "dailypapers.authors"
    label = "people"
    verbose_name = "Authors and organizations"
    default_auto_field = "django.db.models.BigAutoField"
