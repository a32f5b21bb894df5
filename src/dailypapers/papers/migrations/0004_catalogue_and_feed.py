"""The catalogue and the Daily feed are kept apart (see papers/models.py), in three steps: the new
fields (this migration), the data (0005), the counts' old columns removed (0006). On PostgreSQL each
runs in its own transaction: a schema change cannot share one with the data migration's deletes.
"""

from django.db import migrations, models

COUNTS = ("upvotes_imported", "upvotes_local", "comments_imported", "comments_local")


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0003_alter_dailyentry_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="listed_on",
            field=models.DateField(
                blank=True,
                help_text="The day arXiv announced it (its first version's day when no source said).",
                null=True,
            ),
        ),
        *(
            migrations.AddField(
                model_name="paper",
                name=name,
                field=models.PositiveIntegerField(db_default=0, default=0),
            )
            for name in COUNTS
        ),
        migrations.AddField(
            model_name="dailyentry",
            name="source",
            field=models.CharField(
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
    ]
