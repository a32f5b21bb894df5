from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _triggers(using: str = "default", **kwargs: object) -> None:
    """Put back the change log's triggers if a migration rebuilt a table (SQLite's ALTER TABLE
    emulation drops a table's triggers with it); idempotent."""
    # Here: papers.changes imports the models, which load after this module (the app config).
    from dailypapers.papers.changes import install_triggers

    conn = connections[using]
    if "papers_paperchange" in conn.introspection.table_names():
        install_triggers(conn)


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    label = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        post_migrate.connect(_triggers, sender=self, dispatch_uid="papers-change-log-triggers")
