from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "dailypapers.content"
    label = "content"
    verbose_name = "Paper content"
    default_auto_field = "django.db.models.BigAutoField"
