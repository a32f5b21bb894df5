"""The catalogue and the Daily feed are kept apart (see papers/models.py).

Forward:
- votes and comment counts move from the feed entry to the paper (a catalogue paper can be upvoted
  without being in the feed);
- each paper gets `listed_on`, its arXiv announcement day: the day of its feed entry where that
  entry came from a bulk import or a harvest (it was the listing or first-version day), otherwise
  the day of its first version;
- entries made by bulk imports and harvests leave the feed. An entry stays when somebody put it
  there: a user (`submitted_by`), Hugging Face (a submitter name or imported votes or comments),
  or a curator (`featured`). Each remaining entry records its `source`.

Backward: every catalogue paper with an announcement day is put back in the feed on that day (as
every import did before), and the counts move back to the entries.
"""

import datetime as dt

from django.db import migrations
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import TruncDate

COUNTS = ("upvotes_imported", "upvotes_local", "comments_imported", "comments_local")


def _bulk(Entry):
    return Entry.objects.filter(
        submitted_by__isnull=True,
        submitter_name="",
        featured=False,
        upvotes_imported=0,
        comments_imported=0,
    )


def forward(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    Entry = apps.get_model("papers", "DailyEntry")
    of_paper = Entry.objects.filter(paper=OuterRef("pk"))
    Paper.objects.filter(entry__isnull=False).update(
        **{name: Subquery(of_paper.values(name)[:1]) for name in COUNTS}
    )
    bulk = _bulk(Entry)
    Paper.objects.filter(entry__in=bulk).update(listed_on=Subquery(of_paper.values("day")[:1]))
    Paper.objects.filter(listed_on__isnull=True, published_at__isnull=False).update(
        listed_on=TruncDate("published_at")
    )
    bulk.delete()
    Entry.objects.filter(submitted_by__isnull=False).update(source="user")
    Entry.objects.filter(submitted_by__isnull=True).filter(
        ~Q(submitter_name="") | Q(upvotes_imported__gt=0) | Q(comments_imported__gt=0)
    ).update(source="hf")
    Entry.objects.filter(submitted_by__isnull=True, submitter_name="", featured=True).filter(
        upvotes_imported=0, comments_imported=0
    ).update(source="curator")


def backward(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    Entry = apps.get_model("papers", "DailyEntry")
    missing = Paper.objects.filter(entry__isnull=True, listed_on__isnull=False)
    batch = []
    for pk, day in missing.values_list("pk", "listed_on").iterator(chunk_size=5000):
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        batch.append(Entry(paper_id=pk, day=day, submitted_at=midnight))
        if len(batch) == 5000:
            Entry.objects.bulk_create(batch)
            batch = []
    Entry.objects.bulk_create(batch)
    of_entry = Paper.objects.filter(pk=OuterRef("paper_id"))
    Entry.objects.update(**{name: Subquery(of_entry.values(name)[:1]) for name in COUNTS})


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0004_catalogue_and_feed"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
