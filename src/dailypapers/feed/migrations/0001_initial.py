"""DailyEntry, moved here from the papers app with its table (papers_dailyentry)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from dailypapers.core.moves import content_types_follow


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("papers", "0012_models_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app holds them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DailyEntry",
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
                        ("day", models.DateField()),
                        ("submitted_at", models.DateTimeField()),
                        (
                            "submitter_name",
                            models.CharField(
                                blank=True,
                                help_text="Submitter's name on the site it was imported from.",
                                max_length=150,
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("user", "submitted by a user"),
                                    ("curator", "added by a curator"),
                                    ("hf", "Hugging Face daily papers"),
                                    ("rule", "promoted by a rule"),
                                    ("import", "imported into the feed by the operator"),
                                ],
                                default="user",
                                max_length=10,
                            ),
                        ),
                        ("featured", models.BooleanField(default=False)),
                        (
                            "paper",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="entry",
                                to="papers.paper",
                            ),
                        ),
                        (
                            "submitted_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="submissions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "daily entries",
                        "db_table": "papers_dailyentry",
                        "permissions": [
                            ("feature_paper", "Can feature and unfeature papers in the feed")
                        ],
                        "indexes": [
                            models.Index(fields=["day", "submitted_at"], name="entry_day_idx"),
                            models.Index(fields=["submitted_at"], name="entry_submitted_idx"),
                        ],
                    },
                ),
            ],
        ),
        content_types_follow("papers", "feed", ["dailyentry"]),
    ]
