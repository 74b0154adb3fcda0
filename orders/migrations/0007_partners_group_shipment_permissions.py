"""The "Partners" group may open the shipments pages, move shipments and read their history; the orders
selectors and admins decide which shipments and events it sees (its own shops')."""

from django.db import migrations

from accounts.partner_permissions import grant_partner_permissions, revoke_partner_permissions

CODENAMES = ["view_shipment", "change_shipment", "view_orderevent"]


def grant(apps, schema_editor):
    grant_partner_permissions(apps, app_label="orders", codenames=CODENAMES)


def revoke(apps, schema_editor):
    revoke_partner_permissions(apps, app_label="orders", codenames=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_shipment_constraints"),
        ("accounts", "0002_partners_group"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
