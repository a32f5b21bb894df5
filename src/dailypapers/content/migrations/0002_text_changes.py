from django.db import migrations


def install(apps, schema_editor):
    from dailypapers.papers import changes

    changes.install_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """A paper's full text is logged like its title (kind "p"): every machine's full-text index
    picks up the body as its `body` field (papers/changes.py)."""

    dependencies = [("content", "0001_initial"), ("papers", "0010_paper_content_fields")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
