"""TaskLease, moved here from the papers app with its table (papers_tasklease)."""

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
                    name="TaskLease",
                    fields=[
                        (
                            "name",
                            models.CharField(max_length=100, primary_key=True, serialize=False),
                        ),
                        ("holder", models.CharField(max_length=200)),
                        ("expires_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "papers_tasklease",
                    },
                ),
            ],
        ),
        content_types_follow("papers", "core", ["tasklease"]),
    ]
