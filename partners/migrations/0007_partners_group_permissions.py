"""The "Partners" group may open these partners pages; the partners selectors decide which rows it sees."""

from django.db import migrations

from accounts.partner_permissions import grant_partner_permissions, revoke_partner_permissions

CODENAMES = ['view_pricelistimport', 'add_pricelistimport', 'view_pricehistory']


def grant(apps, schema_editor):
    grant_partner_permissions(apps, app_label="partners", codenames=CODENAMES)


def revoke(apps, schema_editor):
    revoke_partner_permissions(apps, app_label="partners", codenames=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_price_history_from_catalog"),
        ("accounts", "0002_partners_group"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
