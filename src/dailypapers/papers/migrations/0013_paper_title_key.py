"""`Paper.title_key`: the normalised title, indexed, so a lookup by title is one indexed query;
and an index of the lower-cased DOI, for a lookup by DOI.

The column is added, filled in batches of existing rows (with `papers.text.title_key`, the
function every write and lookup uses), then indexed.
"""

from django.db import migrations, models
from django.db.models.functions import Lower

from dailypapers.papers.text import title_key

BATCH = 2_000


def fill(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    last = 0
    while True:
        rows = list(Paper.objects.filter(pk__gt=last).order_by("pk").only("pk", "title")[:BATCH])
        if not rows:
            return
        for paper in rows:
            paper.title_key = title_key(paper.title)
        Paper.objects.bulk_update(rows, ["title_key"], batch_size=500)
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0012_models_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="title_key",
            field=models.CharField(blank=True, db_default="", default="", max_length=200),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="paper",
            name="title_key",
            field=models.CharField(
                blank=True, db_default="", db_index=True, default="", max_length=200
            ),
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(Lower("doi"), name="paper_doi_lower_idx"),
        ),
    ]
