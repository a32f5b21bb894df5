"""IngestState and CodeRepo, moved here from the papers app with their tables."""

from django.db import migrations, models

from dailypapers.core.moves import content_types_follow


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("papers", "0012_models_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app holds them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CodeRepo",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "full_name",
                            models.CharField(
                                help_text="owner/name, lower case.", max_length=150, unique=True
                            ),
                        ),
                        ("stars", models.PositiveIntegerField(blank=True, null=True)),
                        ("pushed_at", models.DateTimeField(blank=True, null=True)),
                        ("etag", models.CharField(blank=True, max_length=200)),
                        ("status", models.CharField(default="ok", max_length=10)),
                        ("message", models.CharField(blank=True, max_length=300)),
                        ("checked_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                    ],
                    options={
                        "db_table": "papers_coderepo",
                    },
                ),
                migrations.CreateModel(
                    name="IngestState",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text="kind:category", max_length=200, unique=True
                            ),
                        ),
                        ("kind", models.CharField(max_length=20)),
                        ("category", models.CharField(blank=True, max_length=40)),
                        ("cursor", models.JSONField(blank=True, default=dict)),
                        ("last_run_at", models.DateTimeField(blank=True, null=True)),
                        ("last_success_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        (
                            "failures",
                            models.PositiveIntegerField(
                                default=0, help_text="Consecutive failed runs."
                            ),
                        ),
                        ("next_run_at", models.DateTimeField(blank=True, null=True)),
                        ("papers_seen", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "verbose_name": "ingestion source",
                        "db_table": "papers_ingeststate",
                        "ordering": ["name"],
                    },
                ),
            ],
        ),
        content_types_follow("papers", "ingest", ["ingeststate", "coderepo"]),
    ]
