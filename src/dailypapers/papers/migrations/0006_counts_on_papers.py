"""Votes and comment counts live on the paper now (0005 copied them): the entry's columns go."""

import django.db.models.expressions
from django.db import migrations, models

COUNTS = ("upvotes_imported", "upvotes_local", "comments_imported", "comments_local")


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0005_feed_entries"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="dailyentry", name="entry_day_votes_idx"),
        migrations.RemoveField(model_name="dailyentry", name="upvotes"),
        migrations.RemoveField(model_name="dailyentry", name="num_comments"),
        *(migrations.RemoveField(model_name="dailyentry", name=name) for name in COUNTS),
        migrations.AddField(
            model_name="paper",
            name="upvotes",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.expressions.CombinedExpression(
                    models.F("upvotes_imported"), "+", models.F("upvotes_local")
                ),
                output_field=models.IntegerField(),
            ),
        ),
        migrations.AddField(
            model_name="paper",
            name="num_comments",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.expressions.CombinedExpression(
                    models.F("comments_imported"), "+", models.F("comments_local")
                ),
                output_field=models.IntegerField(),
            ),
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(fields=["listed_on"], name="paper_listed_idx"),
        ),
        migrations.AddIndex(
            model_name="dailyentry",
            index=models.Index(fields=["day", "submitted_at"], name="entry_day_idx"),
        ),
    ]
