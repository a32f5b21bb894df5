"""Issue 28: claims and memberships are verified by the institution's own domain.

Adds the evidence a curator reads, memberships that wait for a curator, and the curators'
table of institution domains. Rows accepted under the old rule (a word of the affiliation
matched a label of the domain) are marked `by_domain`, so that `dailypapers authors recheck`
checks them again under the new rule; memberships made before were all accepted so.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def mark_accepted_by_domain(apps, schema_editor):
    Claim = apps.get_model("people", "Claim")
    Membership = apps.get_model("people", "Membership")
    Claim.objects.filter(
        status="accepted", decided_by__isnull=True, reason__startswith="email domain matches"
    ).update(by_domain=True)
    Membership.objects.update(
        status="accepted", by_domain=True, reason="email domain matched (before issue 28)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_models_moved_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="by_domain",
            field=models.BooleanField(
                default=False,
                help_text="Accepted by its email domain, not by a curator: `authors recheck` checks it.",
            ),
        ),
        migrations.AddField(
            model_name="claim",
            name="email",
            field=models.EmailField(
                blank=True, help_text="The confirmed address it was checked with.", max_length=254
            ),
        ),
        migrations.AddField(
            model_name="claim",
            name="evidence",
            field=models.TextField(
                blank=True,
                help_text="What the address and the affiliation say (authors/domains.py).",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="by_domain",
            field=models.BooleanField(
                default=False,
                help_text="Accepted by its email domain, not by a curator: `authors recheck` checks it.",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="membership",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="evidence",
            field=models.TextField(blank=True, help_text="What the address and the name say."),
        ),
        migrations.AddField(
            model_name="membership",
            name="reason",
            field=models.CharField(blank=True, help_text="How it was decided.", max_length=300),
        ),
        migrations.AddField(
            model_name="membership",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "waiting for a curator"),
                    ("accepted", "accepted"),
                    ("rejected", "rejected"),
                ],
                db_index=True,
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="email",
            field=models.EmailField(
                help_text="The confirmed address it was checked with.", max_length=254
            ),
        ),
        migrations.CreateModel(
            name="InstitutionDomain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "domain",
                    models.CharField(
                        db_index=True,
                        help_text="A registrable domain (stanford.edu) or one of its subdomains, lower case.",
                        max_length=253,
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The institution's full name, as affiliations write it.",
                        max_length=300,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["domain", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("domain", "name"), name="institution_domain_once"
                    )
                ],
            },
        ),
        migrations.RunPython(mark_accepted_by_domain, migrations.RunPython.noop),
    ]
