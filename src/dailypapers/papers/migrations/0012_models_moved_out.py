"""DailyEntry, IngestState, TaskLease and CodeRepo moved to the feed, ingest and core apps, their
tables and rows kept (see dailypapers/core/moves.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0011_github"),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app holds them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="CodeRepo",
                ),
                migrations.RemoveField(
                    model_name="dailyentry",
                    name="paper",
                ),
                migrations.RemoveField(
                    model_name="dailyentry",
                    name="submitted_by",
                ),
                migrations.DeleteModel(
                    name="IngestState",
                ),
                migrations.DeleteModel(
                    name="TaskLease",
                ),
                migrations.DeleteModel(
                    name="DailyEntry",
                ),
            ],
        ),
    ]
