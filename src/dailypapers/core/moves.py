"""Moving a model from one app to another without moving its rows.

A moved model keeps its table (`Meta.db_table`): the old app's migration drops it from the old
app's state, the new app's first migration adds it to its state, and neither touches the
database (`SeparateDatabaseAndState`). What does change is the model's content type, which
permissions (and the admin's log) point at: `content_types_follow` renames its app label, so a
curator keeps the permissions they had. Used by migrations: keep its behaviour stable.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def content_types_follow(old_label: str, new_label: str, models: list[str]) -> migrations.RunPython:
    """A migration operation that moves the content types of `models` (lower-case model names)
    from `old_label` to `new_label`, with their permissions; reversible."""

    def move(apps: Any, schema_editor: Any, source: str, target: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        permission = apps.get_model("auth", "Permission")
        types = content_type.objects.using(schema_editor.connection.alias)
        for model in models:
            old = types.filter(app_label=source, model=model).first()
            if old is None:
                continue  # a new database: post_migrate will make the new one
            new = types.filter(app_label=target, model=model).first()
            if new is None:
                old.app_label = target
                old.save(update_fields=["app_label"])
                continue
            # Both exist (post_migrate ran in between): keep the new one, with the old one's
            # permissions that it lacks, so no grant is lost.
            have = set(
                permission.objects.filter(content_type=new).values_list("codename", flat=True)
            )
            permission.objects.filter(content_type=old).exclude(codename__in=have).update(
                content_type=new
            )
            old.delete()

    return migrations.RunPython(
        lambda apps, editor: move(apps, editor, old_label, new_label),
        lambda apps, editor: move(apps, editor, new_label, old_label),
    )
