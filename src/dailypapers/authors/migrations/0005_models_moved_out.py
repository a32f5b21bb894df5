"""Follow, Notification and NotificationSettings moved to the notifications app, their tables
and rows kept (see dailypapers/core/moves.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_organizations"),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app holds them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="notification",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="author",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="comment",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="paper",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="notificationsettings",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="Follow",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="NotificationSettings",
                ),
            ],
        ),
    ]
