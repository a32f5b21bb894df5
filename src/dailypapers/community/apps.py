from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        # In ready(): roles.py imports the auth models, which load after the app configs.
        from dailypapers.community.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
