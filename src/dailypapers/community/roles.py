"""The community's roles, as Django groups kept in step with their permissions after migrations.

- Curators feature papers in the feed (and see the feed's entries in the admin).
- Moderators hide and show comments, and ban or unban people (through their profile, which
  cannot grant permissions: changing users themselves stays with superusers).
Staff status (`is_staff`) lets a member of either group into the admin at /admin/.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

ROLES: dict[str, list[str]] = {
    "Curators": [
        "papers.view_paper",
        "feed.view_dailyentry",
        "feed.feature_paper",
    ],
    "Moderators": [
        "community.view_comment",
        "community.moderate_comment",
        "community.view_profile",
        "community.ban_user",
        "papers.view_paper",
    ],
}


def ensure_roles(sender: Any = None, **kwargs: Any) -> None:
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:  # created by a later app's migrations otherwise
                wanted.append(permission)
        group.permissions.set(wanted)
