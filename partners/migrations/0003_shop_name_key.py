"""Shop.name_key: the comparison key of each existing shop's name (see catalog.shop_names)."""

import logging

from django.db import migrations, models

from catalog.shop_names import KEY_MAX_LENGTH, shop_name_key

logger = logging.getLogger("partners.migrations")


def unique_key(key: str, shop_id: int, used) -> str:
    """`key`, or, when an earlier shop has it, the key with a suffix naming this shop (never dropped)."""
    if key and key not in used:
        return key
    attempt = 0
    while True:
        suffix = f"#{shop_id}" if attempt == 0 else f"#{shop_id}.{attempt}"
        candidate = key[: KEY_MAX_LENGTH - len(suffix)] + suffix
        if candidate not in used:
            return candidate
        attempt += 1


def fill_name_keys(apps, schema_editor):
    """Every shop gets its key; shops whose names already read the same are all kept.

    The first shop (lowest id) keeps the plain key, a later one gets it with a "#<id>" suffix and is
    logged, so a manager can rename it; new look-alikes of either are refused from now on.
    """
    Shop = apps.get_model("partners", "Shop")
    used: dict[str, int] = {}
    for shop in Shop.objects.order_by("pk").only("pk", "name"):
        key = shop_name_key(shop.name)[:KEY_MAX_LENGTH]
        stored = unique_key(key, shop.pk, used)
        if stored != key:
            logger.warning(
                "shop %s (%r) reads the same as shop %s; its name key was stored as %r: rename one of them",
                shop.pk,
                shop.name,
                used.get(key),
                stored,
            )
        used[stored] = shop.pk
        Shop.objects.filter(pk=shop.pk).update(name_key=stored)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_superseded_imports_and_staging"),
    ]

    operations = [
        migrations.AddField(
            model_name="shop",
            name="name_key",
            field=models.CharField(
                default="", editable=False, max_length=400, verbose_name="name as compared"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
    ]
