"""What fills the catalogue: sources, imports, submissions, GitHub."""

from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "dailypapers.ingest"
    label = "ingest"
    verbose_name = "Ingestion"
    default_auto_field = "django.db.models.BigAutoField"
