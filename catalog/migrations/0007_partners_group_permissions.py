"""The "Partners" group may open these catalog pages; the catalog selectors decide which rows it sees."""

from django.db import migrations

from accounts.partner_permissions import grant_partner_permissions, revoke_partner_permissions

CODENAMES = ['view_shop', 'change_shop', 'view_offer', 'view_product', 'view_category']


def grant(apps, schema_editor):
    grant_partner_permissions(apps, app_label="catalog", codenames=CODENAMES)


def revoke(apps, schema_editor):
    revoke_partner_permissions(apps, app_label="catalog", codenames=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_price_history_to_partners"),
        ("accounts", "0002_partners_group"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
