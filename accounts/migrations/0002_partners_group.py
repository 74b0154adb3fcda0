"""The "Partners" group: admin access for partner users, limited to their own shops' data."""

from django.db import migrations

PARTNER_PERMISSIONS = {
    "partners": ["view_shop", "change_shop", "view_pricelistimport", "add_pricelistimport"],
    "catalog": ["view_offer", "view_product", "view_category", "view_pricehistory"],
    "orders": ["view_order", "view_orderitem"],
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Partners")
    for app_label, codenames in PARTNER_PERMISSIONS.items():
        permissions = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Partners").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("partners", "0001_initial"),
        ("catalog", "0002_offer_parameters_gin"),
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
