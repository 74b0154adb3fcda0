"""The "Partners" group may edit the delivery costs per city on its shops' pages; the catalog selectors
decide which shops' costs it sees."""

from django.db import migrations

from accounts.partner_permissions import grant_partner_permissions, revoke_partner_permissions

CODENAMES = ["view_deliveryrate", "add_deliveryrate", "change_deliveryrate", "delete_deliveryrate"]


def grant(apps, schema_editor):
    grant_partner_permissions(apps, app_label="catalog", codenames=CODENAMES)


def revoke(apps, schema_editor):
    revoke_partner_permissions(apps, app_label="catalog", codenames=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_shop_delivery_tariff"),
        ("accounts", "0002_partners_group"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
