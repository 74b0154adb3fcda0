"""The admin permissions of the "Partners" group: each app grants its own, from a migration.

accounts defines the group (the partner role); which rows a partner then sees is each app's selectors'
business, and which models it may open each app's migration's.
"""

from __future__ import annotations

PARTNERS_GROUP = "Partners"


def grant_partner_permissions(apps, *, app_label: str, codenames: list[str]) -> None:
    """Give the "Partners" group these permissions of `app_label` (creating them first on a fresh
    database, where Django would only create them after the last migration)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=PARTNERS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )


def revoke_partner_permissions(apps, *, app_label: str, codenames: list[str]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=PARTNERS_GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
