"""Follow, Notification and NotificationSettings, moved here from the people (authors) app with
their tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from dailypapers.core.moves import content_types_follow


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("community", "0002_reactions"),
        ("papers", "0011_github"),
        ("people", "0005_models_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app holds them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NotificationSettings",
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
                            "email_off",
                            models.JSONField(
                                blank=True, default=list, help_text="Kinds not sent by email."
                            ),
                        ),
                        (
                            "token",
                            models.CharField(
                                help_text="For one-click unsubscribe.", max_length=64, unique=True
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_settings",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "people_notificationsettings",
                    },
                ),
                migrations.CreateModel(
                    name="Follow",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("author", "author"),
                                    ("category", "category"),
                                    ("query", "search"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("value", models.CharField(max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="follows",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "people_follow",
                        "ordering": ["kind", "value"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "kind", "value"), name="follow_once"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("reply", "a reply to your comment"),
                                    ("mention", "a mention of you"),
                                    ("submitted", "a comment on a paper you submitted"),
                                    ("claimed", "a comment on a paper you claimed"),
                                    ("new_paper", "a new paper by an author you follow"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("emailed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "author",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="people.author",
                            ),
                        ),
                        (
                            "comment",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="community.comment",
                            ),
                        ),
                        (
                            "paper",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="papers.paper",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "people_notification",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["user", "read_at"], name="notification_unread_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("comment__isnull", False)),
                                fields=("user", "comment"),
                                name="notify_once_per_comment",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("comment__isnull", True)),
                                fields=("user", "kind", "paper"),
                                name="notify_once_per_paper",
                            ),
                        ],
                    },
                ),
            ],
        ),
        content_types_follow(
            "people", "notifications", ["follow", "notification", "notificationsettings"]
        ),
    ]
