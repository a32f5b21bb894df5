from django.db import migrations


def install(apps, schema_editor):
    from dailypapers.papers import changes

    changes.install_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """Writes of paper vectors go to the change log too (kind "v"), so every machine's vector
    graph follows them (papers/changes.py)."""

    dependencies = [("search", "0001_initial"), ("papers", "0008_change_log")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
