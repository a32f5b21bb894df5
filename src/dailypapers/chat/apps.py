"""Team chat: channels in Slack, Discord, Matrix... that receive papers through Apprise."""

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "dailypapers.chat"
    label = "chat"
    verbose_name = "Team chat"
    default_auto_field = "django.db.models.BigAutoField"
